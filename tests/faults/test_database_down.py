"""PostgreSQL refusing connections for a while: steps wait for it, the API says 503 at once.

The database sits behind a TCP proxy the test cuts: every open connection drops and new ones
are refused, as when the server has stopped. SQLite is a file beside the process and cannot go
down this way, so these tests run on PostgreSQL only.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from temporalio import activity
from temporalio.client import Client

from domain.enums import CustomerStatus
from domain.settings import Settings
from domain.signup import workflow_id_for
from starter.api.app import create_app
from store.engine import SessionFactory, create_engine, create_session_factory, is_sqlite
from store.schema import Customer
from tests.conftest import WhiteLabelFixture, customer_request, in_process
from tests.support.after_step import AfterStep
from tests.support.holdings import holdings_of
from tests.support.self_serve_helpers import intent_event, link_in, mails_to, signed
from tests.support.step_history import retrying_local_step
from tests.support.tcp_proxy import TcpProxy
from tests.support.wl_managed_helpers import signup_input
from worker import build_worker
from workflows.wl_managed import WlManagedSignupWorkflow

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]


@dataclass(frozen=True)
class DatabaseBehindProxy:
    proxy: TcpProxy
    settings: Settings
    sessions: SessionFactory


@pytest_asyncio.fixture(loop_scope="session")
async def behind_proxy(database_url: str, settings: Settings) -> AsyncIterator[DatabaseBehindProxy]:
    if is_sqlite(database_url):
        pytest.skip("SQLite is a file in the process: there is no server to go down")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    proxied = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    engine = create_engine(proxied)
    yield DatabaseBehindProxy(
        proxy=proxy,
        settings=settings.model_copy(update={"database_url": proxied}),
        sessions=create_session_factory(engine),
    )
    await proxy.restore()
    await engine.dispose()
    await proxy.cut()


def cut_after(step: str, proxy: TcpProxy) -> AfterStep:
    """Takes the database down the moment the named step has first finished."""

    async def cut(info: activity.Info) -> None:
        if info.attempt == 1:
            await proxy.cut()

    return AfterStep(step, cut)


async def test_a_signup_whose_database_goes_down_midway_finishes_once_it_is_back(
    client: Client,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    behind_proxy: DatabaseBehindProxy,
) -> None:
    down = behind_proxy
    data = signup_input(white_label, numbers={"count": 2})
    workflow_id = workflow_id_for(data.customer_id)
    cut = cut_after("debit_signup_charges", down.proxy)
    queue = f"db-down-{uuid.uuid4()}"
    worker = build_worker(client, down.settings, down.sessions, queue, interceptors=[cut])
    async with worker:
        handle = await client.start_workflow(
            WlManagedSignupWorkflow.run, data, id=workflow_id, task_queue=queue
        )
        step, failure, attempt = await retrying_local_step(client, workflow_id)
        await down.proxy.restore()
        result = await asyncio.wait_for(handle.result(), timeout=60)

    assert step == "add_wl_administrator"  # the step after the debit
    assert attempt > 1
    assert "refused" in failure.lower() or "connect" in failure.lower()
    assert result.status is CustomerStatus.ACTIVE
    held = await holdings_of(sessions, data.customer_id)
    assert len(held.ledger) == 1
    assert held.administrators == 1
    assert held.numbers == white_label.numbers[:2]
    assert held.audit["numbers.allocated"] == 1


async def test_the_api_answers_503_while_the_database_is_down_and_writes_nothing(
    client: Client,
    worker: object,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    behind_proxy: DatabaseBehindProxy,
    mail_sink: object,
) -> None:
    down = behind_proxy
    app = create_app(down.settings, down.sessions, client)
    body = customer_request()
    business = str(body["business"]["name"])  # type: ignore[index]
    idempotent = {**white_label.headers, "Idempotency-Key": f"order-{uuid.uuid4()}"}
    async with in_process(app, timeout=30) as api:
        await down.proxy.cut()
        created = await api.post("/v1/customers", json=body, headers=idempotent)
        listed = await api.get("/v1/customers", headers=white_label.headers)
        ready = await api.get("/readyz")
        event = intent_event("payment_intent.succeeded", {"id": "pi_db_down", "metadata": {}})
        webhook = await api.post("/webhooks/stripe", content=event, headers=signed(event))
        async with sessions() as session:
            written = await session.scalar(
                select(func.count()).where(Customer.business["name"].as_string() == business)
            )
        await down.proxy.restore()
        retried = await api.post("/v1/customers", json=body, headers=idempotent)

    assert created.status_code == 503
    assert created.headers["Retry-After"] == "5"
    assert created.json()["error"]["type"] == "DatabaseUnavailable"
    assert "database cannot be reached" in created.json()["error"]["message"]
    assert listed.status_code == 503
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unreachable", "temporal": "ok"}
    assert webhook.status_code == 503  # Stripe delivers it again later
    assert written == 0
    assert retried.status_code in {201, 202}, retried.text
    async with sessions() as session:
        customers = await session.scalar(
            select(func.count()).where(Customer.white_label_id == white_label.id)
        )
    assert customers == 1


async def test_the_activation_page_asks_the_customer_to_try_again_while_the_database_is_down(
    client: Client,
    settings: Settings,
    worker: object,
    white_label: WhiteLabelFixture,
    behind_proxy: DatabaseBehindProxy,
    api: httpx.AsyncClient,
    mail_sink: Any,
) -> None:
    body = customer_request(path="self_serve")
    started = await api.post("/v1/customers", json=body, headers=white_label.headers)
    assert started.status_code == 202, started.text
    [email] = await mails_to(mail_sink, str(body["contact"]["email"]), 1)  # type: ignore[index]
    link = link_in(email)
    down = behind_proxy
    app = create_app(down.settings, down.sessions, client)
    async with in_process(app, timeout=30) as page:
        await down.proxy.cut()
        shown = await page.get(link.path, params={"token": link.token})
        await down.proxy.restore()
        shown_again = await page.get(link.path, params={"token": link.token})

    assert shown.status_code == 503
    assert "try again" in shown.text.lower()
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown_again.status_code == 200
    assert "Activate my account" in shown_again.text
