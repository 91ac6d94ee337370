"""The webhook outbox: events written in the transaction of the change they report.

`store.audit.record` calls `add_for_audit` for every audit row; the few actions a white label
can subscribe to become a `webhook_events` row in the same session, so the event exists if and
only if the change committed. Delivery happens later (workflows.outbox_dispatch) and can never
report a change that rolled back, nor miss one that committed.
"""

import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.webhooks import WebhookEventType
from store.schema import WebhookEndpoint, WebhookEvent

# Audit action -> event type. `customer.awaiting_payment` is the customer activating: what is
# left is their payment.
_ACTIONS = {
    "customer.created": WebhookEventType.CREATED,
    "customer.awaiting_payment": WebhookEventType.ACTIVATED,
    "payment.declined": WebhookEventType.PAYMENT_FAILED,
    "customer.active": WebhookEventType.ACTIVE,
    "customer.expired": WebhookEventType.EXPIRED,
    "customer.cancelled": WebhookEventType.CANCELLED,
    "customer.failed": WebhookEventType.FAILED,
    "customer.converted": WebhookEventType.CONVERTED,
    "account_administrator.handed_over": WebhookEventType.HANDED_OVER,
}
_ACTIVATION_EMAILS = {"activation", "activation_reminder"}
# What of the audit detail the WL sees: never contact data nor failure messages (which may
# quote a provider), only what the WL already has.
_DETAIL_KEYS = ("path", "plan_code", "kind", "attempt", "type", "from_status")
_STATUS = {
    WebhookEventType.ACTIVATED: "awaiting_payment",
    WebhookEventType.ACTIVE: "active",
    WebhookEventType.EXPIRED: "expired",
    WebhookEventType.CANCELLED: "cancelled",
    WebhookEventType.FAILED: "failed",
    WebhookEventType.CONVERTED: "active",
}


def event_type_for(action: str, detail: dict[str, Any]) -> WebhookEventType | None:
    if action == "email.sent":
        kind = detail.get("kind")
        return WebhookEventType.ACTIVATION_EMAIL_SENT if kind in _ACTIVATION_EMAILS else None
    return _ACTIONS.get(action)


def add_for_audit(
    session: AsyncSession,
    *,
    white_label_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    action: str,
    detail: dict[str, Any],
) -> None:
    """Adds the outbox row an audited action implies, if any, to the same session."""
    kind = event_type_for(action, detail)
    if kind is None or customer_id is None:
        return
    data: dict[str, Any] = {"customer_id": str(customer_id)}
    if kind in _STATUS:
        data["status"] = _STATUS[kind]
    data.update({key: detail[key] for key in _DETAIL_KEYS if key in detail})
    # The next number for this customer, computed by the INSERT itself; the unique constraint
    # (customer_id, sequence) refuses a concurrent writer that computed the same one (its
    # transaction rolls back and its activity retries).
    next_sequence = (
        select(func.coalesce(func.max(WebhookEvent.sequence), 0) + 1)
        .where(WebhookEvent.customer_id == customer_id)
        .scalar_subquery()
    )
    session.add(
        WebhookEvent(
            white_label_id=white_label_id,
            customer_id=customer_id,
            type=kind.value,
            sequence=next_sequence,
            payload=data,
        )
    )


def envelope(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "sequence": event.sequence,
        "white_label_id": str(event.white_label_id),
        "customer_id": str(event.customer_id),
        "data": event.payload,
    }


def body_of(event: WebhookEvent) -> bytes:
    """The exact bytes sent, the same on every attempt and replay."""
    return json.dumps(envelope(event), sort_keys=True, separators=(",", ":")).encode()


async def subscribed_endpoints(
    session: AsyncSession, white_label_id: uuid.UUID, event_type: str
) -> list[WebhookEndpoint]:
    """A white label's enabled endpoints that take `event_type`, oldest first."""
    endpoints = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.white_label_id == white_label_id)
        .where(WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.created_at)
    )
    return [each for each in endpoints if event_type in each.event_types]
