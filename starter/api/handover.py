"""`/v1/customers/{id}/handover`: invite the customer to take over the account's administration."""

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from domain.handover import HandoverView
from starter.api.customers import ERRORS
from starter.api.dependencies import AppServices, AuthenticatedCaller

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def _answer(view: HandoverView, status_code: int) -> Response:
    return JSONResponse(view.model_dump(mode="json"), status_code=status_code)


@router.post(
    "/{customer_id}/handover",
    status_code=202,
    response_model=HandoverView,
    responses=ERRORS,
    summary="Invite the customer to become Account Administrator (again: a new link)",
)
async def invite(customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller) -> Response:
    """Emails the authorized contact a single-use link, valid for `HANDOVER_TTL`. Calling it
    again sends a new link and the previous one stops working."""
    return _answer(await app.handovers.invite(caller, customer_id), 202)


@router.get(
    "/{customer_id}/handover",
    response_model=HandoverView,
    responses=ERRORS,
    summary="Where the invitation is: not_invited, invited, accepted, expired or cancelled",
)
async def handover_state(
    customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    return _answer(await app.handovers.state(caller, customer_id), 200)


@router.post(
    "/{customer_id}/handover/cancel",
    response_model=HandoverView,
    responses=ERRORS,
    summary="Withdraw the invitation; the white label stays Account Administrator",
)
async def cancel_handover(
    customer_id: uuid.UUID, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    return _answer(await app.handovers.cancel(caller, customer_id), 200)
