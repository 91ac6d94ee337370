"""Audit rows, written in the same transaction as the change they describe.

`dedupe_key` makes the row a marker of the effect too: an activity retried after its
transaction committed finds the row and does nothing twice.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import AuditEntry

WORKFLOW_ACTOR = "system:workflow"


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
