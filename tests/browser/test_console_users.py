"""Running the white label's people and keys from the console, in a real browser: an invited
staff user signs in from the invitation and can only look; an API key made on the page works
with the API until it is revoked there."""

import uuid

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture, api_client
from tests.support.console_helpers import sign_in_link
from tests.support.self_serve_helpers import start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_invited_staff_user_signs_in_from_the_invitation_and_can_only_look(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    signup = await start_signup(api, white_label)
    invitee = f"desk-{uuid.uuid4().hex[:6]}@reseller.example.com"
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name="Users", exact=True).click()
    await page.get_by_role("link", name="Invite user").click()
    await page.get_by_label("Email").fill(invitee)
    await page.get_by_label("Staff").check()
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_role("status")).to_have_text("The invitation was sent.")
    await expect(page.get_by_role("row").filter(has_text=invitee)).to_contain_text("Invited")
    await page.get_by_role("button", name="Sign out", exact=True).click()

    link = await sign_in_link(mail_sink, invitee)
    await page.goto(f"{api_url}{link.path_and_query}")
    await page.get_by_role("button", name="Sign in", exact=True).click()

    await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    await expect(page.get_by_role("link", name="Create new customer")).to_have_count(0)
    await expect(page.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    await (
        page.get_by_role("row")
        .filter(has_text="Awaiting activation")
        .get_by_role("link")
        .first.click()
    )
    await expect(page.locator("#customer-status")).to_have_text("Awaiting activation")
    for action in ("Resend activation email", "Cancel signup", "Convert to WL-managed"):
        await expect(page.get_by_role("link", name=action)).to_have_count(0)
    assert signup.customer_id in page.url
    assert page_errors == []


async def test_an_api_key_made_in_the_console_works_until_it_is_revoked_there(
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Name").fill("Billing sync")
    await page.get_by_label("Administrator: creates and changes customers").check()
    await page.get_by_role("button", name="Create API key").click()
    secret = (await page.locator("#new-key").text_content() or "").strip()
    bearer = {"Authorization": f"Bearer {secret}"}
    async with api_client(api_url) as integration:
        before = await integration.get("/v1/customers", headers=bearer)
        await page.reload()  # sends the form again: no second key, no secret shown again
        await expect(page.get_by_role("status")).to_contain_text("This form was sent before")
        await expect(page.locator("#new-key")).to_have_count(0)
        await expect(page.get_by_role("row").filter(has_text="Billing sync")).to_have_count(1)
        await page.get_by_role("link", name="Revoke Billing sync").click()
        await page.get_by_role("button", name="Revoke key").click()
        await expect(page.get_by_role("status")).to_contain_text("The key was revoked")
        after = await integration.get("/v1/customers", headers=bearer)

    assert secret.startswith("wlk_")
    assert before.status_code == 200
    assert after.status_code == 401
    assert page_errors == []
