"""A signed success event activates a signup only if Stripe bears it out, for exactly the
amount asked (issue 18, item 3)."""

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import AuditEntry, PaymentAttempt
from tests.conftest import WhiteLabelFixture
from tests.support.self_serve_helpers import (
    CARD_3DS,
    CARD_OK,
    activated_signup,
    customer,
    intent_event,
    pay,
    signed,
    stripe_sdk,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _actions(sessions: SessionFactory, customer_id: str) -> list[str]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.customer_id == uuid.UUID(customer_id))
                .order_by(AuditEntry.created_at)
            )
        )


async def _until_action(
    sessions: SessionFactory, customer_id: str, action: str, timeout: float = 20
) -> list[str]:
    async with asyncio.timeout(timeout):
        while action not in (actions := await _actions(sessions, customer_id)):
            await asyncio.sleep(0.2)
    return actions


async def test_a_signed_success_for_an_intent_stripe_has_not_charged_activates_nothing(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    answer = await pay(api, localstripe, link, CARD_3DS)  # stays requires_action at Stripe
    intent = {
        "id": answer["client_secret"].split("_secret_")[0],
        "object": "payment_intent",
        "amount": 1,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"customer_id": signup.customer_id, "white_label_id": str(white_label.id)},
    }
    body = intent_event("payment_intent.succeeded", intent)

    response = await api.post("/webhooks/stripe", content=body, headers=signed(body))
    metrics = await api.get("/metrics")

    assert response.status_code == 200
    assert response.json()["outcome"] == "unconfirmed"
    view = await customer(api, white_label, signup.customer_id)
    assert view["status"] == "awaiting_payment"
    assert view["billing"]["charged"] == "0.00"
    assert "payment.unconfirmed" in await _actions(sessions, signup.customer_id)
    assert 'stripe_webhooks_total{outcome="unconfirmed"}' in metrics.text


async def test_a_payment_stripe_took_for_another_amount_is_refunded_and_activates_nothing(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
) -> None:
    """A real intent of this customer, really paid, for 0.01 USD instead of 100.00 NZD: Stripe's
    own signed webhook reports it. It goes back, and the signup waits for a right payment."""
    signup, _ = await activated_signup(api, white_label, mail_sink)
    sdk = stripe_sdk(localstripe)
    card = await sdk.v1.payment_methods.create_async(
        params={
            "type": "card",
            "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    intent = await sdk.v1.payment_intents.create_async(
        params={
            "amount": 1,
            "currency": "usd",
            "payment_method": card.id,
            "metadata": {
                "customer_id": signup.customer_id,
                "white_label_id": str(white_label.id),
            },
        }
    )
    async with sessions.begin() as session:
        session.add(
            PaymentAttempt(
                customer_id=uuid.UUID(signup.customer_id),
                attempt=99,
                stripe_payment_intent_id=intent.id,
                status="processing",
                amount=Decimal("100.00"),
                currency="NZD",
            )
        )

    await sdk.v1.payment_intents.confirm_async(intent.id)  # localstripe signs and sends its event

    actions = await _until_action(sessions, signup.customer_id, "payment.refunded")
    assert "payment.amount_mismatch" in actions
    refunds = await sdk.v1.refunds.list_async(params={"payment_intent": intent.id})
    assert len(refunds.data) == 1
    view = await customer(api, white_label, signup.customer_id)
    assert view["status"] == "awaiting_payment"
    assert view["billing"]["charged"] == "0.00"
