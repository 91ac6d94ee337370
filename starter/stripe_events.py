"""Stripe webhook events, turned into signals for the signup they belong to.

The webhook tells when to look; Stripe itself says what happened. An event is trusted only
after its signature checks out, and acted on only if it names an intent this service created
for that customer and white label; anything else is acknowledged and logged, never signalled.
A success is then read back from Stripe: only an intent Stripe says succeeded, for exactly the
amount and currency of the payment attempt, activates the signup. One that succeeded for
another amount is refunded (the late-payment path) and the signup waits for a right payment;
the audit trail records both cases, and `stripe_webhooks{outcome}` counts them.
"""

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.money import CENT, format_amount
from domain.self_serve import PaymentFailed, PaymentSucceeded, RefundLatePaymentInput
from domain.settings import Settings
from domain.signup import workflow_id_for
from runtime.stripe_client import request_options
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import Customer, Payment, PaymentAttempt, StripeEvent, WhiteLabel
from workflows.late_payment import LatePaymentRefundWorkflow, late_payment_workflow_id
from workflows.self_serve import SelfServeSignupWorkflow

log = logging.getLogger(__name__)
HANDLED = {"payment_intent.succeeded", "payment_intent.payment_failed"}
DECLINED = "Your card was declined."
S = TypeVar("S", PaymentSucceeded, PaymentFailed)
TOLERANCE_SECONDS = 300
CLOCK_SKEW_SECONDS = 30


class BadSignature(ValueError):
    """The event is not from Stripe (or not for this endpoint's secret)."""


def _signed_at(signature: str) -> int | None:
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def verify_event(
    payload: bytes, signature: str | None, secrets: list[str], now: float | None = None
) -> dict[str, Any]:
    """The event if any configured secret signed it (two during a secret rotation).

    Stripe's check refuses a signature older than the tolerance (a replay); one dated in the
    future beyond a small clock skew is refused here too, so a captured request cannot be
    made to live longer by forging the date forward.
    """
    signed_at = _signed_at(signature or "")
    if signed_at is not None and signed_at > (now or time.time()) + CLOCK_SKEW_SECONDS:
        raise BadSignature("the signature is dated in the future")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            continue
        try:
            event: dict[str, Any] = json.loads(payload)
        except json.JSONDecodeError:
            raise BadSignature("the signed body is not JSON") from None
        return event
    raise BadSignature("signature verification failed")


@dataclass(frozen=True)
class _Target:
    customer: Customer
    white_label: WhiteLabel
    attempt: PaymentAttempt


class StripeEvents:
    def __init__(
        self,
        client: Client,
        sessions: SessionFactory,
        settings: Settings,
        stripe_client: stripe.StripeClient | None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings
        self._stripe = stripe_client

    async def handle(self, event: dict[str, Any]) -> str:
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        if kind not in HANDLED or not event_id:
            return "ignored"
        async with self._reads() as session:
            if await session.get(StripeEvent, event_id) is not None:
                return "duplicate"
        intent: dict[str, Any] = event.get("data", {}).get("object", {})
        target = await self._target(intent, event.get("account"))
        if target is None:
            log.warning("stripe event for an intent this service did not create: %s", event_id)
            await self._remember(event_id, kind)
            return "ignored"
        if kind == "payment_intent.succeeded":
            outcome = await self._succeeded(event_id, intent, target)
        else:
            outcome = await self._failed(event_id, intent, target)
        await self._remember(event_id, kind)
        return outcome

    async def _target(self, intent: dict[str, Any], account: object) -> _Target | None:
        metadata = intent.get("metadata") or {}
        try:
            customer_id = uuid.UUID(str(metadata.get("customer_id")))
        except ValueError:
            return None
        async with self._reads() as session:
            attempt = await session.scalar(
                select(PaymentAttempt).where(
                    PaymentAttempt.stripe_payment_intent_id == str(intent.get("id")),
                    PaymentAttempt.customer_id == customer_id,
                )
            )
            customer = await session.get(Customer, customer_id)
            if attempt is None or customer is None:
                return None
            white_label = await session.get_one(WhiteLabel, customer.white_label_id)
        if metadata.get("white_label_id") != str(white_label.id):
            return None
        if (account or None) != white_label.payment_gateway_account:
            return None
        return _Target(customer=customer, white_label=white_label, attempt=attempt)

    async def _succeeded(self, event_id: str, intent: dict[str, Any], target: _Target) -> str:
        confirmed = await self._as_stripe_has_it(str(intent["id"]), target)
        if confirmed.status != "succeeded":
            await self._suspicious(target, event_id, "payment.unconfirmed", confirmed)
            return "unconfirmed"
        payment = PaymentSucceeded(
            payment_intent_id=confirmed.id,
            amount=(Decimal(confirmed.amount) * CENT).quantize(CENT),
            currency=confirmed.currency.upper(),
            event_id=event_id,
        )
        attempt = target.attempt
        if (payment.amount, payment.currency) != (attempt.amount, attempt.currency.upper()):
            await self._suspicious(target, event_id, "payment.amount_mismatch", confirmed)
            await self._refund(payment, target, "its amount did not match the payment asked for")
            return "amount mismatch"
        if await self._signal(target, SelfServeSignupWorkflow.payment_succeeded, payment):
            return "signalled"
        return await self._late(payment, target)

    async def _as_stripe_has_it(
        self, payment_intent_id: str, target: _Target
    ) -> stripe.PaymentIntent:
        """The intent as Stripe reports it now, not as the event's body says."""
        if self._stripe is None:
            raise RuntimeError("a Stripe event arrived but STRIPE_SECRET_KEY is not set")
        return await self._stripe.v1.payment_intents.retrieve_async(
            payment_intent_id, options=request_options(target.white_label.payment_gateway_account)
        )

    async def _suspicious(
        self, target: _Target, event_id: str, action: str, intent: stripe.PaymentIntent
    ) -> None:
        """A success event Stripe does not bear out: on record, for the WL and the operator."""
        log.warning(
            "stripe event %s not acted on: %s (intent %s is %s)",
            event_id,
            action,
            intent.id,
            intent.status,
        )
        async with self._sessions.begin() as session:
            audit.record(
                session,
                white_label_id=target.white_label.id,
                customer_id=target.customer.id,
                action=action,
                actor="stripe:webhook",
                detail={
                    "event_id": event_id,
                    "payment_intent_id": intent.id,
                    "stripe_status": intent.status,
                    "amount": format_amount((Decimal(intent.amount) * CENT).quantize(CENT)),
                    "currency": str(intent.currency).upper(),
                    "expected_amount": format_amount(target.attempt.amount),
                    "expected_currency": target.attempt.currency.upper(),
                },
            )

    async def _late(self, payment: PaymentSucceeded, target: _Target) -> str:
        """The signup has ended: a payment it did not record goes back to the customer."""
        async with self._reads() as session:
            recorded = await session.scalar(
                select(Payment.id).where(
                    Payment.stripe_payment_intent_id == payment.payment_intent_id
                )
            )
        if recorded is not None:
            return "already recorded"
        await self._refund(
            payment, target, f"arrived after the signup was {target.customer.status}"
        )
        return "refunding"

    async def _refund(self, payment: PaymentSucceeded, target: _Target, reason: str) -> None:
        """A payment the signup cannot take goes back to the customer, once."""
        with contextlib.suppress(WorkflowAlreadyStartedError):  # already refunding it
            await self._client.start_workflow(
                LatePaymentRefundWorkflow.run,
                RefundLatePaymentInput(
                    customer_id=target.customer.id, payment=payment, reason=reason
                ),
                id=late_payment_workflow_id(payment.payment_intent_id),
                task_queue=self._settings.temporal_task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary="Refund of a payment its signup could not take",
            )

    async def _failed(self, event_id: str, intent: dict[str, Any], target: _Target) -> str:
        error = intent.get("last_payment_error") or {}
        failure = PaymentFailed(
            payment_intent_id=str(intent["id"]),
            message=str(error.get("message") or DECLINED),
            event_id=event_id,
        )
        if await self._signal(target, SelfServeSignupWorkflow.payment_failed, failure):
            return "signalled"
        return "signup closed"

    async def _signal(
        self, target: _Target, signal: Callable[[SelfServeSignupWorkflow, S], None], payload: S
    ) -> bool:
        """Signals the customer's signup; False when it has already ended."""
        handle = self._client.get_workflow_handle_for(
            SelfServeSignupWorkflow.run, workflow_id_for(target.customer.id)
        )
        try:
            await handle.signal(signal, payload)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            return False
        return True

    async def _remember(self, event_id: str, kind: str) -> None:
        with contextlib.suppress(IntegrityError):  # a concurrent redelivery got here first
            async with self._sessions.begin() as session:
                session.add(StripeEvent(id=event_id, type=kind))
