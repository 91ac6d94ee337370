"""Passkeys in a real browser: Chromium's virtual authenticator (the DevTools protocol's
WebAuthn domain) stands in for a laptop's; the user registers a passkey on the Account page,
signs out, and signs in with it. The browser's own assertion, sent again, and a fresh one
altered to answer for another user, sign nobody in.

WebAuthn needs a domain, not an IP address, for its relying party, so this test serves the
API a second time at http://localhost (a secure context, still loopback) with PUBLIC_BASE_URL
saying so."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, Route, expect
from temporalio.client import Client
from temporalio.worker import Worker
from webauthn.helpers import bytes_to_base64url

from devstack.mailsink import MailSink
from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture, free_port, serving
from tests.support.console_helpers import staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")
VIRTUAL_LAPTOP = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest_asyncio.fixture(loop_scope="session")
async def localhost_url(
    settings: Settings, sessions: SessionFactory, client: Client, worker: Worker
) -> AsyncIterator[str]:
    port = free_port()
    base = f"http://localhost:{port}"
    mine = settings.model_copy(update={"public_base_url": base})
    async with serving(create_app(mine, sessions, client), port):
        yield base


async def _staff_user_id(api: httpx.AsyncClient, white_label: WhiteLabelFixture) -> uuid.UUID:
    users = (await api.get("/v1/users", headers=white_label.headers)).json()["users"]
    email = staff_email(white_label.admin_email)
    return uuid.UUID(next(user["id"] for user in users if user["email"] == email))


async def test_a_user_registers_a_passkey_signs_out_and_signs_in_with_it(
    api: httpx.AsyncClient,
    localhost_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("WebAuthn.enable")
    added = await devtools.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_LAPTOP})

    await sign_in(page, localhost_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name=white_label.admin_email).click()
    await page.get_by_label("Name of the new passkey").fill("Virtual laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.get_by_role("status")).to_contain_text("The passkey was added")
    await expect(page.get_by_role("row").filter(has_text="Virtual laptop")).to_have_count(1)
    stored = await devtools.send(
        "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
    )
    assert [each["isResidentCredential"] for each in stored["credentials"]] == [True]

    # Signing in for someone else: the passkey's fresh answer, its user handle changed.
    staff_handle = bytes_to_base64url((await _staff_user_id(api, white_label)).bytes)

    async def answer_for_staff(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["credential"]["response"]["userHandle"] = staff_handle
        await route.continue_(post_data=json.dumps(body))

    await page.get_by_role("button", name="Sign out", exact=True).click()
    await page.goto(f"{localhost_url}/console/sign-in")
    await page.route(f"{localhost_url}/console/sign-in/passkey", answer_for_staff)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "That passkey did not sign you in. Try again, or ask for an emailed link."
    )
    await page.unroute(f"{localhost_url}/console/sign-in/passkey")

    async with page.expect_request(f"{localhost_url}/console/sign-in/passkey") as sent:
        await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    await page.get_by_role("link", name=white_label.admin_email).click()
    await expect(page.get_by_role("row").filter(has_text="Virtual laptop")).not_to_contain_text(
        "Never"
    )

    # The browser's own assertion, sent again by someone who captured it.
    replayed = await page.request.post(
        f"{localhost_url}/console/sign-in/passkey",
        data=(await sent.value).post_data or "",
        headers={"Content-Type": "application/json"},
    )
    assert replayed.status == 400
    assert page_errors == []
