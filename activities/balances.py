"""Payments received from customers and the prepaid balance they fund."""

from sqlalchemy import select
from temporalio import activity

from domain.money import format_amount
from domain.self_serve import RecordPaymentInput
from store import audit
from store.engine import SessionFactory
from store.schema import Customer, CustomerBalanceEntry, Payment, PaymentAttempt


def payment_credit_key(payment_intent_id: str) -> str:
    return f"payment-{payment_intent_id}:credit"


class BalanceActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def record_payment(self, data: RecordPaymentInput) -> None:
        """Records the payment and credits the customer's balance, both exactly once."""
        payment = data.payment
        async with self._sessions.begin() as session:
            recorded = await session.scalar(
                select(Payment.id).where(
                    Payment.stripe_payment_intent_id == payment.payment_intent_id
                )
            )
            if recorded is not None:
                return
            customer = await session.get_one(Customer, data.customer_id)
            session.add(
                Payment(
                    customer_id=customer.id,
                    stripe_payment_intent_id=payment.payment_intent_id,
                    stripe_event_id=payment.event_id,
                    amount=payment.amount,
                    currency=payment.currency,
                )
            )
            session.add(
                CustomerBalanceEntry(
                    customer_id=customer.id,
                    amount=payment.amount,
                    currency=payment.currency,
                    reason="initial funding by card",
                    idempotency_key=payment_credit_key(payment.payment_intent_id),
                )
            )
            attempt = await session.scalar(
                select(PaymentAttempt).where(
                    PaymentAttempt.stripe_payment_intent_id == payment.payment_intent_id
                )
            )
            if attempt is not None:
                attempt.status = "succeeded"
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action="payment.received",
                detail={
                    "payment_intent_id": payment.payment_intent_id,
                    "amount": format_amount(payment.amount),
                    "currency": payment.currency,
                },
            )
