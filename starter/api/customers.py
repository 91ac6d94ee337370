"""`/v1/customers`: create a customer and read customers of the caller's white label."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from domain.conversion import ConvertToWlManagedRequest
from domain.customer import CreateCustomerRequest, CustomerList, CustomerView, WorkflowLink
from domain.enums import CustomerStatus
from domain.signup import workflow_id_for
from starter.administration import record_shown
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope, error_response
from starter.customer_search import MAX_SEARCH, customers_query
from starter.views import customer_view, customer_views

router = APIRouter(prefix="/v1/customers", tags=["customers"])

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 404, 409, 422, 429, 501)
}


@router.post(
    "",
    status_code=201,
    response_model=CustomerView,
    responses={**ERRORS, 202: {"model": CustomerView, "description": "still provisioning"}},
    summary="Create a customer",
)
async def create_customer(
    body: CreateCustomerRequest,
    app: AppServices,
    caller: AuthenticatedCaller,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            alias="Idempotency-Key",
            description="Your id for this customer. Retry with the same key and body after a "
            "dropped connection, a timeout or a 5xx: the retry reaches the same customer and "
            "creates nothing twice. The same key with another body is refused (409).",
        ),
    ] = None,
) -> Response:
    """A `wl_managed` signup completes before the answer: 201 with the active customer,
    or 422 with the business reason (the customer then reads `failed`). Send an
    `Idempotency-Key` and retry with it: see the header's description."""
    outcome = await app.signups.create(caller, body, idempotency_key)
    app.metrics.signups_requested.labels(body.path.value).inc()
    if outcome.failure is not None:
        return error_response(422, outcome.failure.type, outcome.failure.message)
    async with app.reading_sessions() as session:
        view = await customer_view(
            session, outcome.customer_id, caller.white_label_id, app.settings
        )
    if view is None:
        # Still being written (e.g. the database is slow): where to look, and nothing more.
        workflow_id = workflow_id_for(outcome.customer_id)
        return JSONResponse(
            {
                "customer_id": str(outcome.customer_id),
                "status": "provisioning",
                "workflow": WorkflowLink(
                    id=workflow_id, temporal_ui_url=app.settings.shown_temporal_ui_link(workflow_id)
                ).model_dump(),
            },
            status_code=202,
        )
    status_code = 201 if outcome.finished or view.status is CustomerStatus.ACTIVE else 202
    return JSONResponse(view.model_dump(mode="json"), status_code=status_code)


@router.get("/{customer_id}", response_model=CustomerView, responses=ERRORS)
async def get_customer(
    customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller
) -> CustomerView | Response:
    async with app.reading_sessions() as session:
        view = await customer_view(session, customer_id, caller.white_label_id, app.settings)
    if view is None:
        return error_response(404, "NotFound", "no such customer")
    await record_shown(app.sessions, caller, [customer_id], "GET /v1/customers/{id}")
    return view


@router.get("", response_model=CustomerList, responses=ERRORS)
async def list_customers(
    app: AppServices,
    caller: AuthenticatedCaller,
    status: CustomerStatus | None = None,
    search: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH,
            description="Part of the business name, a contact name, the contact email or a "
            "number; case does not matter.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CustomerList:
    """Newest first."""
    query = customers_query(
        caller.white_label_id, status=status, search=search, limit=limit, offset=offset
    )
    async with app.reading_sessions() as session:
        customers = list(await session.scalars(query))
        views = await customer_views(session, customers, app.settings)
    await record_shown(
        app.sessions, caller, [view.customer_id for view in views], "GET /v1/customers"
    )
    return CustomerList(customers=views)


async def _view_or_404(
    app: AppServices,
    caller: AuthenticatedCaller,
    customer_id: uuid.UUID,
    status_code: int,
    route: str,
) -> Response:
    """The customer as the action left it; it shows contact data, so the read is recorded."""
    async with app.reading_sessions() as session:
        view = await customer_view(session, customer_id, caller.white_label_id, app.settings)
    if view is None:
        return error_response(404, "NotFound", "no such customer")
    await record_shown(app.sessions, caller, [customer_id], route)
    return JSONResponse(view.model_dump(mode="json"), status_code=status_code)


@router.post(
    "/{customer_id}/activation-email",
    status_code=202,
    response_model=CustomerView,
    responses=ERRORS,
    summary="Resend the activation email (a new link; the old one stops working)",
)
async def resend_activation_email(
    customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    await app.pending.resend_activation(caller, customer_id)
    return await _view_or_404(
        app, caller, customer_id, 202, "POST /v1/customers/{id}/activation-email"
    )


@router.post(
    "/{customer_id}/cancel",
    response_model=CustomerView,
    responses=ERRORS,
    summary="Cancel a pending self-serve signup",
)
async def cancel_signup(
    customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    await app.pending.cancel(caller, customer_id)
    return await _view_or_404(app, caller, customer_id, 200, "POST /v1/customers/{id}/cancel")


@router.post(
    "/{customer_id}/convert-to-wl-managed",
    response_model=CustomerView,
    responses=ERRORS,
    summary="Take a pending self-serve signup over: the WL pays, the admin administers",
)
async def convert_to_wl_managed(
    customer_id: uuid.UUID,
    app: AppServices,
    caller: AuthenticatedCaller,
    body: ConvertToWlManagedRequest | None = None,
) -> Response:
    """The customer's link stops working, the WL's billing account is charged, the calling
    administrator becomes Account Administrator and the account is active (200). A refusal
    (422: credit limit, numbers, PBX settings) leaves the signup pending and its link working."""
    await app.pending.convert_to_wl_managed(
        caller, customer_id, body or ConvertToWlManagedRequest()
    )
    return await _view_or_404(
        app, caller, customer_id, 200, "POST /v1/customers/{id}/convert-to-wl-managed"
    )
