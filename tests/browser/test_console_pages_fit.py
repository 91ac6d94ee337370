"""Every console page on a phone and on a desktop passes the customer pages' checks: it fits,
every control can be reached by keyboard, every field is labelled, the text is readable; and a
screenshot of each (`console-{page}-{width}x{height}.png`, see test_pages_fit_every_screen)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.browser.brands import KIWI, branded
from tests.browser.conftest import DESKTOP, PHONE, Screen
from tests.browser.console_pages import (
    NewCustomer,
    choose_path,
    fill_address,
    fill_contact,
    press_continue,
    sign_in,
)
from tests.browser.page_checks import page_problems
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.console_helpers import sign_in_link, staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Console:
    api: httpx.AsyncClient
    api_url: str
    white_label: WhiteLabelFixture
    mail_sink: MailSink
    page: Page


@pytest_asyncio.fixture(loop_scope="session")
async def console(
    api: httpx.AsyncClient, api_url: str, sessions: SessionFactory, mail_sink: MailSink, page: Page
) -> Console:
    white_label = await branded(api, sessions, KIWI)
    for body in (customer_request(numbers={"count": 1}), customer_request(path="self_serve")):
        created = await api.post("/v1/customers", json=body, headers=white_label.headers)
        assert created.status_code in {201, 202}, created.text
    return Console(api, api_url, white_label, mail_sink, page)


async def signing_in(console: Console) -> None:
    await console.page.goto(f"{console.api_url}/console")
    await expect(console.page.get_by_role("button", name="Email me a sign-in link")).to_be_visible()


async def check_your_email(console: Console) -> None:
    await signing_in(console)
    await console.page.get_by_label("Email").fill(console.white_label.admin_email)
    await console.page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(console.page.get_by_role("heading", name="Check your email")).to_be_visible()


async def sign_in_link_opened(console: Console) -> None:
    email = console.white_label.admin_email
    before = len(console.mail_sink.to(email))
    await check_your_email(console)
    link = await sign_in_link(console.mail_sink, email, before + 1)
    await console.page.goto(f"{console.api_url}{link.path_and_query}")
    await expect(console.page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


async def customers(console: Console) -> None:
    await sign_in(console.page, console.api_url, console.mail_sink, console.white_label.admin_email)


async def create_step_1(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Create new customer").click()
    await expect(console.page.get_by_label("The New Customer", exact=True)).to_be_visible()


async def create_step_2(console: Console) -> None:
    await customers(console)
    await choose_path(console.page, "Me, the White Label administrator")
    await expect(console.page.get_by_label("First name")).to_be_visible()


async def create_step_2_errors(console: Console) -> None:
    await create_step_2(console)
    await press_continue(console.page)
    await expect(console.page.locator("#f-contact-email-error")).to_be_visible()


async def create_step_3(console: Console) -> None:
    await create_step_2(console)
    await fill_contact(console.page, NewCustomer.fresh())
    await expect(console.page.get_by_label("City", exact=True)).to_be_visible()


async def create_step_4(console: Console) -> None:
    await create_step_3(console)
    await fill_address(console.page)
    await expect(console.page.get_by_label("Timezone")).to_be_visible()
    await console.page.get_by_text("Pick from your free numbers").click()


async def create_step_5(console: Console) -> None:
    await create_step_4(console)
    await console.page.get_by_label("Business").check()
    await console.page.get_by_label("Numbers", exact=True).fill("1")
    await press_continue(console.page)
    await expect(console.page.get_by_role("button", name="Create customer")).to_be_visible()


async def customer_created(console: Console) -> None:
    await create_step_5(console)
    await console.page.get_by_role("button", name="Create customer").click()
    await expect(console.page.locator("#customer-status")).to_have_text("Active")


async def customer_pending(console: Console) -> None:
    await customers(console)
    pending = console.page.get_by_role("row").filter(has_text="Awaiting activation")
    await pending.get_by_role("link").first.click()
    await expect(console.page.locator("#customer-status")).to_have_text("Awaiting activation")


async def converting(console: Console) -> None:
    await customer_pending(console)
    await console.page.get_by_role("link", name="Convert to WL-managed").click()
    await expect(console.page.locator("#credit-left")).to_be_visible()
    await console.page.get_by_text("Pick from your free numbers").click()


async def inviting(console: Console) -> None:
    await customers(console)
    active = console.page.get_by_role("row").filter(has_text="Active")
    await active.get_by_role("link").first.click()
    await console.page.get_by_role("link", name="Invite the customer to administer").click()
    await expect(console.page.get_by_role("heading", name="Invite the customer")).to_be_visible()


async def audit_trail(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Audit trail").click()
    await expect(console.page.get_by_role("heading", name="Audit trail")).to_be_visible()


async def payment_gateway(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Payment gateway").click()
    await expect(console.page.get_by_role("heading", name="Payment gateway")).to_be_visible()


async def users(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Users", exact=True).click()
    await expect(console.page.get_by_role("heading", name="Users")).to_be_visible()


async def user_invite_errors(console: Console) -> None:
    await users(console)
    await console.page.get_by_role("link", name="Invite user").click()
    await console.page.get_by_role("button", name="Send invitation").click()
    await expect(console.page.locator("#f-email-error")).to_be_visible()


async def a_user(console: Console) -> None:
    await users(console)
    await console.page.get_by_role(
        "link", name=staff_email(console.white_label.admin_email)
    ).click()
    await expect(console.page.get_by_role("button", name="Change role")).to_be_visible()


async def user_remove(console: Console) -> None:
    await a_user(console)
    await console.page.get_by_role("link", name="Remove user").click()
    await expect(console.page.get_by_role("button", name="Remove user")).to_be_visible()


async def account(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name=console.white_label.admin_email).click()
    await expect(console.page.get_by_role("heading", name="Your account")).to_be_visible()


async def api_key_created(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="API keys").click()
    await console.page.get_by_label("Name").fill("Billing sync")
    await console.page.get_by_label("Staff: reads only").check()
    await console.page.get_by_role("button", name="Create API key").click()
    await expect(console.page.locator("#new-key")).to_be_visible()


async def api_key_revoke(console: Console) -> None:
    await api_key_created(console)
    await console.page.get_by_role("link", name="Revoke Billing sync").first.click()
    await expect(console.page.get_by_role("button", name="Revoke key")).to_be_visible()


async def webhooks(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Webhooks").click()
    await console.page.get_by_role("button", name="Add endpoint").click()
    await expect(console.page.locator("#f-url-error")).to_be_visible()


async def webhook_endpoint(console: Console) -> None:
    await webhooks(console)
    await console.page.get_by_label("URL").fill("http://127.0.0.1:9/kiwivoice/provisioning")
    await console.page.get_by_label("customer.active").check()
    await console.page.get_by_role("button", name="Add endpoint").click()
    await console.page.get_by_role("link", name="http://127.0.0.1:9/kiwivoice").click()
    await expect(console.page.get_by_role("link", name="Rotate secret")).to_be_visible()


async def import_checked(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Import customers").click()
    template = await console.page.request.get(f"{console.api_url}/console/import/template.csv")
    await console.page.get_by_label("File").set_input_files(
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": await template.body()}
    )
    await console.page.get_by_role("button", name="Check the file").click()
    await expect(console.page.get_by_role("status")).to_contain_text("Checked")


async def import_upload_error(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Import customers").click()
    await console.page.get_by_role("button", name="Check the file").click()
    await expect(console.page.locator("#f-file-error")).to_be_visible()


async def brand_errors(console: Console) -> None:
    await customers(console)
    await console.page.get_by_role("link", name="Brand").click()
    await console.page.get_by_label("Colour").fill("teal")
    await console.page.get_by_role("button", name="Save brand").click()
    await expect(console.page.locator("#f-primary_colour-error")).to_be_visible()


async def not_allowed(console: Console) -> None:
    staff = staff_email(console.white_label.admin_email)
    await sign_in(console.page, console.api_url, console.mail_sink, staff)
    await console.page.goto(f"{console.api_url}/console/customers/new")
    await expect(console.page.get_by_role("heading", name="Not allowed")).to_be_visible()


PAGES: dict[str, Callable[[Console], Awaitable[None]]] = {
    "sign-in": signing_in,
    "check-email": check_your_email,
    "sign-in-link": sign_in_link_opened,
    "customers": customers,
    "create-step-1": create_step_1,
    "create-step-2": create_step_2,
    "create-step-2-errors": create_step_2_errors,
    "create-step-3": create_step_3,
    "create-step-4": create_step_4,
    "create-step-5": create_step_5,
    "customer-created": customer_created,
    "customer-pending": customer_pending,
    "action-convert": converting,
    "action-invite": inviting,
    "audit-trail": audit_trail,
    "payment-gateway": payment_gateway,
    "users": users,
    "user-invite-errors": user_invite_errors,
    "user": a_user,
    "user-remove": user_remove,
    "account": account,
    "api-key-created": api_key_created,
    "api-key-revoke": api_key_revoke,
    "webhooks-errors": webhooks,
    "webhook-endpoint": webhook_endpoint,
    "import-errors": import_upload_error,
    "import-checked": import_checked,
    "brand-errors": brand_errors,
    "not-allowed": not_allowed,
}


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=lambda screen: screen.name)
@pytest.mark.parametrize("name", PAGES)
async def test_the_console_page_fits_the_screen(
    name: str, screen: Screen, console: Console, page: Page, screenshots: Path
) -> None:
    await PAGES[name](console)
    await page.screenshot(path=screenshots / f"console-{name}-{screen.name}.png", full_page=True)

    problems = await page_problems(page, screen)

    assert problems == [], f"{name} at {screen.name}:\n" + "\n".join(problems)
