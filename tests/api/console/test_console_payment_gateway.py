"""The console says whether the white label can take cards, and what to do when it cannot."""

import pytest

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.console_helpers import signed_in_client

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_white_label_with_a_gateway_sees_it_configured(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/payment-gateway")

    assert page.status_code == 200
    assert "Configured:" in page.text
    assert "The platform's account" in page.text


async def test_a_white_label_without_one_is_told_who_sets_it_up(
    api_url: str, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    no_cards = await make_white_label(sessions, payment_gateway=False)
    async with signed_in_client(api_url, mail_sink, no_cards.admin_email) as console:
        page = await console.get("/console/payment-gateway")
        wizard = await console.get("/console/customers/new")

    assert "Not configured:" in page.text
    assert f"set-payment-gateway --wl {no_cards.id} --provider stripe" in page.text
    assert 'href="/console/payment-gateway"' in wizard.text
