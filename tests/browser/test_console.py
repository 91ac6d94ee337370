"""The WL administrator's console in a real browser: sign in from the emailed link, create
customers with the help article's wizard, and watch a self-serve signup finish live."""

import re
from decimal import Decimal

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from activities.ledger import balance_owed
from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import Customer
from tests.browser.console_pages import (
    NewCustomer,
    choose_path,
    fill_address,
    fill_contact,
    press_continue,
    sign_in,
)
from tests.browser.customer_pages import (
    activate,
    open_emailed_link,
    pay,
    payment_message,
    until_account_active,
)
from tests.conftest import WhiteLabelFixture
from tests.support.console_helpers import staff_email
from tests.support.self_serve_helpers import CARD_DECLINED_ON_CHARGE, CARD_OK, start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _owed(sessions: SessionFactory, white_label: WhiteLabelFixture) -> Decimal:
    """What the white label owes on its billing account."""
    async with sessions() as session:
        return await balance_owed(session, white_label.id)


async def _customer_count(sessions: SessionFactory, white_label: WhiteLabelFixture) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).where(Customer.white_label_id == white_label.id)
        )
    return int(found or 0)


async def test_an_administrator_creates_a_wl_managed_customer_with_numbers_and_an_extension(
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    page: Page,
    page_errors: list[str],
) -> None:
    customer = NewCustomer.fresh()
    owed_before = await _owed(sessions, white_label)

    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await choose_path(page, "Me, the White Label administrator")
    await fill_contact(page, customer)
    await fill_address(page)
    await page.get_by_label("Business").check()
    await expect(page.locator("#credit-left")).to_contain_text("1000.00 NZD")
    await page.get_by_label("Numbers", exact=True).fill("2")
    await page.get_by_label("Timezone").select_option("Pacific/Auckland")
    await page.get_by_label("Extension number").fill("100")
    await page.get_by_label("Extension name").fill("Reception")
    await press_continue(page)
    await expect(page.get_by_text("Charged to your WL account")).to_be_visible()
    await page.get_by_role("button", name="Create customer").click()

    await expect(
        page.get_by_text("Your new customer has been successfully created!")
    ).to_be_visible()
    await expect(page.locator("#customer-status")).to_have_text("Active")
    numbers = page.get_by_role("region", name="Numbers").get_by_role("listitem")
    await expect(numbers).to_have_count(2)
    admins = page.get_by_role("region", name="Account Administrators")
    await expect(admins).to_contain_text(white_label.admin_email)
    billing = page.get_by_role("region", name="Billing")
    await expect(billing).to_contain_text("74.00 NZD")
    await expect(page.get_by_role("region", name="PBX settings")).to_contain_text("Reception")
    owed_after = await _owed(sessions, white_label)
    assert owed_after - owed_before == Decimal("74.00")
    assert page_errors == []


async def test_the_customer_page_follows_a_self_serve_signup_to_active_by_itself(
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    context: BrowserContext,
    page: Page,
    page_errors: list[str],
) -> None:
    customer = NewCustomer.fresh()
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await choose_path(page, "The New Customer")
    await fill_contact(page, customer)
    await fill_address(page)
    await page.get_by_label("Business").check()
    await press_continue(page)
    await page.get_by_role("button", name="Create customer").click()
    await expect(
        page.get_by_text(f"The activation email was sent to {customer.email}")
    ).to_be_visible()
    await expect(page.locator("#customer-status")).to_have_text("Awaiting activation")
    # A marker in the page's own window: were the page reloaded, it would be gone.
    await page.evaluate("window.consoleTestMarker = 'still the same page'")

    as_customer = await context.new_page()
    await open_emailed_link(as_customer, api_url, mail_sink, customer.email)
    await activate(as_customer)
    await expect(page.locator("#customer-status")).to_have_text("Awaiting payment")
    await pay(as_customer, CARD_DECLINED_ON_CHARGE)
    await expect(payment_message(as_customer)).to_contain_text("declined")
    await pay(as_customer, CARD_OK)
    await until_account_active(as_customer)

    await expect(page.locator("#customer-status")).to_have_text("Active")
    timeline = page.get_by_role("region", name="Timeline")
    await expect(timeline).to_contain_text("Card payment attempt 2: paid")
    steps = await timeline.get_by_role("listitem").all_inner_texts()
    said = " | ".join(steps)
    for expected in (
        "Created by a WL administrator",
        "Activation email sent to the customer",
        "Activated by the customer; awaiting payment",
        "Card payment attempt 1: declined",
        "Card payment attempt 2: paid",
        "Active",
    ):
        assert expected in said, said
    assert said.index("attempt 1: declined") < said.index("attempt 2: paid")
    assert await page.evaluate("window.consoleTestMarker") == "still the same page"
    assert page_errors == []


async def test_staff_see_no_create_link_and_a_direct_post_is_refused(
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    page: Page,
) -> None:
    await sign_in(page, api_url, mail_sink, staff_email(white_label.admin_email))

    await expect(page.get_by_role("link", name="Create new customer")).to_have_count(0)
    token = await page.locator('input[name="csrf_token"]').first.input_value()
    posted = await page.request.post(
        f"{api_url}/console/customers/new",
        form={"csrf_token": token, "step": "5", "action": "create", "path": "wl_managed"},
        max_redirects=0,
    )
    assert posted.status == 403
    assert "Only Administrators can create New Customers" in await posted.text()
    assert await _customer_count(sessions, white_label) == 0


async def test_a_bad_email_and_a_missing_city_show_next_to_their_fields(
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    page: Page,
) -> None:
    customer = NewCustomer.fresh()
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await choose_path(page, "Me, the White Label administrator")

    await fill_contact(page, customer, email="mere at example")
    email = page.get_by_label("Email")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(email).to_have_accessible_description(re.compile("not a valid email address"))
    await expect(page.locator("#f-contact-email-error")).to_be_visible()
    await email.fill(customer.email)
    await press_continue(page)

    await fill_address(page, city="")
    city = page.get_by_label("City", exact=True)
    await expect(city).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-address-city-error")).to_have_text("Field required")
    await expect(page.get_by_role("heading", name="Step 3 of 5")).to_be_visible()
    assert await _customer_count(sessions, white_label) == 0


async def test_an_administrator_converts_a_pending_self_serve_customer_from_its_page(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    page: Page,
    page_errors: list[str],
) -> None:
    signup = await start_signup(api, white_label)
    owed_before = await _owed(sessions, white_label)
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.goto(f"{api_url}/console/customers/{signup.customer_id}")
    await expect(page.locator("#customer-status")).to_have_text("Awaiting activation")

    await page.get_by_role("link", name="Convert to WL-managed").click()
    await expect(page.locator("#credit-left")).to_contain_text("74.00 NZD")
    await page.get_by_label("Numbers", exact=True).fill("1")
    await page.get_by_role("button", name="Convert to WL-managed").click()

    await expect(page.get_by_text("The customer is now WL-managed and active.")).to_be_visible()
    await expect(page.locator("#customer-status")).to_have_text("Active")
    await expect(page.get_by_role("region", name="Billing")).to_contain_text("74.00 NZD")
    await expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Converted to WL-managed by the WL administrator"
    )
    owed_after = await _owed(sessions, white_label)
    assert owed_after - owed_before == Decimal("74.00")
    assert page_errors == []
