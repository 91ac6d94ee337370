"""Signing in to the console: emailed single-use links, no account discovery, rate limits."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from store.schema import ConsoleSignIn
from tests.conftest import WhiteLabelFixture, api_client, in_process
from tests.support.console_helpers import (
    ask_for_link,
    form_token_in,
    sign_in_link,
    signed_in_client,
    use_link,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_user_signs_in_with_the_emailed_link_once(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with api_client(api_url) as browser:
        asked = await ask_for_link(browser, white_label.admin_email)
        link = await sign_in_link(mail_sink, white_label.admin_email)
        [email] = mail_sink.to(white_label.admin_email)
        # A mail scanner opening the link changes nothing: it can be opened again.
        for _ in range(2):
            opened = await browser.get(link.path_and_query)
            assert opened.status_code == 200
            assert ">Sign in</button>" in opened.text
        signed_in = await use_link(browser, link)
        customers = await browser.get("/console/customers")
        again = await browser.get(link.path_and_query)

    assert asked.status_code == 200
    assert "Check your email" in asked.text
    assert "Sign in" in email["Subject"]
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/console/customers"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # PUBLIC_BASE_URL is http here
    assert customers.status_code == 200
    assert "<h1>Customers</h1>" in customers.text
    assert again.status_code == 404


async def test_a_used_link_does_not_sign_in_a_second_browser(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with api_client(api_url) as first, api_client(api_url) as second:
        await ask_for_link(first, white_label.admin_email)
        link = await sign_in_link(mail_sink, white_label.admin_email)
        page = await second.get(link.path_and_query)
        token = form_token_in(page.text)
        signed_in = await use_link(first, link)
        refused = await second.post(link.path, data={"token": link.token, "csrf_token": token})
        opened_later = await second.get(link.path_and_query)
        still_out = await second.get("/console/customers", follow_redirects=False)

    assert signed_in.status_code == 303
    assert refused.status_code == 404
    assert "not valid any more" in refused.text
    assert opened_later.status_code == 404
    assert still_out.status_code == 303
    assert still_out.headers["location"] == "/console/sign-in"


async def test_an_expired_link_signs_nobody_in(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    async with api_client(api_url) as browser:
        await ask_for_link(browser, white_label.admin_email)
        link = await sign_in_link(mail_sink, white_label.admin_email)
        page = await browser.get(link.path_and_query)
        async with sessions.begin() as session:
            await session.execute(
                update(ConsoleSignIn)
                .where(ConsoleSignIn.id == uuid.UUID(link.sign_in_id))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        refused = await browser.post(
            link.path, data={"token": link.token, "csrf_token": form_token_in(page.text)}
        )

    assert refused.status_code == 404
    assert "console_session" not in refused.headers.get("set-cookie", "")


async def test_a_forged_or_foreign_token_is_refused(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with api_client(api_url) as browser:
        await ask_for_link(browser, white_label.admin_email)
        link = await sign_in_link(mail_sink, white_label.admin_email)
        forged = await browser.get(f"{link.path}?token=v1.{'A' * 43}")
        other_id = await browser.get(f"/console/sign-in/{uuid.uuid4()}?token={link.token}")

    assert forged.status_code == 404
    assert other_id.status_code == 404


async def test_the_answer_is_the_same_whether_or_not_the_address_has_a_user(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@reseller.example.com"
    async with api_client(api_url) as browser:
        known = await ask_for_link(browser, white_label.admin_email)
        unknown = await ask_for_link(browser, nobody)
    await sign_in_link(mail_sink, white_label.admin_email)

    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(white_label.admin_email, "EMAIL") == unknown.text.replace(
        nobody, "EMAIL"
    )
    assert mail_sink.to(nobody) == []


async def test_a_sign_in_form_without_its_token_is_refused(api_url: str) -> None:
    async with api_client(api_url) as browser:
        refused = await browser.post("/console/sign-in", data={"email": "a@example.com"})

    assert refused.status_code == 403
    assert "expired" in refused.text


async def test_asking_too_often_is_paused_per_email_and_per_address(
    settings: Settings, sessions: SessionFactory, client: Client
) -> None:
    strict = settings.model_copy(
        update={"console_sign_in_per_email": "2/minute", "console_sign_in_per_address": "4/minute"}
    )
    async with in_process(create_app(strict, sessions, client)) as browser:
        same = [await ask_for_link(browser, "one@example.com") for _ in range(3)]
        others = [await ask_for_link(browser, f"user{index}@example.com") for index in range(2)]

    assert [answer.status_code for answer in same] == [200, 200, 429]
    assert int(same[2].headers["Retry-After"]) > 0
    # Four requests from this address so far: the fifth is paused whatever the email.
    assert [answer.status_code for answer in others] == [200, 429]


async def test_asking_with_something_that_is_not_an_email_says_so(api_url: str) -> None:
    async with api_client(api_url) as browser:
        answer = await ask_for_link(browser, "not-an-email")

    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text
    assert "Enter an email address" in answer.text


async def test_signing_in_and_out_is_in_the_white_labels_audit_trail(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/customers")
        await console.post("/console/sign-out", data={"csrf_token": form_token_in(page.text)})
    trail = await api.get("/v1/audit", headers=white_label.headers)

    assert [
        (event["action"], event["actor"], event["customer_id"])
        for event in trail.json()["events"]
        if event["action"].startswith("console.")
    ] == [
        ("console.signed_in", f"wl_user:{white_label.admin_user_id}", None),
        ("console.signed_out", f"wl_user:{white_label.admin_user_id}", None),
    ]


async def test_forged_tokens_for_one_sign_in_are_paused_as_for_an_activation_link(
    settings: Settings, sessions: SessionFactory, client: Client
) -> None:
    strict = settings.model_copy(update={"activation_failures_per_customer": "2/minute"})
    sign_in_id = uuid.uuid4()
    async with in_process(create_app(strict, sessions, client)) as browser:
        answers = [
            await browser.get(f"/console/sign-in/{sign_in_id}?token=v1.{'A' * 43}")
            for _ in range(3)
        ]

    assert [answer.status_code for answer in answers] == [404, 404, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert "Too many attempts" in answers[2].text
