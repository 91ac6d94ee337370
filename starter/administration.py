"""What every administrator action on one customer starts with.

The customer is looked up within the caller's white label only, so another WL's customer is
`NotFound` exactly like one that does not exist; and the request goes into the audit trail
under the administrator's name before it is acted on.
"""

import uuid

from sqlalchemy import select

from domain.errors import BusinessError, Refused
from starter.auth import Caller
from store import audit
from store.engine import SessionFactory
from store.schema import Customer


def require_administrator(caller: Caller, action: str) -> None:
    """Refuses (403) a caller who is not a WL administrator; `action` says what they tried."""
    if not caller.is_administrator:
        raise Refused(BusinessError.FORBIDDEN, f"only a white label administrator may {action}")


async def callers_customer(
    reads: SessionFactory, caller: Caller, customer_id: uuid.UUID, action: str | None = None
) -> Customer:
    """The caller's customer; `action` names what only an administrator may do."""
    if action is not None:
        require_administrator(caller, action)
    async with reads() as session:
        customer = await session.scalar(
            select(Customer).where(
                Customer.id == customer_id, Customer.white_label_id == caller.white_label_id
            )
        )
    if customer is None:
        raise Refused(BusinessError.NOT_FOUND, "no such customer")
    return customer


async def record_shown(
    sessions: SessionFactory, caller: Caller, customer_ids: list[uuid.UUID], route: str
) -> None:
    """The views carry contact data: the audit trail says who was shown whose, one row per
    customer shown (the API and the console alike; the CLI names the operator instead)."""
    if not customer_ids:
        return
    async with sessions.begin() as session:
        audit.record_reads(
            session,
            white_label_id=caller.white_label_id,
            customer_ids=customer_ids,
            actor=caller.actor,
            route=route,
        )


async def record_request(
    sessions: SessionFactory, caller: Caller, customer_id: uuid.UUID, action: str
) -> None:
    async with sessions.begin() as session:
        audit.record(
            session,
            white_label_id=caller.white_label_id,
            customer_id=customer_id,
            actor=caller.actor,
            action=action,
        )
