"""The audit trail: every action on a white label's customers, read by that white label only."""

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError

from domain.audit import AuditEvent, AuditPage
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope, error_response
from store import audit
from store.schema import AuditEntry, Customer

router = APIRouter(prefix="/v1", tags=["audit"])
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 404, 422, 429)
}
Limit = Annotated[int, Query(ge=1, le=1000)]


def _event(entry: AuditEntry) -> AuditEvent:
    return AuditEvent(
        id=entry.id,
        at=entry.created_at,
        customer_id=entry.customer_id,
        actor=entry.actor,
        action=entry.action,
        detail=entry.detail,
    )


def _cursor(entry: AuditEntry) -> str:
    raw = f"{entry.created_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(cursor: str) -> tuple[datetime, uuid.UUID]:
    """ValueError for anything that is not a cursor this API gave out."""
    try:
        at, _, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), uuid.UUID(entry_id)
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from None


async def _continuing_after(
    after: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9_=-]+$")] = None,
) -> tuple[datetime, uuid.UUID] | None:
    """The `after` cursor, refused as a validation error of that field if it is not one."""
    if after is None:
        return None
    try:
        return _after(after)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "after"),
                    "msg": "not a cursor from a previous page's `next`",
                    "type": "value_error",
                }
            ]
        ) from None


After = Annotated[tuple[datetime, uuid.UUID] | None, Depends(_continuing_after)]


def _page(entries: list[AuditEntry], limit: int) -> AuditPage:
    last = entries[-1] if len(entries) == limit else None
    return AuditPage(
        events=[_event(entry) for entry in entries], next=_cursor(last) if last else None
    )


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=ERRORS,
    summary="The white label's audit trail, oldest first",
)
async def audit_trail(
    app: AppServices,
    caller: AuthenticatedCaller,
    cursor: After,
    since: datetime | None = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    limit: Limit = 100,
) -> AuditPage:
    """`since` (ISO 8601) starts the trail at a time; `after` continues from a page's `next`;
    `actor` (e.g. `wl_user:<id>`, `system:workflow`) and `action` keep only those rows."""
    async with app.reading_sessions() as session:
        entries = await audit.entries(
            session,
            caller.white_label_id,
            actor=actor,
            action=action,
            since=since,
            after=cursor,
            limit=limit,
        )
    return _page(entries, limit)


@router.get(
    "/customers/{customer_id}/events",
    response_model=AuditPage,
    responses=ERRORS,
    summary="Everything that happened to one customer, oldest first",
)
async def customer_events(
    customer_id: uuid.UUID,
    app: AppServices,
    caller: AuthenticatedCaller,
    cursor: After,
    limit: Limit = 100,
) -> AuditPage | Response:
    async with app.reading_sessions() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None or customer.white_label_id != caller.white_label_id:
            return error_response(404, "NotFound", "no such customer")
        entries = await audit.entries(
            session, caller.white_label_id, customer_id=customer_id, after=cursor, limit=limit
        )
    return _page(entries, limit)
