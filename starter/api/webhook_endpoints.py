"""Outbound webhooks: a white label's endpoints, its deliveries, and replaying an event.

The routes of starter.webhook_settings, the service the console's Webhooks page calls too.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from domain.webhooks import (
    CreatedEndpoint,
    DeliveryList,
    DeliveryStatus,
    Endpoint,
    EndpointCreate,
    EndpointList,
    Replayed,
    RotatedSecret,
    WebhookEventType,
    WebhookTestResult,
)
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope, FieldError, error_response
from starter.api.ids import AnyId, as_uuid
from starter.webhook_settings import UrlNotAllowed

router = APIRouter(prefix="/v1", tags=["webhooks"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 409, 422, 429)
}


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
    try:
        created = await app.webhooks.add(caller, body)
    except UrlNotAllowed as refused:
        return error_response(
            422,
            "ValidationError",
            f"url: {refused.reason}",
            [FieldError(path="url", message=refused.reason)],
        )
    return JSONResponse(created.model_dump(mode="json"), status_code=201)


@router.get(
    "/webhook-endpoints",
    response_model=EndpointList,
    responses=ERRORS,
    summary="The white label's endpoints (never their secrets)",
)
async def list_endpoints(app: AppServices, caller: AuthenticatedCaller) -> EndpointList:
    return EndpointList(endpoints=await app.webhooks.endpoints(caller))


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    response_model=Endpoint,
    responses=ERRORS,
    summary="Disable an endpoint: nothing more is sent to it",
)
async def disable_endpoint(
    endpoint_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> Endpoint:
    return await app.webhooks.disable(caller, as_uuid(endpoint_id))


@router.post(
    "/webhook-endpoints/{endpoint_id}/enable",
    response_model=Endpoint,
    responses=ERRORS,
    summary="Enable a disabled endpoint again (events missed meanwhile: replay them)",
)
async def enable_endpoint(
    endpoint_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> Endpoint:
    return await app.webhooks.enable(caller, as_uuid(endpoint_id))


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=RotatedSecret,
    responses=ERRORS,
    summary="A new signing secret (shown in this answer only); the old one signs too for 24 h",
)
async def rotate_secret(
    endpoint_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> RotatedSecret:
    return await app.webhooks.rotate_secret(caller, as_uuid(endpoint_id))


@router.post(
    "/webhook-endpoints/{endpoint_id}/test",
    response_model=WebhookTestResult,
    responses=ERRORS,
    summary="Send a signed webhook.test event to the endpoint once, and say what it answered",
)
async def send_test_event(
    endpoint_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> WebhookTestResult:
    """Whatever the endpoint subscribed to, and even while it is disabled; tried once, not
    retried, not listed among the deliveries."""
    return await app.webhooks.send_test(caller, as_uuid(endpoint_id))


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
    endpoint_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryList:
    deliveries = await app.webhooks.deliveries(
        caller,
        event_type=event_type,
        status=status,
        customer_id=customer_id,
        endpoint_id=endpoint_id,
        limit=limit,
    )
    return DeliveryList(deliveries=deliveries)


@router.post(
    "/webhook-events/{event_id}/replay",
    status_code=202,
    response_model=Replayed,
    responses=ERRORS,
    summary="Send an event again to the endpoints subscribed to it now",
)
async def replay_event(event_id: AnyId, app: AppServices, caller: AuthenticatedCaller) -> Response:
    """The same event (id, sequence, body) again; each replay is a delivery of its own."""
    answer = await app.webhooks.replay(caller, as_uuid(event_id))
    return JSONResponse(answer.model_dump(mode="json"), status_code=202)
