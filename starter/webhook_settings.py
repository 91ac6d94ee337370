"""A white label's webhook endpoints and deliveries: one service for `/v1` and the console.

Everything is scoped to the caller's white label: another WL's endpoint or event is NotFound,
as if it did not exist. Administrators change things; staff read. A signing secret is shown
once, in the answer that makes it (or rotates it). Rotating keeps the old secret signing too,
for an overlap, so a receiver can switch without refusing a delivery. A deleted endpoint
disappears from the lists; its past deliveries stay in the trail of what was sent. A test
event is sent on request, once, by the delivery queue's worker.
"""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowFailureError

from domain.errors import BusinessError, Refused
from domain.settings import Settings
from domain.webhooks import (
    RETRY_INITIAL_SECONDS,
    SECRET_PREFIX,
    SECRET_ROTATION_OVERLAP,
    CreatedEndpoint,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointCreate,
    Replayed,
    RotatedSecret,
    WebhookEventType,
    WebhookTestInput,
    WebhookTestResult,
    delivery_task_queue,
    webhook_test_workflow_id,
)
from runtime.guarded_http import Resolver, target_refusal
from runtime.webhook_deliveries import start_delivery_workflows
from starter.administration import require_administrator
from starter.auth import Caller
from store import outbox
from store.engine import SessionFactory, read_only
from store.schema import WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from workflows.webhook_test_event import WebhookTestWorkflow

CHANGE = "change webhooks"
TEST_WAIT = timedelta(seconds=45)
"""How long a test may take end to end (the POST itself gives up after 10 seconds)."""


class UrlNotAllowed(Exception):
    """The URL may not be registered (not https, or not a public address): the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EndpointAlreadyAdded(Exception):
    """The console form that adds this endpoint was sent before; its secret was shown then."""


def _not_found(what: str) -> Refused:
    return Refused(BusinessError.NOT_FOUND, f"no such {what}")


def endpoint_view(row: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        event_types=[WebhookEventType(each) for each in row.event_types],
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        previous_secret_expires_at=_overlap_end(row),
    )


def _overlap_end(row: WebhookEndpoint) -> datetime | None:
    ends = row.previous_secret_expires_at
    return ends if ends is not None and ends > datetime.now(UTC) else None


def delivery_view(row: WebhookDelivery, event: WebhookEvent) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=event.id,
        event_type=WebhookEventType(event.type),
        customer_id=event.customer_id,
        sequence=event.sequence,
        endpoint_id=row.endpoint_id,
        replay=row.replay,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


class WebhookSettings:
    def __init__(
        self, sessions: SessionFactory, settings: Settings, client: Client, resolver: Resolver
    ) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings
        self._client = client
        self._resolver = resolver

    async def endpoints(self, caller: Caller) -> list[Endpoint]:
        async with self._reads() as session:
            rows = await session.scalars(
                select(WebhookEndpoint)
                .where(
                    WebhookEndpoint.white_label_id == caller.white_label_id,
                    WebhookEndpoint.deleted_at.is_(None),
                )
                .order_by(WebhookEndpoint.created_at)
            )
            return [endpoint_view(row) for row in rows]

    async def endpoint(self, caller: Caller, endpoint_id: uuid.UUID | None) -> Endpoint:
        async with self._reads() as session:
            return endpoint_view(await self._own(session, caller, endpoint_id))

    async def add(
        self, caller: Caller, body: EndpointCreate, form_id: str | None = None
    ) -> CreatedEndpoint:
        require_administrator(caller, CHANGE)
        url = str(body.url)
        refusal = await target_refusal(
            url, self._resolver, self._settings.webhook_allow_private_targets
        )
        if refusal is not None:
            raise UrlNotAllowed(refusal)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        try:
            async with self._sessions.begin() as session:
                if form_id is not None and await session.scalar(
                    select(WebhookEndpoint.id).where(WebhookEndpoint.form_id == form_id)
                ):
                    raise EndpointAlreadyAdded
                await self._refuse_over_limit(session, caller)
                row = WebhookEndpoint(
                    white_label_id=caller.white_label_id,
                    url=url,
                    event_types=[each.value for each in body.event_types],
                    signing_secret=secret,
                    created_at=utcnow(),
                    form_id=form_id,
                )
                session.add(row)
        except IntegrityError:
            if form_id is None:
                raise
            raise EndpointAlreadyAdded from None
        return CreatedEndpoint(**endpoint_view(row).model_dump(), signing_secret=secret)

    async def _refuse_over_limit(self, session: AsyncSession, caller: Caller) -> None:
        most = self._settings.webhook_max_endpoints_per_wl
        enabled = await session.scalar(
            select(func.count()).where(
                WebhookEndpoint.white_label_id == caller.white_label_id,
                WebhookEndpoint.disabled_at.is_(None),
                WebhookEndpoint.deleted_at.is_(None),
            )
        )
        if (enabled or 0) >= most:
            raise Refused(
                BusinessError.WEBHOOK_ENDPOINT_LIMIT,
                f"at most {most} enabled endpoints per white label: disable one first",
            )

    async def disable(self, caller: Caller, endpoint_id: uuid.UUID | None) -> Endpoint:
        """Nothing more is sent to it; pending retries stop. Disabling twice keeps the first
        time."""
        require_administrator(caller, CHANGE)
        async with self._sessions.begin() as session:
            row = await self._own(session, caller, endpoint_id)
            if row.disabled_at is None:
                row.disabled_at = utcnow()
            return endpoint_view(row)

    async def enable(self, caller: Caller, endpoint_id: uuid.UUID | None) -> Endpoint:
        """Events from now on are sent to it again (the ones missed meanwhile are not: replay
        them)."""
        require_administrator(caller, CHANGE)
        async with self._sessions.begin() as session:
            row = await self._own(session, caller, endpoint_id)
            if row.disabled_at is not None:
                await self._refuse_over_limit(session, caller)
                row.disabled_at = None
            return endpoint_view(row)

    async def delete(self, caller: Caller, endpoint_id: uuid.UUID | None) -> None:
        require_administrator(caller, CHANGE)
        async with self._sessions.begin() as session:
            row = await self._own(session, caller, endpoint_id)
            now = utcnow()
            row.disabled_at = row.disabled_at or now
            row.deleted_at = now

    async def rotate_secret(self, caller: Caller, endpoint_id: uuid.UUID | None) -> RotatedSecret:
        """A new secret signs from now on; the old one signs too until the overlap ends, so
        each delivery meanwhile carries both signatures."""
        require_administrator(caller, CHANGE)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            row = await self._own(session, caller, endpoint_id)
            row.previous_signing_secret = row.signing_secret
            row.previous_secret_expires_at = utcnow() + SECRET_ROTATION_OVERLAP
            row.signing_secret = secret
            return RotatedSecret(
                endpoint_id=row.id,
                signing_secret=secret,
                previous_secret_expires_at=row.previous_secret_expires_at,
            )

    async def send_test(self, caller: Caller, endpoint_id: uuid.UUID | None) -> WebhookTestResult:
        """A signed `webhook.test` event to this endpoint, once, and what it answered. The
        worker of the delivery queue sends it; this waits for the outcome."""
        require_administrator(caller, CHANGE)
        endpoint = await self.endpoint(caller, endpoint_id)
        event_id = uuid.uuid4()
        try:
            result: WebhookTestResult = await self._client.execute_workflow(
                WebhookTestWorkflow.run,
                WebhookTestInput(endpoint_id=endpoint.id, event_id=event_id),
                id=webhook_test_workflow_id(endpoint.id, event_id),
                task_queue=delivery_task_queue(self._settings.temporal_task_queue),
                execution_timeout=TEST_WAIT,
                static_summary="Send a test event to a webhook endpoint",
            )
        except WorkflowFailureError:  # the worker could not even try (or took too long)
            return WebhookTestResult(event_id=event_id, delivered=False, error="not sent")
        return result

    async def deliveries(
        self,
        caller: Caller,
        *,
        event_type: WebhookEventType | None = None,
        status: DeliveryStatus | None = None,
        customer_id: uuid.UUID | None = None,
        endpoint_id: uuid.UUID | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        query = (
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookEvent.white_label_id == caller.white_label_id)
        )
        if event_type is not None:
            query = query.where(WebhookEvent.type == event_type.value)
        if status is not None:
            query = query.where(WebhookDelivery.status == status.value)
        if customer_id is not None:
            query = query.where(WebhookEvent.customer_id == customer_id)
        if endpoint_id is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
        async with self._reads() as session:
            rows = (await session.execute(query)).all()
        return [delivery_view(delivery, event) for delivery, event in rows]

    async def replay(self, caller: Caller, event_id: uuid.UUID | None) -> Replayed:
        """The same event (id, sequence, body) again to the endpoints subscribed to its type
        now; each replay is a delivery of its own."""
        require_administrator(caller, CHANGE)
        if event_id is None:
            raise _not_found("webhook event")
        async with self._sessions.begin() as session:
            event = await session.get(WebhookEvent, event_id)
            if event is None or event.white_label_id != caller.white_label_id:
                raise _not_found("webhook event")
            deliveries = []
            for endpoint in await outbox.subscribed_endpoints(
                session, event.white_label_id, event.type
            ):
                replays = await session.scalar(
                    select(func.max(WebhookDelivery.replay)).where(
                        WebhookDelivery.event_id == event.id,
                        WebhookDelivery.endpoint_id == endpoint.id,
                    )
                )
                delivery = WebhookDelivery(
                    event_id=event.id,
                    endpoint_id=endpoint.id,
                    replay=(replays or 0) + 1,
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    created_at=utcnow(),
                )
                session.add(delivery)
                deliveries.append(delivery)
        await start_delivery_workflows(
            self._client,
            deliveries,
            delivery_task_queue(self._settings.temporal_task_queue),
            RETRY_INITIAL_SECONDS,
        )
        return Replayed(
            event_id=event.id, deliveries=[delivery_view(each, event) for each in deliveries]
        )

    async def _own(
        self, session: AsyncSession, caller: Caller, endpoint_id: uuid.UUID | None
    ) -> WebhookEndpoint:
        row = await session.get(WebhookEndpoint, endpoint_id) if endpoint_id else None
        if row is None or row.white_label_id != caller.white_label_id or row.deleted_at:
            raise _not_found("webhook endpoint")
        return row
