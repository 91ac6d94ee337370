"""Sending the outbox's events to the white labels' endpoints.

`dispatch_outbox` turns undispatched events into one delivery row and one
`WebhookDeliveryWorkflow` per subscribed endpoint; `deliver_webhook` makes one HTTP attempt and
records its outcome, raising on anything but a 2xx so Temporal retries it with backoff;
`send_test_webhook` makes one attempt of a test event and says how it went.
"""

import json
import time
import uuid

import httpx
from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TEST_EVENT_TYPE,
    DeliverWebhookInput,
    DeliveryStatus,
    DispatchOutboxInput,
    DispatchOutboxResult,
    WebhookTestInput,
    WebhookTestResult,
    delivery_task_queue,
    signature_header,
)
from runtime.guarded_http import Resolver, TargetNotAllowed, guarded_client, system_resolver
from runtime.webhook_deliveries import start_delivery_workflows
from store import outbox
from store.engine import SessionFactory, read_only
from store.schema import WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow

HTTP_TIMEOUT_SECONDS = 10.0
TARGET_NOT_ALLOWED = "target address not allowed"


def _generic_error(error: httpx.HTTPError) -> str:
    """What the delivery list shows of a failed attempt."""
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError) and "SSL" in str(error).upper():
        return "TLS error"
    return "connection failed"


def _short_error(error: Exception) -> str:
    # The class and message of a transport error (e.g. "ConnectError: All connection attempts
    # failed") name no secret: headers and body never appear in them.
    return f"{type(error).__name__}: {error}"[:200]


def _previous_secret(endpoint: WebhookEndpoint) -> str | None:
    """The secret a rotation replaced, while it still signs too."""
    ends = endpoint.previous_secret_expires_at
    return endpoint.previous_signing_secret if ends is not None and ends > utcnow() else None


class WebhookActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        resolver: Resolver = system_resolver,
        allow_private_targets: bool = False,
    ) -> None:
        self._sessions = sessions
        self._resolver = resolver
        self._allow_private_targets = allow_private_targets
        # The idle dispatcher looks every couple of seconds: on SQLite that look must not take
        # the write lock, or it would queue behind (and delay) every signup's writes.
        self._reads = read_only(sessions)

    @activity.defn
    async def dispatch_outbox(self, data: DispatchOutboxInput) -> DispatchOutboxResult:
        async with self._reads() as session:
            waiting = await session.scalar(
                select(WebhookEvent.id).where(WebhookEvent.dispatched_at.is_(None)).limit(1)
            )
        if waiting is None:
            return DispatchOutboxResult(events=0, deliveries=0)
        async with self._sessions.begin() as session:
            events = list(
                await session.scalars(
                    select(WebhookEvent)
                    .where(WebhookEvent.dispatched_at.is_(None))
                    .order_by(WebhookEvent.created_at, WebhookEvent.sequence)
                    .limit(data.limit)
                )
            )
            deliveries: list[WebhookDelivery] = []
            for event in events:
                for endpoint in await outbox.subscribed_endpoints(
                    session, event.white_label_id, event.type
                ):
                    existing = await session.scalar(
                        select(WebhookDelivery).where(
                            WebhookDelivery.event_id == event.id,
                            WebhookDelivery.endpoint_id == endpoint.id,
                            WebhookDelivery.replay == 0,
                        )
                    )
                    if existing is None:
                        existing = WebhookDelivery(
                            event_id=event.id,
                            endpoint_id=endpoint.id,
                            replay=0,
                            status=DeliveryStatus.PENDING.value,
                            attempts=0,
                        )
                        session.add(existing)
                    deliveries.append(existing)
        if not events:
            return DispatchOutboxResult(events=0, deliveries=0)
        await start_delivery_workflows(
            activity.client(),
            deliveries,
            delivery_task_queue(activity.info().task_queue),
            data.retry_initial_seconds,
        )
        async with self._sessions.begin() as session:
            for event in events:
                found = await session.get_one(WebhookEvent, event.id)
                found.dispatched_at = utcnow()
        return DispatchOutboxResult(events=len(events), deliveries=len(deliveries))

    @activity.defn
    async def deliver_webhook(self, data: DeliverWebhookInput) -> str:
        async with self._reads() as session:
            delivery = await session.get_one(WebhookDelivery, data.delivery_id)
            if delivery.status != DeliveryStatus.PENDING:
                return delivery.status
            event = await session.get_one(WebhookEvent, delivery.event_id)
            endpoint = await session.get_one(WebhookEndpoint, delivery.endpoint_id)
            url, secret, disabled = endpoint.url, endpoint.signing_secret, endpoint.disabled_at
            previous = _previous_secret(endpoint)
            body = outbox.body_of(event)
        delivery_id = data.delivery_id
        if disabled is not None:
            await self._record(delivery_id, DeliveryStatus.FAILED, None, "endpoint disabled")
            return DeliveryStatus.FAILED.value
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: str(event.id),
            SIGNATURE_HEADER: signature_header(secret, body, int(time.time()), previous),
        }
        client = guarded_client(
            HTTP_TIMEOUT_SECONDS, self._resolver, allow_private=self._allow_private_targets
        )
        try:
            async with client as http:
                response = await http.post(url, content=body, headers=headers)
        except TargetNotAllowed as refused:
            activity.logger.warning(
                "webhook target refused: %s", refused.reason, extra={"delivery": str(delivery_id)}
            )
            await self._record(delivery_id, DeliveryStatus.FAILED, None, TARGET_NOT_ALLOWED)
            raise ApplicationError(
                TARGET_NOT_ALLOWED, type="WebhookTargetNotAllowed", non_retryable=True
            ) from None
        except httpx.HTTPError as error:
            # The white label sees a generic reason; the detail (which could map the
            # network the worker sits in) stays in the service's own log.
            activity.logger.warning(
                "webhook delivery failed: %s",
                _short_error(error),
                extra={"delivery": str(delivery_id)},
            )
            said = _generic_error(error)
            await self._record(delivery_id, DeliveryStatus.PENDING, None, said)
            raise ApplicationError(f"not delivered: {said}") from None
        if response.is_success:
            await self._record(delivery_id, DeliveryStatus.DELIVERED, response.status_code)
            return DeliveryStatus.DELIVERED.value
        # Like Stripe, every other answer is retried: a 404 may be a deployment in progress.
        answered = f"HTTP {response.status_code}"
        await self._record(delivery_id, DeliveryStatus.PENDING, response.status_code, answered)
        raise ApplicationError(f"not delivered: {answered}")

    @activity.defn
    async def send_test_webhook(self, data: WebhookTestInput) -> WebhookTestResult:
        """One signed POST of a `webhook.test` event, tried once: the answer is the outcome.
        Nothing is recorded as a delivery; the event names no customer."""
        async with self._reads() as session:
            endpoint = await session.get_one(WebhookEndpoint, data.endpoint_id)
            url, secret = endpoint.url, endpoint.signing_secret
            previous = _previous_secret(endpoint)
            white_label_id = endpoint.white_label_id
        event_id = data.event_id
        body = json.dumps(
            {
                "id": str(event_id),
                "type": TEST_EVENT_TYPE,
                "created_at": utcnow().isoformat(),
                "white_label_id": str(white_label_id),
                "data": {"endpoint_id": str(data.endpoint_id)},
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            ID_HEADER: str(event_id),
            SIGNATURE_HEADER: signature_header(secret, body, int(time.time()), previous),
        }
        client = guarded_client(
            HTTP_TIMEOUT_SECONDS, self._resolver, allow_private=self._allow_private_targets
        )
        try:
            async with client as http:
                response = await http.post(url, content=body, headers=headers)
        except TargetNotAllowed:
            return WebhookTestResult(event_id=event_id, delivered=False, error=TARGET_NOT_ALLOWED)
        except (httpx.HTTPError, OSError) as error:  # a name that does not resolve: OSError
            activity.logger.info("webhook test failed: %s", _short_error(error))
            said = (
                _generic_error(error) if isinstance(error, httpx.HTTPError) else "connection failed"
            )
            return WebhookTestResult(event_id=event_id, delivered=False, error=said)
        return WebhookTestResult(
            event_id=event_id,
            delivered=response.is_success,
            status_code=response.status_code,
            error=None if response.is_success else f"HTTP {response.status_code}",
        )

    @activity.defn
    async def mark_delivery_failed(self, data: DeliverWebhookInput) -> None:
        """After three days of attempts: the delivery shows as failed (a replay may retry it)."""
        async with self._sessions.begin() as session:
            delivery = await session.get_one(WebhookDelivery, data.delivery_id)
            if delivery.status == DeliveryStatus.PENDING:
                delivery.status = DeliveryStatus.FAILED.value

    async def _record(
        self,
        delivery_id: uuid.UUID,
        status: DeliveryStatus,
        status_code: int | None,
        error: str | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            delivery = await session.get_one(WebhookDelivery, delivery_id)
            delivery.attempts += 1
            delivery.status = status.value
            delivery.last_status_code = status_code
            delivery.last_error = error
            if status == DeliveryStatus.DELIVERED:
                delivery.delivered_at = utcnow()
