"""Passkeys in a real browser: Chromium's virtual authenticator (the DevTools protocol's
WebAuthn domain) stands in for a laptop's; the user registers a passkey on the Account page,
signs out, and signs in with it.

WebAuthn needs a domain, not an IP address, for its relying party, so this test serves the
API a second time at http://localhost (a secure context, still loopback) with PUBLIC_BASE_URL
saying so."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect
from temporalio.client import Client
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture, free_port, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def localhost_url(
    settings: Settings, sessions: SessionFactory, client: Client, worker: Worker
) -> AsyncIterator[str]:
    port = free_port()
    base = f"http://localhost:{port}"
    mine = settings.model_copy(update={"public_base_url": base})
    async with serving(create_app(mine, sessions, client), port):
        yield base


async def test_a_user_registers_a_passkey_signs_out_and_signs_in_with_it(
    localhost_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    devtools = await page.context.new_cdp_session(page)
    await devtools.send("WebAuthn.enable")
    added = await devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    await sign_in(page, localhost_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name=white_label.admin_email).click()
    await page.get_by_label("Name of the new passkey").fill("Virtual laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.get_by_role("status")).to_contain_text("The passkey was added")
    await expect(page.get_by_role("row").filter(has_text="Virtual laptop")).to_have_count(1)
    credentials = await devtools.send(
        "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
    )
    assert [each["isResidentCredential"] for each in credentials["credentials"]] == [True]

    await page.get_by_role("button", name="Sign out", exact=True).click()
    await page.goto(f"{localhost_url}/console/sign-in")
    await page.get_by_role("button", name="Sign in with a passkey").click()

    await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    await page.get_by_role("link", name=white_label.admin_email).click()
    await expect(page.get_by_role("row").filter(has_text="Virtual laptop")).not_to_contain_text(
        "Never"
    )
    assert page_errors == []
