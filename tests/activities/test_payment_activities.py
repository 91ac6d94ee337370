"""Payment, balance and activation-email activities against localstripe, the database, SMTP."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.accounts import AccountActivities
from activities.balances import BalanceActivities
from activities.email import EmailActivities
from activities.mailer import SmtpMailer, SmtpSettings
from activities.payments import PaymentActivities
from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus
from domain.self_serve import (
    ActivationEmailInput,
    CancelPaymentsInput,
    PaymentAttemptInput,
    PaymentStatus,
    PaymentSucceeded,
    RecordPaymentInput,
    RefundLatePaymentInput,
)
from domain.settings import Settings
from domain.signup import CreateAccountInput, CustomerRef
from runtime.stripe_client import stripe_client
from store.engine import SessionFactory
from store.schema import AuditEntry, Customer, CustomerBalanceEntry, Payment
from tests.conftest import ACTIVATION_SECRET, WhiteLabelFixture, customer_request
from tests.support.self_serve_helpers import (
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    LINK,
    intents_of,
    refunded_intents,
    stripe_sdk,
    text_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
run = ActivityEnvironment().run


async def self_serve_customer(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> uuid.UUID:
    customer_id = uuid.uuid4()
    await run(
        AccountActivities(sessions).create_account,
        CreateAccountInput(
            customer_id=customer_id,
            white_label_id=white_label.id,
            created_by_user_id=white_label.admin_user_id,
            request=CreateCustomerRequest.model_validate(customer_request(path="self_serve")),
            status=CustomerStatus.AWAITING_ACTIVATION,
        ),
    )
    return customer_id


def payments(sessions: SessionFactory, settings: Settings) -> PaymentActivities:
    return PaymentActivities(sessions, stripe_client(settings), localstripe=True)


async def card(localstripe: str, number: str) -> str:
    method = await stripe_sdk(localstripe).v1.payment_methods.create_async(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    return str(method.id)


async def test_the_stripe_customer_is_created_once(
    sessions: SessionFactory, settings: Settings, white_label: WhiteLabelFixture
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    activities = payments(sessions, settings)

    first = await run(activities.ensure_stripe_customer, CustomerRef(customer_id=customer_id))
    second = await run(activities.ensure_stripe_customer, CustomerRef(customer_id=customer_id))

    assert first == second
    async with sessions() as session:
        assert (await session.get_one(Customer, customer_id)).stripe_customer_id == first


async def test_a_retried_payment_attempt_creates_one_payment_intent(
    sessions: SessionFactory,
    settings: Settings,
    white_label: WhiteLabelFixture,
    localstripe: str,
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    activities = payments(sessions, settings)
    await run(activities.ensure_stripe_customer, CustomerRef(customer_id=customer_id))
    attempt = PaymentAttemptInput(
        customer_id=customer_id,
        workflow_id=f"customer-{customer_id}",
        attempt=1,
        payment_method=await card(localstripe, CARD_OK),
    )

    first = await run(activities.start_payment_attempt, attempt)
    second = await run(activities.start_payment_attempt, attempt)

    assert first.status is second.status is PaymentStatus.SUCCEEDED
    assert first.payment_intent_id == second.payment_intent_id
    [intent] = await intents_of(localstripe, str(customer_id))
    assert intent.amount == 10000
    assert intent.currency == "nzd"
    assert intent.metadata.to_dict() == {
        "customer_id": str(customer_id),
        "white_label_id": str(white_label.id),
        "attempt": "1",
    }


async def test_a_declined_card_is_an_answer_not_an_error(
    sessions: SessionFactory,
    settings: Settings,
    white_label: WhiteLabelFixture,
    localstripe: str,
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    activities = payments(sessions, settings)
    await run(activities.ensure_stripe_customer, CustomerRef(customer_id=customer_id))

    result = await run(
        activities.start_payment_attempt,
        PaymentAttemptInput(
            customer_id=customer_id,
            workflow_id=f"customer-{customer_id}",
            attempt=1,
            payment_method=await card(localstripe, CARD_DECLINED_ON_CHARGE),
        ),
    )

    assert result.status is PaymentStatus.DECLINED
    assert result.message == "Your card was declined."
    await run(
        activities.cancel_open_payments,
        CancelPaymentsInput(customer_id=customer_id, refund_paid=False),
    )
    [intent] = await intents_of(localstripe, str(customer_id))
    assert intent.status == "canceled"


async def test_closing_refunds_a_paid_intent_once(
    sessions: SessionFactory,
    settings: Settings,
    white_label: WhiteLabelFixture,
    localstripe: str,
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    activities = payments(sessions, settings)
    await run(activities.ensure_stripe_customer, CustomerRef(customer_id=customer_id))
    paid = await run(
        activities.start_payment_attempt,
        PaymentAttemptInput(
            customer_id=customer_id,
            workflow_id=f"customer-{customer_id}",
            attempt=1,
            payment_method=await card(localstripe, CARD_OK),
        ),
    )
    assert paid.payment_intent_id is not None
    close = CancelPaymentsInput(customer_id=customer_id, refund_paid=True)

    first = await run(activities.cancel_open_payments, close)
    second = await run(activities.cancel_open_payments, close)
    late = await run(
        activities.refund_payment,
        RefundLatePaymentInput(
            customer_id=customer_id,
            payment=PaymentSucceeded(
                payment_intent_id=paid.payment_intent_id,
                amount=Decimal("100.00"),
                currency="NZD",
                event_id="evt_late",
            ),
            reason="test",
        ),
    )

    assert first.refunded_payment_intent_ids == [paid.payment_intent_id]
    assert second.refunded_payment_intent_ids == []
    assert late is None
    assert (await refunded_intents(localstripe)).count(paid.payment_intent_id) == 1


async def test_a_payment_is_recorded_and_credited_once(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    payment = RecordPaymentInput(
        customer_id=customer_id,
        payment=PaymentSucceeded(
            payment_intent_id=f"pi_{uuid.uuid4().hex[:14]}",
            amount=Decimal("100.00"),
            currency="NZD",
            event_id="evt_1",
        ),
    )

    await run(BalanceActivities(sessions).record_payment, payment)
    await run(BalanceActivities(sessions).record_payment, payment)

    async with sessions() as session:
        recorded = await session.scalar(
            select(func.count()).where(Payment.customer_id == customer_id)
        )
        credits = list(
            await session.scalars(
                select(CustomerBalanceEntry.amount).where(
                    CustomerBalanceEntry.customer_id == customer_id
                )
            )
        )
    assert recorded == 1
    assert credits == [Decimal("100.00")]


async def test_the_activation_email_is_sent_once_and_its_token_is_stored_nowhere(
    sessions: SessionFactory,
    settings: Settings,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    customer_id = await self_serve_customer(sessions, white_label)
    email = EmailActivities(
        sessions,
        SmtpMailer(SmtpSettings(host=settings.smtp_host, port=settings.smtp_port)),
        settings.mail_from,
        public_base_url="https://signup.reseller.example.com",
        activation_secret=ACTIVATION_SECRET.encode(),
    )
    data = ActivationEmailInput(
        customer_id=customer_id,
        link_version=1,
        expires_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
    )

    await run(email.send_activation, data)
    await run(email.send_activation, data)

    async with sessions() as session:
        contact = (await session.get_one(Customer, customer_id)).contact or {}
        details = [
            str(detail)
            for detail in await session.scalars(
                select(AuditEntry.detail).where(AuditEntry.customer_id == customer_id)
            )
        ]
    [message] = mail_sink.to(contact["email"])
    match = LINK.search(text_of(message))
    assert match is not None
    assert match.group(1) == "https://signup.reseller.example.com"
    assert "5 December 2026, 10:00 UTC" in text_of(message)
    token = match.group(3)
    assert not [detail for detail in details if token in detail]
