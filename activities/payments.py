"""Card payments through Stripe: the customer's Stripe record, PaymentIntents, refunds.

Every call that creates something at Stripe carries an idempotency key, and the attempt's
intent is recorded before it is confirmed, so a retried activity finds it instead of making
another (Stripe forgets idempotency keys after 24 hours; this table does not).
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from stripe.params import PaymentIntentCreateParams
from temporalio import activity

from activities.refusals import refuse
from domain.errors import BusinessError
from domain.money import CENT, format_amount
from domain.self_serve import (
    CancelPaymentsInput,
    CancelPaymentsResult,
    PaymentAttemptInput,
    PaymentStatus,
    RefundLatePaymentInput,
    SubmitPaymentResult,
)
from domain.signup import CustomerRef
from domain.stripe_params import card_only
from runtime.stripe_client import request_options
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import Customer, Payment, PaymentAttempt, Plan, WhiteLabel, utcnow

CANCELLABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
DECLINED_MESSAGE = "Your card was declined. Please try another card."
# Attempt outcomes the audit trail shows; a success is `payment.received`, from Stripe's event.
AUDITED_ATTEMPT_STATUSES = {"declined", "canceled"}


def minor_units(amount: Decimal) -> int:
    return int(amount / CENT)


@dataclass(frozen=True)
class _Billing:
    customer: Customer
    white_label: WhiteLabel
    plan: Plan

    def options(self, idempotency_key: str | None = None) -> stripe.RequestOptions:
        return request_options(self.white_label.payment_gateway_account, idempotency_key)


async def _billing(session: AsyncSession, customer_id: uuid.UUID) -> _Billing:
    customer = await session.get_one(Customer, customer_id)
    return _Billing(
        customer=customer,
        white_label=await session.get_one(WhiteLabel, customer.white_label_id),
        plan=await session.get_one(Plan, customer.plan_id),
    )


def _result(intent: Any) -> SubmitPaymentResult:
    status = intent.status
    if status in {"succeeded", "processing"}:
        return SubmitPaymentResult(status=PaymentStatus.SUCCEEDED, payment_intent_id=intent.id)
    if status == "requires_action":
        return SubmitPaymentResult(
            status=PaymentStatus.REQUIRES_ACTION, payment_intent_id=intent.id
        )
    error = getattr(intent, "last_payment_error", None)
    message = getattr(error, "message", None) if error else None
    return SubmitPaymentResult(
        status=PaymentStatus.DECLINED,
        payment_intent_id=intent.id,
        message=message or DECLINED_MESSAGE,
    )


class PaymentActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        client: stripe.StripeClient | None,
        *,
        localstripe: bool = False,
    ) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._client = client
        self._card_only = card_only(localstripe)

    @property
    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            raise refuse(
                BusinessError.PAYMENT_GATEWAY_MISSING,
                "this deployment has no Stripe account configured (STRIPE_SECRET_KEY)",
            )
        return self._client

    @activity.defn
    async def ensure_stripe_customer(self, ref: CustomerRef) -> str:
        """The customer's Stripe record, created once; the card form saves cards to it."""
        async with self._reads() as session:
            billing = await _billing(session, ref.customer_id)
        if billing.customer.stripe_customer_id:
            return billing.customer.stripe_customer_id
        contact = billing.customer.contact or {}
        created = await self._stripe.v1.customers.create_async(
            params={
                "email": contact.get("email", ""),
                "name": f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(),
                "metadata": {
                    "customer_id": str(ref.customer_id),
                    "white_label_id": str(billing.white_label.id),
                },
            },
            options=billing.options(f"customer-{ref.customer_id}-stripe-customer"),
        )
        async with self._sessions.begin() as session:
            customer = await session.get_one(Customer, ref.customer_id)
            if customer.stripe_customer_id is None:
                customer.stripe_customer_id = created.id
            return customer.stripe_customer_id or created.id

    @activity.defn
    async def start_payment_attempt(self, data: PaymentAttemptInput) -> SubmitPaymentResult:
        """Creates (or finds) this attempt's PaymentIntent and confirms it server-side."""
        async with self._reads() as session:
            billing = await _billing(session, data.customer_id)
            row = await session.scalar(
                select(PaymentAttempt).where(
                    PaymentAttempt.customer_id == data.customer_id,
                    PaymentAttempt.attempt == data.attempt,
                )
            )
        if billing.customer.stripe_customer_id is None:
            raise RuntimeError("the Stripe customer must exist before a payment attempt")
        if row is None:
            intent = await self._create_intent(data, billing)
            row = await self._record_attempt(data, billing, intent.id)
        else:
            intent = await self._stripe.v1.payment_intents.retrieve_async(
                row.stripe_payment_intent_id, options=billing.options()
            )
        if intent.status == "requires_confirmation":
            try:
                intent = await self._stripe.v1.payment_intents.confirm_async(
                    intent.id, options=billing.options()
                )
            except stripe.CardError as error:
                await self._set_attempt_status(row.id, "declined")
                return SubmitPaymentResult(
                    status=PaymentStatus.DECLINED,
                    payment_intent_id=row.stripe_payment_intent_id,
                    message=error.user_message or DECLINED_MESSAGE,
                )
        result = _result(intent)
        await self._set_attempt_status(row.id, intent.status)
        return result

    async def _create_intent(self, data: PaymentAttemptInput, billing: _Billing) -> Any:
        params: dict[str, Any] = {
            "amount": minor_units(billing.plan.initial_funding),
            "currency": billing.plan.currency.lower(),
            "customer": billing.customer.stripe_customer_id or "",
            "payment_method": data.payment_method,
            "metadata": {
                "customer_id": str(data.customer_id),
                "white_label_id": str(billing.white_label.id),
                "attempt": str(data.attempt),
            },
            **self._card_only,
        }
        try:
            return await self._stripe.v1.payment_intents.create_async(
                params=cast(PaymentIntentCreateParams, params),
                options=billing.options(f"{data.workflow_id}-payment-{data.attempt}"),
            )
        except stripe.InvalidRequestError as error:
            # A payment method that does not exist or belongs elsewhere: the customer may
            # try another card, so this is a declined attempt, not a failed signup.
            activity.logger.warning(
                "payment method refused by Stripe",
                extra={"customer_id": str(data.customer_id), "code": error.code},
            )
            raise refuse(BusinessError.PAYMENT_METHOD_REFUSED, DECLINED_MESSAGE) from None

    async def _record_attempt(
        self, data: PaymentAttemptInput, billing: _Billing, intent_id: str
    ) -> PaymentAttempt:
        row = PaymentAttempt(
            customer_id=data.customer_id,
            attempt=data.attempt,
            stripe_payment_intent_id=intent_id,
            status="created",
            amount=billing.plan.initial_funding,
            currency=billing.plan.currency,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                audit.record(
                    session,
                    white_label_id=billing.white_label.id,
                    customer_id=data.customer_id,
                    action="payment.attempted",
                    detail={
                        "attempt": data.attempt,
                        "payment_intent_id": intent_id,
                        "amount": format_amount(billing.plan.initial_funding),
                    },
                )
        except IntegrityError:
            async with self._reads() as session:
                found = await session.scalar(
                    select(PaymentAttempt).where(
                        PaymentAttempt.customer_id == data.customer_id,
                        PaymentAttempt.attempt == data.attempt,
                    )
                )
            assert found is not None
            return found
        return row

    async def _set_attempt_status(self, attempt_id: uuid.UUID, status: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get_one(PaymentAttempt, attempt_id)
            if row.status == status:
                return
            row.status = status
            if status in AUDITED_ATTEMPT_STATUSES:
                customer = await session.get_one(Customer, row.customer_id)
                audit.record(
                    session,
                    white_label_id=customer.white_label_id,
                    customer_id=row.customer_id,
                    action=f"payment.{status}",
                    detail={
                        "attempt": row.attempt,
                        "payment_intent_id": row.stripe_payment_intent_id,
                    },
                )

    @activity.defn
    async def cancel_open_payments(self, data: CancelPaymentsInput) -> CancelPaymentsResult:
        """Cancels the customer's unfinished intents; with `refund`, refunds paid ones too."""
        async with self._reads() as session:
            billing = await _billing(session, data.customer_id)
            rows = list(
                await session.scalars(
                    select(PaymentAttempt).where(PaymentAttempt.customer_id == data.customer_id)
                )
            )
        refunded: list[str] = []
        for row in rows:
            if row.status in {"canceled", "refunded"}:
                continue
            intent = await self._stripe.v1.payment_intents.retrieve_async(
                row.stripe_payment_intent_id, options=billing.options()
            )
            status = intent.status
            if status in CANCELLABLE:
                intent = await self._stripe.v1.payment_intents.cancel_async(
                    intent.id, options=billing.options()
                )
                status = intent.status
            elif status == "succeeded" and data.refund_paid:
                await self._refund(billing, intent.id, reason="signup closed before payment")
                refunded.append(intent.id)
                status = "refunded"
            await self._set_attempt_status(row.id, status)
        return CancelPaymentsResult(refunded_payment_intent_ids=refunded)

    @activity.defn
    async def refund_payment(self, data: RefundLatePaymentInput) -> None:
        """A payment that arrived when the signup could no longer take it goes back."""
        async with self._reads() as session:
            billing = await _billing(session, data.customer_id)
        await self._refund(billing, data.payment.payment_intent_id, reason=data.reason)

    async def _refund(self, billing: _Billing, payment_intent_id: str, reason: str) -> None:
        # One key marks the refund done here and makes it idempotent at Stripe.
        dedupe_key = f"refund-{payment_intent_id}"
        async with self._reads() as session:
            done = await audit.already_recorded(session, dedupe_key)
        if done:
            return
        await self._stripe.v1.refunds.create_async(
            params={"payment_intent": payment_intent_id},
            options=billing.options(dedupe_key),
        )
        async with self._sessions.begin() as session:
            payment = await session.scalar(
                select(Payment).where(Payment.stripe_payment_intent_id == payment_intent_id)
            )
            if payment is not None and payment.refunded_at is None:
                payment.refunded_at = utcnow()
            attempt = await session.scalar(
                select(PaymentAttempt).where(
                    PaymentAttempt.stripe_payment_intent_id == payment_intent_id
                )
            )
            if attempt is not None:
                attempt.status = "refunded"
            await audit.record_once(
                session,
                dedupe_key=dedupe_key,
                white_label_id=billing.white_label.id,
                customer_id=billing.customer.id,
                action="payment.refunded",
                detail={"payment_intent_id": payment_intent_id, "reason": reason},
            )
