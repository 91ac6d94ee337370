"""`/console/audit`: the white label's audit trail, newest first, for its administrators and
staff: filtered by customer, actor and kind, each row linked to its customer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy import select

from starter.api.console.pages import console_page
from starter.api.console.session import Console
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from store import audit
from store.schema import AuditEntry, Customer, WlUser

router = APIRouter(prefix="/console/audit", include_in_schema=False)
PAGE_SIZE = 50
OTHER_ACTORS = {
    "system:workflow": "A workflow",
    "customer:contact": "The customer",
    "operator:cli": "The platform operator",
}


def _actor_words(actor: str, users: dict[str, str], signed_in: SignedIn) -> str:
    if actor == signed_in.caller.actor:
        return f"You ({signed_in.email})"
    return users.get(actor) or OTHER_ACTORS.get(actor, actor)


def _customer_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


@router.get("")
async def audit_page(
    signed_in: Console,
    app: AppServices,
    customer: Annotated[str, Query(max_length=40)] = "",
    actor: Annotated[str, Query(max_length=100)] = "",
    action: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    white_label_id = signed_in.caller.white_label_id
    customer_id = _customer_id(customer) if customer else None
    async with app.reading_sessions() as session:
        entries: list[AuditEntry] = []
        if not customer or customer_id is not None:
            entries = await audit.entries(
                session,
                white_label_id,
                customer_id=customer_id,
                actor=actor or None,
                action=action or None,
                newest_first=True,
                limit=PAGE_SIZE + 1,
                offset=(page - 1) * PAGE_SIZE,
            )
        users = {
            f"wl_user:{user.id}": user.email
            for user in await session.scalars(
                select(WlUser).where(WlUser.white_label_id == white_label_id)
            )
        }
        shown_ids = {entry.customer_id for entry in entries if entry.customer_id}
        names = {
            row.id: str((row.business or {}).get("name") or row.id)
            for row in await session.scalars(
                select(Customer).where(
                    Customer.id.in_(shown_ids), Customer.white_label_id == white_label_id
                )
            )
        }
        kinds = await audit.actions_recorded(session, white_label_id)
    return console_page(
        app.settings,
        "audit.html",
        signed_in=signed_in,
        rows=[
            {
                "at": entry.created_at,
                "actor": _actor_words(entry.actor, users, signed_in),
                "action": entry.action,
                "detail": ", ".join(f"{key}: {value}" for key, value in entry.detail.items()),
                "customer_id": entry.customer_id,
                "customer_name": names.get(entry.customer_id) if entry.customer_id else None,
            }
            for entry in entries[:PAGE_SIZE]
        ],
        customer=customer,
        customer_invalid=bool(customer) and customer_id is None,
        actor=actor,
        action=action,
        actors=[*users.items(), *OTHER_ACTORS.items()],
        kinds=kinds,
        page=page,
        has_next=len(entries) > PAGE_SIZE,
    )
