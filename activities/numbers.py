"""Phone numbers from the white label's inventory, assigned to one customer at most."""

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.refusals import refuse
from domain.enums import NumberStatus
from domain.errors import BusinessError
from domain.signup import AllocatedNumbers, AllocateNumbersInput, CustomerRef
from store import audit
from store.engine import SessionFactory
from store.schema import PhoneNumber, utcnow


async def allocate_numbers_in(
    session: AsyncSession, data: AllocateNumbersInput
) -> AllocatedNumbers:
    """The allocation inside the caller's transaction: a refusal rolls back everything with it."""
    held = list(
        await session.scalars(
            select(PhoneNumber.e164)
            .where(PhoneNumber.customer_id == data.customer_id)
            .order_by(PhoneNumber.e164)
        )
    )
    if held:
        return AllocatedNumbers(numbers=held)
    query = select(PhoneNumber).where(
        PhoneNumber.white_label_id == data.white_label_id,
        PhoneNumber.status == NumberStatus.AVAILABLE.value,
    )
    if data.numbers:
        query = query.where(PhoneNumber.e164.in_(data.numbers)).with_for_update()
        rows = list(await session.scalars(query))
        missing = sorted(set(data.numbers) - {row.e164 for row in rows})
        if missing:
            raise refuse(
                BusinessError.NUMBERS_UNAVAILABLE,
                "numbers: not available to this white label: " + ", ".join(missing),
            )
    else:
        wanted = data.count or 0
        query = query.order_by(PhoneNumber.e164).limit(wanted)
        rows = list(await session.scalars(query.with_for_update(skip_locked=True)))
        if len(rows) < wanted:
            raise refuse(
                BusinessError.NUMBERS_UNAVAILABLE,
                f"numbers.count: {wanted} requested, {len(rows)} available",
            )
    now = utcnow()
    for row in rows:
        row.status = NumberStatus.ASSIGNED.value
        row.customer_id = data.customer_id
        row.assigned_at = now
    allocated = sorted(row.e164 for row in rows)
    audit.record(
        session,
        white_label_id=data.white_label_id,
        customer_id=data.customer_id,
        action="numbers.allocated",
        detail={"count": len(allocated)},
    )
    return AllocatedNumbers(numbers=allocated)


class NumberActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def allocate_numbers(self, data: AllocateNumbersInput) -> AllocatedNumbers:
        async with self._sessions.begin() as session:
            return await allocate_numbers_in(session, data)

    @activity.defn
    async def release_numbers(self, ref: CustomerRef) -> None:
        """Compensation: every number of the customer goes back to the WL's pool."""
        async with self._sessions.begin() as session:
            held = list(
                await session.scalars(
                    select(PhoneNumber).where(PhoneNumber.customer_id == ref.customer_id)
                )
            )
            if not held:
                return
            await session.execute(
                update(PhoneNumber)
                .where(PhoneNumber.customer_id == ref.customer_id)
                .values(status=NumberStatus.AVAILABLE.value, customer_id=None, assigned_at=None)
            )
            audit.record(
                session,
                white_label_id=held[0].white_label_id,
                customer_id=ref.customer_id,
                action="numbers.released",
                detail={"count": len(held)},
            )
