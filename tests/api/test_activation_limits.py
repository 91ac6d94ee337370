"""Rate limits on the activation link: per client address and per customer, and they end."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.api.test_customer_page_headers import protective_headers_missing
from tests.conftest import GENEROUS, WhiteLabelFixture, api_client, free_port, serving
from tests.support.handover_helpers import invitations_to, managed_customer
from tests.support.self_serve_helpers import emailed_link, start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")
WINDOW_SECONDS = 2


@contextlib.asynccontextmanager
async def limited_api(
    settings: Settings, sessions: SessionFactory, client: Client, **limits: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An API of its own, so its counters start at zero and its limits are tight."""
    tight = settings.model_copy(
        update={
            "activation_requests_per_address": GENEROUS,
            "activation_failures_per_address": GENEROUS,
            "activation_failures_per_customer": GENEROUS,
            **limits,
        }
    )
    async with (
        serving(create_app(tight, sessions, client), free_port()) as url,
        api_client(url, timeout=30) as http,
    ):
        yield http


def from_address(address: str) -> dict[str, str]:
    """The test API trusts X-Forwarded-For from loopback, as behind a local proxy."""
    return {"X-Forwarded-For": address}


async def test_bad_tokens_for_one_customer_are_paused_but_never_its_real_link(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    worker: Worker,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    """Anyone who saw a customer id can send bad tokens for it (issue 18, item 4): they are
    paused for that customer, and the real link, whose MAC verifies, still works."""
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)
    async with limited_api(
        settings, sessions, client, activation_failures_per_customer=f"3/{WINDOW_SECONDS} seconds"
    ) as limited:
        guesses = [
            await limited.post(
                link.path, data={"token": f"v1.guess{n}"}, headers=from_address(f"203.0.113.{n}")
            )
            for n in range(4)
        ]
        real_link = await limited.get(
            link.path, params={"token": link.token}, headers=from_address("198.51.100.7")
        )
        other_customer = await start_signup(api, white_label)
        unaffected = await limited.get(
            f"/activate/{other_customer.customer_id}",
            params={"token": "v1.guess"},
            headers=from_address("203.0.113.1"),
        )
        activated = await limited.post(
            link.path, data={"token": link.token}, headers=from_address("198.51.100.7")
        )
        await asyncio.sleep(WINDOW_SECONDS + 0.5)
        later_guess = await limited.post(
            link.path, data={"token": "v1.guess9"}, headers=from_address("203.0.113.9")
        )

    assert [guess.status_code for guess in guesses] == [404, 404, 404, 429]
    paused = guesses[3]
    assert 1 <= int(paused.headers["Retry-After"]) <= WINDOW_SECONDS
    assert "Too many attempts" in paused.text
    assert protective_headers_missing(paused) == []
    assert real_link.status_code == 200, real_link.text
    assert "Activate" in real_link.text
    assert unaffected.status_code == 404
    assert activated.status_code == 200, activated.text
    assert "card" in activated.text.lower()
    assert later_guess.status_code == 404


async def test_bad_tokens_for_an_invitation_never_lock_out_its_real_link(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    worker: Worker,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    invited = await api.post(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)
    assert invited.status_code == 202, invited.text
    [invitation] = await invitations_to(mail_sink, contact, 1)
    path = f"/handover/{invitation.customer_id}"
    async with limited_api(
        settings, sessions, client, activation_failures_per_customer="2/1 minute"
    ) as limited:
        guesses = [
            await limited.get(
                path, params={"token": f"v1.guess{n}"}, headers=from_address(f"203.0.113.{n}")
            )
            for n in range(3)
        ]
        real_link = await limited.get(
            path, params={"token": invitation.token}, headers=from_address("198.51.100.8")
        )

    assert [guess.status_code for guess in guesses] == [404, 404, 429]
    assert real_link.status_code == 200, real_link.text


async def test_bad_links_from_one_address_pause_that_address_across_customers(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    worker: Worker,
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)
    scanner = from_address("203.0.113.99")
    async with limited_api(
        settings, sessions, client, activation_failures_per_address="3/1 minute"
    ) as limited:
        answers = [
            await limited.get(
                f"/activate/{uuid.uuid4()}", params={"token": "v1.guess"}, headers=scanner
            )
            for _ in range(3)
        ]
        paused_page = await limited.get(link.path, params={"token": link.token}, headers=scanner)
        paused_call = await limited.post(
            f"{link.path}/status", json={"token": link.token}, headers=scanner
        )
        customer_elsewhere = await limited.get(
            link.path, params={"token": link.token}, headers=from_address("198.51.100.7")
        )

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert paused_page.status_code == paused_call.status_code == 429
    assert paused_call.json()["status"] == "error"
    assert customer_elsewhere.status_code == 200


async def test_one_address_flooding_the_pages_is_paused(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    worker: Worker,
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)
    async with limited_api(
        settings, sessions, client, activation_requests_per_address="5/1 minute"
    ) as limited:
        answers = [
            await limited.get(
                link.path, params={"token": link.token}, headers=from_address("192.0.2.1")
            )
            for _ in range(6)
        ]
        neighbour = await limited.get(
            link.path, params={"token": link.token}, headers=from_address("192.0.2.2")
        )

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert neighbour.status_code == 200
