"""Erasing the contact data of self-serve signups that never became customers.

A signup that expired or was cancelled leaves a customer row holding the contact's name,
email and phone, the business and its addresses, plus a copy of the name and email at Stripe
(made when the contact activated). Once the retention has passed, those go: the JSON columns
become NULL, the Stripe customer is deleted, and the rows that only point at the person
(the idempotency key's fingerprint of the request body, a contact Account Administrator) are
removed. Ids, status, plan, times, payments, refunds and the audit trail stay; the audit
entries hold ids, enums and amounts only, so they need no rewriting.

The row's `updated_at` is when the signup closed: closing (`mark_status`) is the last write a
closed signup gets, and a later write could only postpone its erasure, never hasten it.
"""

import uuid
from datetime import datetime
from typing import Any

import stripe
from sqlalchemy import ColumnElement, and_, delete, null, select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.enums import AdministratorKind, CustomerStatus
from domain.erasure import ERASED_FIELDS, EraseBatchInput, EraseBatchResult
from domain.signup_paths import WAITING_FOR_CUSTOMER
from runtime.stripe_client import request_options
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import AccountAdministrator, Customer, IdempotencyKey, WhiteLabel, utcnow

ABANDONED = (CustomerStatus.EXPIRED.value, CustomerStatus.CANCELLED.value)
ERASED_ACTION = "customer.contact_erased"
STRIPE_NOT_CONFIGURED = "StripeNotConfigured"


def erasure_key(customer_id: uuid.UUID) -> str:
    return f"customer-{customer_id}:contact_erased"


def _abandoned_before(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        Customer.path.in_([path.value for path in WAITING_FOR_CUSTOMER]),
        Customer.status.in_(ABANDONED),
        Customer.contact_erased_at.is_(None),
        Customer.updated_at < cutoff,
    )


class ErasureActivities:
    def __init__(self, sessions: SessionFactory, stripe_client: stripe.StripeClient | None) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._stripe = stripe_client

    @activity.defn
    async def erase_abandoned_signups(self, data: EraseBatchInput) -> EraseBatchResult:
        """Erases up to `limit` signups that closed before the cutoff, oldest first.

        Each customer is erased in a transaction of its own after its Stripe record is gone,
        so a retry after a crash or a Stripe outage redoes only what is not done yet.
        """
        async with self._reads() as session:
            rows = (
                await session.execute(
                    select(
                        Customer.id,
                        Customer.status,
                        Customer.stripe_customer_id,
                        WhiteLabel.payment_gateway_account,
                    )
                    .join(WhiteLabel, WhiteLabel.id == Customer.white_label_id)
                    .where(_abandoned_before(data.cutoff))
                    .order_by(Customer.updated_at, Customer.id)
                    .limit(data.limit + 1)
                )
            ).all()
        erased = 0
        for customer_id, status, stripe_customer_id, stripe_account in rows[: data.limit]:
            if stripe_customer_id:
                await self._delete_at_stripe(stripe_customer_id, stripe_account)
            if await self._erase(customer_id, status, data.cutoff, bool(stripe_customer_id)):
                erased += 1
        activity.logger.info(
            "contact data of abandoned signups erased",
            extra={"erased": erased, "cutoff": data.cutoff.isoformat()},
        )
        return EraseBatchResult(erased=erased, more=len(rows) > data.limit)

    async def _delete_at_stripe(self, stripe_customer_id: str, stripe_account: str | None) -> None:
        if self._stripe is None:
            raise ApplicationError(
                "a signup to erase has a Stripe customer, but this worker has no Stripe "
                "account configured (STRIPE_SECRET_KEY)",
                type=STRIPE_NOT_CONFIGURED,
                non_retryable=True,
            )
        try:
            await self._stripe.v1.customers.delete_async(
                stripe_customer_id, options=request_options(stripe_account)
            )
        except stripe.InvalidRequestError as error:
            if error.http_status != 404:  # 404: deleted already, by an earlier try
                raise

    async def _erase(
        self, customer_id: uuid.UUID, status: str, cutoff: datetime, had_stripe_customer: bool
    ) -> bool:
        """True if this call erased the customer (not another run that got there first)."""
        now = utcnow()
        erased: dict[str, Any] = dict.fromkeys(ERASED_FIELDS, null())
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Customer)
                .where(Customer.id == customer_id, _abandoned_before(cutoff))
                .values(**erased, contact_erased_at=now, updated_at=now)
                .returning(Customer.white_label_id)
            )
            white_label_id = result.scalar_one_or_none()
            if white_label_id is None:
                return False
            await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.customer_id == customer_id)
            )
            await session.execute(
                delete(AccountAdministrator).where(
                    AccountAdministrator.customer_id == customer_id,
                    AccountAdministrator.kind == AdministratorKind.CUSTOMER_CONTACT.value,
                )
            )
            await audit.record_once(
                session,
                dedupe_key=erasure_key(customer_id),
                white_label_id=white_label_id,
                customer_id=customer_id,
                action=ERASED_ACTION,
                detail={
                    "status": status,
                    "fields": list(ERASED_FIELDS),
                    "stripe_customer_deleted": had_stripe_customer,
                },
            )
        return True
