"""Outbound webhooks: the event types a white label can subscribe to, and how they are signed.

The signature is Stripe's scheme: `Webhook-Signature: t=<unix seconds>,v1=<hex>` where the hex
is HMAC-SHA256 of `f"{t}.{body}"` keyed by the endpoint's signing secret. Signing the timestamp
with the body lets a receiver refuse an old request replayed by someone who captured it.
"""

import hashlib
import hmac
import time
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, HttpUrl, field_validator

SIGNATURE_HEADER = "Webhook-Signature"
ID_HEADER = "Webhook-Id"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# How old a signed request a receiver should still accept (Stripe's default).
DEFAULT_TOLERANCE_SECONDS = 300
# The first wait before a retry (it doubles up to an hour, for three days), and how often the
# dispatcher looks at the outbox when idle. Both travel in the workflow inputs, so the tests
# start their dispatcher with a one-second first retry.
RETRY_INITIAL_SECONDS = 10.0
POLL_SECONDS = 2.0


class WebhookEventType(StrEnum):
    CREATED = "customer.created"
    ACTIVATION_EMAIL_SENT = "customer.activation_email_sent"
    ACTIVATED = "customer.activated"
    PAYMENT_FAILED = "customer.payment_failed"
    ACTIVE = "customer.active"
    EXPIRED = "customer.expired"
    CANCELLED = "customer.cancelled"
    FAILED = "customer.failed"
    CONVERTED = "customer.converted"
    HANDED_OVER = "customer.handed_over"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


SECRET_ROTATION_OVERLAP = timedelta(hours=24)
"""How long the old secret keeps signing after a rotation (each delivery carries both)."""


def signature_header(
    secret: str, body: bytes, timestamp: int, previous_secret: str | None = None
) -> str:
    """`previous_secret`: during a rotation's overlap, a second `v1` signed with the old one."""
    signatures = [
        hmac.new(each.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        for each in (secret, previous_secret)
        if each
    ]
    return f"t={timestamp}," + ",".join(f"v1={digest}" for digest in signatures)


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver runs: the body is the raw bytes received, before any JSON parsing."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = signature_header(secret, body, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


class EndpointCreate(BaseModel):
    url: Annotated[HttpUrl, Field(max_length=500)] = Field(
        description="https, to a public address (checked again at every delivery)"
    )
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=len(WebhookEventType))

    @field_validator("event_types")
    @classmethod
    def _unique(cls, types: list[WebhookEventType]) -> list[WebhookEventType]:
        if len(set(types)) != len(types):
            raise ValueError("each event type at most once")
        return types


class Endpoint(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[WebhookEventType]
    created_at: datetime
    disabled_at: datetime | None = None
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="after a rotation: until when the old secret signs too"
    )


class CreatedEndpoint(Endpoint):
    signing_secret: str = Field(description="shown in this answer only: keep it")


class RotatedSecret(BaseModel):
    endpoint_id: uuid.UUID
    signing_secret: str = Field(description="the new secret, shown in this answer only")
    previous_secret_expires_at: datetime = Field(
        description="until then each delivery is signed with the old secret as well"
    )


class EndpointList(BaseModel):
    endpoints: list[Endpoint]


class Delivery(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: WebhookEventType
    customer_id: uuid.UUID
    sequence: int
    endpoint_id: uuid.UUID
    replay: int = Field(description="0 for the first delivery; 1, 2... for each replay")
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    deliveries: list[Delivery]


class Replayed(BaseModel):
    event_id: uuid.UUID
    deliveries: list[Delivery]


class DeliverWebhookInput(BaseModel):
    delivery_id: uuid.UUID


class WebhookDeliveryInput(BaseModel):
    delivery_id: uuid.UUID
    retry_initial_seconds: float = RETRY_INITIAL_SECONDS


class DispatchOutboxInput(BaseModel):
    retry_initial_seconds: float = RETRY_INITIAL_SECONDS
    limit: int = 100


class DispatchOutboxResult(BaseModel):
    events: int
    deliveries: int


OUTBOX_DISPATCH_WORKFLOW = "OutboxDispatchWorkflow"
DELIVERY_WORKFLOW = "WebhookDeliveryWorkflow"
"""The registered names a process starts these workflows by (it does not import their code)."""


def outbox_dispatch_workflow_id(task_queue: str) -> str:
    return f"webhook-outbox-dispatch-{task_queue}"


def delivery_task_queue(task_queue: str) -> str:
    """Deliveries run on a queue of their own, with their own bounded concurrency: a white
    label's silent endpoint never holds the activity slots that signups and emails need."""
    return f"{task_queue}-webhooks"


class OutboxDispatchInput(BaseModel):
    retry_initial_seconds: float = RETRY_INITIAL_SECONDS
    poll_seconds: float = POLL_SECONDS


TEST_EVENT_TYPE = "webhook.test"
"""The type of a test event: sent to one endpoint on request, whatever it subscribed to."""
TEST_WORKFLOW = "WebhookTestWorkflow"


class WebhookTestInput(BaseModel):
    endpoint_id: uuid.UUID
    event_id: uuid.UUID


class WebhookTestResult(BaseModel):
    event_id: uuid.UUID
    delivered: bool = Field(description="the endpoint answered 2xx within 10 seconds")
    status_code: int | None = None
    error: str | None = Field(
        default=None, description="generic: connection failed, timed out, TLS error, HTTP <n>"
    )


def webhook_test_workflow_id(endpoint_id: uuid.UUID, event_id: uuid.UUID) -> str:
    return f"webhook-test-{endpoint_id}-{event_id}"
