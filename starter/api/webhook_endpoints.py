"""Outbound webhooks: a white label's endpoints, its deliveries, and replaying an event.

Everything is scoped to the caller's white label: another WL's endpoint or event is a 404, as
if it did not exist. Administrators change things; staff read. A signing secret is shown once,
in the answer that creates it.
"""

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from domain.errors import BusinessError, Refused
from domain.webhooks import (
    RETRY_INITIAL_SECONDS,
    SECRET_PREFIX,
    CreatedEndpoint,
    Delivery,
    DeliveryList,
    DeliveryStatus,
    Endpoint,
    EndpointCreate,
    EndpointList,
    Replayed,
    WebhookEventType,
    delivery_task_queue,
)
from runtime.guarded_http import target_refusal
from runtime.webhook_deliveries import start_delivery_workflows
from starter.administration import require_administrator
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope, FieldError, error_response
from starter.api.ids import AnyId, as_uuid
from store import outbox
from store.schema import WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow

router = APIRouter(prefix="/v1", tags=["webhooks"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 409, 422, 429)
}


def _not_found(what: str) -> Refused:
    return Refused(BusinessError.NOT_FOUND, f"no such {what}")


def _endpoint(row: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        event_types=[WebhookEventType(each) for each in row.event_types],
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _delivery(row: WebhookDelivery, event: WebhookEvent) -> Delivery:
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


@router.post(
    "/webhook-endpoints",
    status_code=201,
    response_model=CreatedEndpoint,
    responses=ERRORS,
    summary="Register an endpoint (its signing secret is shown in this answer only)",
)
async def create_endpoint(
    body: EndpointCreate, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    require_administrator(caller, "change webhooks")
    settings = app.settings
    url = str(body.url)
    refusal = await target_refusal(url, app.resolver, settings.webhook_allow_private_targets)
    if refusal is not None:
        return error_response(
            422, "ValidationError", f"url: {refusal}", [FieldError(path="url", message=refusal)]
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    async with app.sessions.begin() as session:
        enabled = await session.scalar(
            select(func.count()).where(
                WebhookEndpoint.white_label_id == caller.white_label_id,
                WebhookEndpoint.disabled_at.is_(None),
            )
        )
        if (enabled or 0) >= settings.webhook_max_endpoints_per_wl:
            raise Refused(
                BusinessError.WEBHOOK_ENDPOINT_LIMIT,
                f"at most {settings.webhook_max_endpoints_per_wl} enabled endpoints per white "
                "label: disable one first",
            )
        row = WebhookEndpoint(
            white_label_id=caller.white_label_id,
            url=url,
            event_types=[each.value for each in body.event_types],
            signing_secret=secret,
            created_at=utcnow(),
        )
        session.add(row)
    created = CreatedEndpoint(**_endpoint(row).model_dump(), signing_secret=secret)
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


@router.get(
    "/webhook-endpoints",
    response_model=EndpointList,
    responses=ERRORS,
    summary="The white label's endpoints (never their secrets)",
)
async def list_endpoints(app: AppServices, caller: AuthenticatedCaller) -> EndpointList:
    async with app.reading_sessions() as session:
        rows = await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.white_label_id == caller.white_label_id)
            .order_by(WebhookEndpoint.created_at)
        )
        return EndpointList(endpoints=[_endpoint(row) for row in rows])


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    response_model=Endpoint,
    responses=ERRORS,
    summary="Disable an endpoint: nothing more is sent to it",
)
async def disable_endpoint(
    endpoint_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    require_administrator(caller, "change webhooks")
    if (wanted := as_uuid(endpoint_id)) is None:
        raise _not_found("webhook endpoint")
    async with app.sessions.begin() as session:
        row = await session.get(WebhookEndpoint, wanted)
        if row is None or row.white_label_id != caller.white_label_id:
            raise _not_found("webhook endpoint")
        if row.disabled_at is None:
            row.disabled_at = utcnow()
    return JSONResponse(_endpoint(row).model_dump(mode="json"))


@router.get(
    "/webhook-deliveries",
    response_model=DeliveryList,
    responses=ERRORS,
    summary="Deliveries and their outcomes, newest first",
)
async def list_deliveries(
    app: AppServices,
    caller: AuthenticatedCaller,
    event_type: WebhookEventType | None = None,
    status: DeliveryStatus | None = None,
    customer_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryList:
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
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
    async with app.reading_sessions() as session:
        rows = (await session.execute(query)).all()
    return DeliveryList(deliveries=[_delivery(delivery, event) for delivery, event in rows])


@router.post(
    "/webhook-events/{event_id}/replay",
    status_code=202,
    response_model=Replayed,
    responses=ERRORS,
    summary="Send an event again to the endpoints subscribed to it now",
)
async def replay_event(event_id: AnyId, app: AppServices, caller: AuthenticatedCaller) -> Response:
    """The same event (id, sequence, body) again; each replay is a delivery of its own."""
    require_administrator(caller, "change webhooks")
    if (wanted := as_uuid(event_id)) is None:
        raise _not_found("webhook event")
    async with app.sessions.begin() as session:
        event = await session.get(WebhookEvent, wanted)
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
        app.temporal,
        deliveries,
        delivery_task_queue(app.settings.temporal_task_queue),
        RETRY_INITIAL_SECONDS,
    )
    answer = Replayed(event_id=event.id, deliveries=[_delivery(each, event) for each in deliveries])
    return JSONResponse(answer.model_dump(mode="json"), status_code=202)
