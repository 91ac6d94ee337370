"""Every customer page on a phone and on a desktop: it fits, every control can be reached,
every field is labelled, the header and buttons are readable; and a screenshot of each.

Screenshots go to the test's temporary directory; with UPDATE_SCREENSHOTS=1 (`make
screenshots`) to docs/screenshots/ as `{page}-{width}x{height}.png`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Locator, Page, expect

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.browser.brands import KIWI, branded
from tests.browser.conftest import DESKTOP, PHONE, Screen
from tests.browser.customer_pages import (
    activate,
    link_url,
    open_emailed_link,
    pay,
    pay_button,
    payment_message,
    until_account_active,
)
from tests.browser.page_checks import page_problems
from tests.conftest import WhiteLabelFixture
from tests.support.handover_helpers import invitations_to, managed_customer
from tests.support.self_serve_helpers import (
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    activated_signup,
    start_signup,
    until_status,
)
from tests.support.self_serve_helpers import pay as pay_through_the_api

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Customer:
    """A new self-serve customer of the test's white label, with the test's browser page."""

    api: httpx.AsyncClient
    api_url: str
    white_label: WhiteLabelFixture
    mail_sink: MailSink
    localstripe: str
    page: Page


@pytest_asyncio.fixture(loop_scope="session")
async def customer(
    api: httpx.AsyncClient,
    api_url: str,
    sessions: SessionFactory,
    mail_sink: MailSink,
    localstripe: str,
    page: Page,
) -> Customer:
    # A branded white label: its logo, colour and support footer are on every page checked.
    white_label = await branded(api, sessions, KIWI)
    return Customer(api, api_url, white_label, mail_sink, localstripe, page)


async def activation(customer: Customer) -> None:
    signup = await start_signup(customer.api, customer.white_label)
    await open_emailed_link(customer.page, customer.api_url, customer.mail_sink, signup.email)
    await expect(customer.page.get_by_role("button", name="Activate my account")).to_be_visible()


async def continue_to_payment(customer: Customer) -> None:
    """The emailed link opened again after activating, before paying."""
    _, link = await activated_signup(customer.api, customer.white_label, customer.mail_sink)
    await customer.page.goto(link_url(customer.api_url, link))
    await expect(customer.page.get_by_role("button", name="Continue to payment")).to_be_visible()


async def payment(customer: Customer) -> None:
    await activation(customer)
    await activate(customer.page)


async def payment_declined(customer: Customer) -> None:
    await payment(customer)
    await pay(customer.page, CARD_DECLINED_ON_CHARGE)
    await expect(payment_message(customer.page)).to_contain_text("declined")
    await expect(pay_button(customer.page)).to_be_enabled()


async def payment_succeeded(customer: Customer) -> None:
    """The card page once the page's polling finds the account active."""
    await payment(customer)
    await pay(customer.page, CARD_OK)
    await until_account_active(customer.page)


async def active(customer: Customer) -> None:
    """The emailed link opened again once the account is active."""
    signup, link = await activated_signup(customer.api, customer.white_label, customer.mail_sink)
    await pay_through_the_api(customer.api, customer.localstripe, link, CARD_OK)
    await until_status(customer.api, customer.white_label, signup.customer_id, "active")
    await customer.page.goto(link_url(customer.api_url, link))
    await until_account_active(customer.page)


async def link_invalid(customer: Customer) -> None:
    """A link whose token is wrong: the page every bad, stale or unknown link gets."""
    signup = await start_signup(customer.api, customer.white_label)
    response = await customer.page.goto(
        f"{customer.api_url}/activate/{signup.customer_id}?token=v1.not-the-right-token"
    )
    assert response is not None
    assert response.status == 404


def accept_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Accept and administer my account")


async def invitation(customer: Customer) -> None:
    """The emailed invitation to administer a WL-managed account."""
    customer_id, contact = await managed_customer(customer.api, customer.white_label)
    invited = await customer.api.post(
        f"/v1/customers/{customer_id}/handover", headers=customer.white_label.headers
    )
    assert invited.status_code == 202, invited.text
    [link] = await invitations_to(customer.mail_sink, contact, 1)
    await customer.page.goto(f"{customer.api_url}{link.path}?token={link.token}")
    await expect(accept_button(customer.page)).to_be_visible()


async def invitation_accepted(customer: Customer) -> None:
    await invitation(customer)
    await accept_button(customer.page).click()
    heading = customer.page.get_by_role("heading", name="You administer your account")
    await expect(heading).to_be_visible()


PAGES: dict[str, Callable[[Customer], Awaitable[None]]] = {
    "activation": activation,
    "continue-to-payment": continue_to_payment,
    "payment": payment,
    "payment-declined": payment_declined,
    "payment-succeeded": payment_succeeded,
    "active": active,
    "link-invalid": link_invalid,
    "invitation": invitation,
    "invitation-accepted": invitation_accepted,
}


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=lambda screen: screen.name)
@pytest.mark.parametrize("name", PAGES)
async def test_the_page_fits_the_screen(
    name: str, screen: Screen, customer: Customer, page: Page, screenshots: Path
) -> None:
    await PAGES[name](customer)
    await page.screenshot(path=screenshots / f"{name}-{screen.name}.png", full_page=True)

    problems = await page_problems(page, screen)

    assert problems == [], f"{name} at {screen.name}:\n" + "\n".join(problems)
