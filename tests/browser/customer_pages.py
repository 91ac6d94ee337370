"""What the customer does in the browser, step by step, for the browser tests.

The card form in the tests is localstripe's fake Stripe.js (served at the page's
`stripe_js_url`): where real Stripe.js mounts a cross-origin iframe, it appends plain text
inputs to `#card-element`, named only by their placeholders (`number`, `exp_month`,
`exp_year`, `cvc`, `postal_code`). Its quirks, which the steps below follow:

- the number must be exactly 16 characters, so it is typed without the spaces a customer
  might put in ("4242 4242 4242 4242" is refused as "Bad request");
- the year is two digits: the script prepends "20" itself ("34" is 2034, "2034" would be
  202034 and refused);
- focus jumps to the next field once one is complete, as real Stripe Elements does.
"""

from playwright.async_api import Locator, Page, expect

from devstack.mailsink import MailSink
from tests.support.self_serve_helpers import ActivationLink, emailed_link

EXPIRY_MONTH = "12"
EXPIRY_YEAR = "34"
CVC = "123"
POSTCODE = "1010"


def link_url(api_url: str, link: ActivationLink) -> str:
    """The activation link as the email gives it to the customer."""
    return f"{api_url}{link.path}?token={link.token}"


async def open_emailed_link(page: Page, api_url: str, mail_sink: MailSink, email: str) -> None:
    """Takes the link from the activation email the SMTP sink received and opens it."""
    link = await emailed_link(mail_sink, email)
    response = await page.goto(link_url(api_url, link))
    assert response is not None
    assert response.status == 200, await response.text()


def activate_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Activate my account")


def pay_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Pay 100.00 NZD")


def payment_message(page: Page) -> Locator:
    """`#payment-message`, the form's live region (role=status)."""
    return page.get_by_role("status")


def card_field(page: Page, field: str) -> Locator:
    return page.locator("#card-element").get_by_placeholder(field, exact=True)


async def activate(page: Page) -> None:
    """Clicks Activate on the activation page and waits for the card form."""
    await activate_button(page).click()
    await expect(card_field(page, "number")).to_be_editable()
    await expect(pay_button(page)).to_be_enabled()


async def enter_card(page: Page, number: str) -> None:
    """Types a card into the (fake) card element, replacing whatever was typed before."""
    for field, value in [
        ("number", number),
        ("exp_month", EXPIRY_MONTH),
        ("exp_year", EXPIRY_YEAR),
        ("cvc", CVC),
        ("postal_code", POSTCODE),
    ]:
        input_ = card_field(page, field)
        await input_.fill("")
        await input_.press_sequentially(value)
        await expect(input_).to_have_value(value)


async def pay(page: Page, number: str) -> None:
    """Enters the card and presses Pay; the caller waits for the outcome it expects."""
    await enter_card(page, number)
    await pay_button(page).click()


async def until_account_active(page: Page) -> None:
    """The page, polling the signup's status, says the account is active."""
    await expect(page.get_by_role("heading", name="Your account is active")).to_be_visible()
