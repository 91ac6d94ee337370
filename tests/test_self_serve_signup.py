"""The New Customer: activation email, activation page, card funding, Stripe's webhook."""

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from starter.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import CustomerBalanceEntry, Payment
from tests.conftest import WhiteLabelFixture
from tests.self_serve_helpers import (
    customer,
    link_in,
    mails_to,
    pay,
    start_signup,
    text_of,
    until_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_self_serve_customer_activates_and_funds_the_account_by_card(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
) -> None:
    signup = await start_signup(api, white_label)
    assert signup.view["status"] == "awaiting_activation"
    assert signup.view["activation_expires_at"] is not None
    assert signup.view["account_administrators"] == []

    [email] = await mails_to(mail_sink, signup.email, 1)
    text = text_of(email)
    assert email["Subject"].startswith("Activate your Reseller")
    assert "100.00 NZD" in text
    assert "Business" in text
    assert "works until" in text
    assert text_of(email, "html")
    link = link_in(email)
    assert link.customer_id == signup.customer_id

    page = await api.get(link.path, params={"token": link.token})
    assert page.status_code == 200
    assert "Activate my account" in page.text
    assert signup.view["business"]["name"] in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert (await customer(api, white_label, signup.customer_id))["status"] == (
        "awaiting_activation"
    )

    activated = await api.post(link.path, data={"token": link.token})
    assert activated.status_code == 200
    assert "card-element" in activated.text
    assert "100.00 NZD" in activated.text
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"

    answer = await pay(api, localstripe, link)
    assert answer == {"status": "succeeded"}

    view = await until_status(api, white_label, signup.customer_id, "active")
    assert view["billing"] == {
        "mode": "customer_card",
        "charged": "100.00",
        "currency": "NZD",
        "balance": "100.00",
    }
    assert view["account_administrators"] == [{"email": signup.email, "kind": "customer_contact"}]
    assert view["activated_at"] is not None
    welcome = await mails_to(mail_sink, signup.email, 2)
    assert welcome[1]["Subject"].startswith("Welcome to Reseller")
    notices = await mails_to(mail_sink, white_label.admin_email, 1)
    assert notices[0]["Subject"].startswith("Customer active")
    async with sessions() as session:
        payments = await session.scalar(
            select(func.count()).where(Payment.customer_id == uuid.UUID(signup.customer_id))
        )
        credits = list(
            await session.scalars(
                select(CustomerBalanceEntry.amount).where(
                    CustomerBalanceEntry.customer_id == uuid.UUID(signup.customer_id)
                )
            )
        )
    assert payments == 1
    assert [str(amount) for amount in credits] == ["100.00"]
