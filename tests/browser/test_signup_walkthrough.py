"""The self-serve signup as the customer sees it: a real browser on the emailed link."""

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from tests.browser.customer_pages import (
    activate,
    activate_button,
    card_field,
    open_emailed_link,
    pay,
    pay_button,
    payment_message,
    until_account_active,
)
from tests.conftest import WhiteLabelFixture
from tests.support.self_serve_helpers import (
    CARD_3DS,
    CARD_DECLINED_ON_CHARGE,
    CARD_DECLINED_ON_SETUP,
    CARD_OK,
    customer,
    start_signup,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_customer_activates_from_the_email_and_pays_by_card(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    signup = await start_signup(api, white_label)

    await open_emailed_link(page, api_url, mail_sink, signup.email)
    await expect(page.get_by_text(signup.view["business"]["name"])).to_be_visible()
    await expect(activate_button(page)).to_be_enabled()
    await activate(page)
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"
    await pay(page, CARD_OK)

    await until_account_active(page)
    assert (await customer(api, white_label, signup.customer_id))["status"] == "active"
    assert page_errors == []


@pytest.mark.parametrize(
    "declined_card",
    [
        # localstripe refuses this one when the page saves it (SetupIntent confirmation, 402
        # "Your card was declined."): the page shows Stripe.js's error and asks the API for a
        # fresh SetupIntent.
        pytest.param(CARD_DECLINED_ON_SETUP, id="declined-when-saved"),
        # localstripe saves this one but declines the charge: the API answers `declined`
        # with the message the workflow recorded.
        pytest.param(CARD_DECLINED_ON_CHARGE, id="declined-when-charged"),
    ],
)
async def test_a_declined_card_shows_why_and_another_card_can_be_tried(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
    declined_card: str,
) -> None:
    signup = await start_signup(api, white_label)
    await open_emailed_link(page, api_url, mail_sink, signup.email)
    await activate(page)

    await pay(page, declined_card)

    await expect(payment_message(page)).to_contain_text("declined")
    await expect(pay_button(page)).to_be_enabled()
    await expect(card_field(page, "number")).to_be_editable()
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"

    await pay(page, CARD_OK)

    await until_account_active(page)
    assert (await customer(api, white_label, signup.customer_id))["status"] == "active"
    assert page_errors == []


async def test_a_card_needing_3d_secure_is_confirmed_in_the_banks_dialog(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
) -> None:
    signup = await start_signup(api, white_label)
    await open_emailed_link(page, api_url, mail_sink, signup.email)
    await activate(page)

    await pay(page, CARD_3DS)

    # localstripe's stand-in for the bank's 3-D Secure dialog: a box with two buttons, shown
    # once when the card is saved and once more when the charge needs authenticating.
    for _ in range(2):
        confirm = page.get_by_role("button", name="Complete authentication")
        await confirm.click()
        await expect(confirm).to_have_count(0)
    await until_account_active(page)
    assert (await customer(api, white_label, signup.customer_id))["status"] == "active"
    assert page_errors == []
