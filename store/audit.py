"""Audit rows, written in the same transaction as the change they describe.

`dedupe_key` makes the row a marker of the effect too: an activity retried after its
transaction committed finds the row and does nothing twice.

The trail is append-only: the app has no path that changes or removes a row, and the guard
below refuses one if code ever tries (through the ORM's unit of work or a bulk statement).
"""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Update, event, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from store import outbox
from store.schema import AuditEntry

WORKFLOW_ACTOR = "system:workflow"
# The customer's authorized contact, acting through an emailed link.
CUSTOMER_CONTACT_ACTOR = "customer:contact"
READ_ACTION = "customer.read"


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised instead of changing or deleting an audit row."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_rows(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    for entry in (*session.dirty, *session.deleted):
        if isinstance(entry, AuditEntry) and (
            entry in session.deleted or session.is_modified(entry)
        ):
            raise AuditTrailIsAppendOnly("audit rows are never changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    statement = state.statement
    # An ORM statement's table is an annotated copy of the table: compare by name.
    if (
        isinstance(statement, Update | Delete)
        and getattr(statement.table, "name", None) == AuditEntry.__tablename__
    ):
        raise AuditTrailIsAppendOnly("audit rows are never changed or deleted")


def record(
    session: AsyncSession,
    *,
    white_label_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    action: str,
    actor: str = WORKFLOW_ACTOR,
    detail: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            white_label_id=white_label_id,
            customer_id=customer_id,
            actor=actor,
            action=action,
            detail=detail or {},
            dedupe_key=dedupe_key,
        )
    )
    # The webhook event it implies, if any, commits (or rolls back) with the audit row.
    outbox.add_for_audit(
        session,
        white_label_id=white_label_id,
        customer_id=customer_id,
        action=action,
        detail=detail or {},
    )


async def already_recorded(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.scalar(select(AuditEntry.id).where(AuditEntry.dedupe_key == dedupe_key))
    return found is not None


async def record_once(
    session: AsyncSession,
    *,
    dedupe_key: str,
    white_label_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Marks an effect done, unless a retry of the same step already marked it."""
    if not await already_recorded(session, dedupe_key):
        record(
            session,
            white_label_id=white_label_id,
            customer_id=customer_id,
            action=action,
            detail=detail,
            dedupe_key=dedupe_key,
        )


def record_reads(
    session: AsyncSession,
    *,
    white_label_id: uuid.UUID,
    customer_ids: Iterable[uuid.UUID],
    actor: str,
    route: str,
) -> None:
    """Who read which customer's contact data, one row per customer shown."""
    for customer_id in customer_ids:
        record(
            session,
            white_label_id=white_label_id,
            customer_id=customer_id,
            actor=actor,
            action=READ_ACTION,
            detail={"route": route},
        )


async def entries(
    session: AsyncSession,
    white_label_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 100,
    newest_first: bool = False,
    offset: int = 0,
) -> list[AuditEntry]:
    """A white label's rows, oldest first (or newest first, for a page people read); `after`
    continues from the last row of an oldest-first page."""
    query = select(AuditEntry).where(AuditEntry.white_label_id == white_label_id)
    if customer_id is not None:
        query = query.where(AuditEntry.customer_id == customer_id)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if after is not None:
        query = query.where(tuple_(AuditEntry.created_at, AuditEntry.id) > tuple_(*after))
    if newest_first:
        query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    else:
        query = query.order_by(AuditEntry.created_at, AuditEntry.id)
    return list(await session.scalars(query.limit(limit).offset(offset)))


async def actions_recorded(session: AsyncSession, white_label_id: uuid.UUID) -> list[str]:
    """The kinds of row a white label's trail holds, for a filter to offer."""
    found = await session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.white_label_id == white_label_id)
        .distinct()
        .order_by(AuditEntry.action)
    )
    return list(found)


async def rows_about(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """How many rows tell a customer's story (reads of it left out): a new step adds one, so
    a page polling for change compares this number instead of reading the rows."""
    found = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.customer_id == customer_id, AuditEntry.action != READ_ACTION)
    )
    return int(found or 0)
