"""The API process SIGKILLed while creates are in flight, and every create retried with its key.

A careful client retries a create with the same `Idempotency-Key` when the connection drops or
the answer is a 5xx. Whatever the first request had done when its process died (nothing yet,
its key recorded, its workflow started), the retry reaches the same customer and the same
workflow: one customer per key, one ledger charge per WL-managed customer, one workflow run
per customer, one activation email per self-serve customer.

No worker serves the test's task queue until the API is dead, so every create accepted by then
is still in flight (waiting for its workflow) when the process is killed.
"""

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.settings import Settings
from store.engine import SessionFactory
from store.schema import Customer, IdempotencyKey
from tests.conftest import (
    WORKFLOW_CACHE,
    WhiteLabelFixture,
    api_client,
    customer_request,
    free_port,
    make_white_label,
)
from tests.support.api_processes import start_api
from tests.support.holdings import holdings_of
from tests.support.self_serve_helpers import mails_to
from tests.support.worker_processes import kill, stop
from worker import build_worker

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

WL_MANAGED = 8
SELF_SERVE = 4
BULK_SELF_SERVE = 20
BULK_WL_MANAGED = 10
RETRY_FOR_SECONDS = 120


@dataclass(frozen=True)
class Order:
    """One create as a client's order system sends it: its body and the key it keeps."""

    key: str
    body: dict[str, object]

    @property
    def wl_managed(self) -> bool:
        return self.body["path"] == "wl_managed"

    @property
    def contact_email(self) -> str:
        contact = self.body["contact"]
        assert isinstance(contact, dict)
        return str(contact["email"])


async def post_until_answered(
    http: httpx.AsyncClient, path: str, body: object, headers: dict[str, str]
) -> httpx.Response:
    """What every HTTP client library's retry does: the same request with the same key, again
    after a dropped connection or a 5xx, until a real answer comes."""
    deadline = time.monotonic() + RETRY_FOR_SECONDS
    while True:
        try:
            answer = await http.post(path, json=body, headers=headers)
            if answer.status_code < 500:
                return answer
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"no answer in {RETRY_FOR_SECONDS} s"
        await asyncio.sleep(0.2)


async def create_until_answered(
    http: httpx.AsyncClient, white_label: WhiteLabelFixture, order: Order
) -> httpx.Response:
    headers = {**white_label.headers, "Idempotency-Key": order.key}
    return await post_until_answered(http, "/v1/customers", order.body, headers)


async def keys_recorded(sessions: SessionFactory, white_label: WhiteLabelFixture) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).where(IdempotencyKey.white_label_id == white_label.id)
        )
        return int(found or 0)


async def until_keys_recorded(
    sessions: SessionFactory, white_label: WhiteLabelFixture, count: int
) -> None:
    deadline = time.monotonic() + 60
    while await keys_recorded(sessions, white_label) < count:
        assert time.monotonic() < deadline, f"fewer than {count} creates reached the API"
        await asyncio.sleep(0.02)


async def runs_per_workflow(
    client: Client, white_label: WhiteLabelFixture, expected: int
) -> Counter[str]:
    """Every run of every workflow Temporal holds for the white label (visibility catches up
    within moments, so the count is read until it holds still)."""
    query = f"WhiteLabelId = '{white_label.id}'"
    last: Counter[str] | None = None
    for _ in range(50):
        runs = Counter([execution.id async for execution in client.list_workflows(query)])
        if runs == last and sum(runs.values()) >= expected:
            return runs
        last = runs
        await asyncio.sleep(0.2)
    assert last is not None
    return last


class CrashingApi:
    """`python -m starter api` on one port, SIGKILLed once mid-traffic and started again."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.port = free_port()
        self.log_file = folder / "api.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await start_api(self.settings, self.port, self.log_file)

    async def crash_and_restart(self) -> None:
        assert self.process is not None
        await kill(self.process)
        await self.start()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await stop(self.process)


@contextlib.asynccontextmanager
async def crashing_api(settings: Settings, folder: Path) -> AsyncIterator[CrashingApi]:
    api = CrashingApi(settings, folder)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def own_queue(settings: Settings) -> Settings:
    """A task queue no worker serves until the test starts one, and an API that waits long
    enough for its workflows that a create accepted before the crash is still in flight."""
    return settings.model_copy(
        update={"temporal_task_queue": f"api-killed-{uuid.uuid4()}", "api_wait_seconds": 30}
    )


async def assert_each_order_made_once(
    client: Client,
    sessions: SessionFactory,
    mail_sink: MailSink,
    white_label: WhiteLabelFixture,
    orders: list[Order],
) -> dict[str, uuid.UUID]:
    """One customer per key, one ledger charge and number per WL-managed customer, one
    workflow run per customer, one activation email per self-serve customer; the customer
    each key names."""
    async with sessions() as session:
        keys = {
            record.key: record.customer_id
            for record in await session.scalars(
                select(IdempotencyKey).where(IdempotencyKey.white_label_id == white_label.id)
            )
        }
        customers = list(
            await session.scalars(select(Customer).where(Customer.white_label_id == white_label.id))
        )
    contacts = Counter(str(customer.contact["email"]) for customer in customers if customer.contact)
    assert contacts == Counter(order.contact_email for order in orders)
    assert {customer.id for customer in customers} == {keys[order.key] for order in orders}
    for order in orders:
        if order.wl_managed:
            held = await holdings_of(sessions, keys[order.key])
            assert len(held.ledger) == 1, order.key
            assert len(held.numbers) == 1, order.key
    runs = await runs_per_workflow(client, white_label, len(orders))
    assert runs == Counter({f"customer-{keys[order.key]}": 1 for order in orders})
    for order in orders:
        if not order.wl_managed:
            assert len(await mails_to(mail_sink, order.contact_email, 1)) == 1
    return keys


async def test_creates_cut_off_by_an_api_crash_and_retried_with_their_keys_make_each_customer_once(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    queue = own_queue(settings)
    white_label = await make_white_label(sessions, number_count=WL_MANAGED)
    orders = [
        Order(f"order-{index}-{uuid.uuid4()}", customer_request(numbers={"count": 1}))
        for index in range(WL_MANAGED)
    ] + [
        Order(f"signup-{index}-{uuid.uuid4()}", customer_request(path="self_serve"))
        for index in range(SELF_SERVE)
    ]
    async with crashing_api(queue, tmp_path) as api, api_client(api.url) as http:
        creating = [
            asyncio.create_task(create_until_answered(http, white_label, order)) for order in orders
        ]
        await until_keys_recorded(sessions, white_label, len(orders) // 2)
        await api.crash_and_restart()
        async with build_worker(client, queue, sessions, max_cached_workflows=WORKFLOW_CACHE):
            answers = await asyncio.gather(*creating)
            repeated = [await create_until_answered(http, white_label, o) for o in orders]

    keys = await assert_each_order_made_once(client, sessions, mail_sink, white_label, orders)
    # Each key's answer names the customer its record does, after the crash and in a repeat
    # once the signup finished.
    for order, answer, again in zip(orders, answers, repeated, strict=True):
        assert answer.status_code in (201, 202), answer.text
        assert answer.json()["customer_id"] == str(keys[order.key])
        assert again.json()["customer_id"] == str(keys[order.key])
    assert [answer.status_code for answer in repeated[:WL_MANAGED]] == [201] * WL_MANAGED


async def test_a_bulk_request_cut_off_by_an_api_crash_and_sent_again_makes_each_row_once(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    """Rows carry their keys (the client's own, or one derived from the row): the same rows
    sent again after the crash find the customers the cut-off request began."""
    queue = own_queue(settings)
    white_label = await make_white_label(sessions, number_count=BULK_WL_MANAGED)
    # Self-serve rows first: each waits for its account to be written, which no worker does
    # before the crash, so the request is still starting rows when the API dies.
    rows = [customer_request(path="self_serve") for _ in range(BULK_SELF_SERVE)] + [
        customer_request(numbers={"count": 1}, idempotency_key=f"crm-{uuid.uuid4()}")
        for _ in range(BULK_WL_MANAGED)
    ]
    path, body = "/v1/customers/bulk", {"rows": rows}
    async with crashing_api(queue, tmp_path) as api, api_client(api.url) as http:
        sending = asyncio.create_task(post_until_answered(http, path, body, white_label.headers))
        await until_keys_recorded(sessions, white_label, BULK_SELF_SERVE // 2)
        await api.crash_and_restart()
        async with build_worker(client, queue, sessions, max_cached_workflows=WORKFLOW_CACHE):
            answer = await sending
            assert answer.status_code == 200, answer.text
            again = await post_until_answered(http, path, body, white_label.headers)

    reports = answer.json()["rows"]
    orders = [
        Order(report["idempotency_key"], row) for report, row in zip(reports, rows, strict=True)
    ]
    keys = await assert_each_order_made_once(client, sessions, mail_sink, white_label, orders)
    assert [report["customer_id"] for report in reports] == [str(keys[o.key]) for o in orders]
    assert {report["outcome"] for report in again.json()["rows"]} == {"already_existed"}
