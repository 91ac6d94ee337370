"""Charges against a white label's own billing account, within its credit limit."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.refusals import refuse
from domain.errors import BusinessError
from domain.money import format_amount
from domain.signup import CustomerRef, DebitInput, DebitResult
from store import audit
from store.engine import SessionFactory
from store.schema import Customer, Plan, WhiteLabel, WlLedgerEntry


def signup_charge_key(customer_id: object) -> str:
    return f"customer-{customer_id}:signup-charge"


def signup_reversal_key(customer_id: object) -> str:
    return f"{signup_charge_key(customer_id)}:reversal"


def signup_charge(plan: Plan) -> Decimal:
    """What a WL-managed signup charges the white label: the setup fee and the first month."""
    return plan.setup_fee + plan.monthly_fee


async def balance_owed(session: AsyncSession, white_label_id: object) -> Decimal:
    """What the white label owes now: the sum of its charges less reversals."""
    total = await session.scalar(
        select(func.coalesce(func.sum(WlLedgerEntry.amount), 0)).where(
            WlLedgerEntry.white_label_id == white_label_id
        )
    )
    # The sum keeps the column's MinorUnits type, so it arrives as an exact Decimal.
    return Decimal(total or 0).quantize(Decimal("0.01"))


async def _entry(session: AsyncSession, key: str) -> WlLedgerEntry | None:
    return await session.scalar(select(WlLedgerEntry).where(WlLedgerEntry.idempotency_key == key))


async def debit_signup_charges_in(session: AsyncSession, data: DebitInput) -> DebitResult:
    """The debit inside the caller's transaction: a refusal rolls back everything with it."""
    key = signup_charge_key(data.customer_id)
    existing = await _entry(session, key)
    if existing is not None:
        return DebitResult(
            ledger_entry_id=existing.id, amount=existing.amount, currency=existing.currency
        )
    # Locking the white label row serialises concurrent debits of one WL (PostgreSQL);
    # SQLite transactions here begin IMMEDIATE, which serialises them as well.
    white_label = await session.scalar(
        select(WhiteLabel).where(WhiteLabel.id == data.white_label_id).with_for_update()
    )
    customer = await session.get_one(Customer, data.customer_id)
    plan = await session.get_one(Plan, customer.plan_id)
    assert white_label is not None
    if plan.currency != white_label.currency:
        raise refuse(
            BusinessError.CURRENCY_MISMATCH,
            f"plan {plan.code!r} is priced in {plan.currency}, "
            f"the white label is billed in {white_label.currency}",
        )
    amount = signup_charge(plan)
    owed = await balance_owed(session, white_label.id)
    if owed + amount > white_label.credit_limit:
        raise refuse(
            BusinessError.CREDIT_LIMIT_EXCEEDED,
            f"charging {format_amount(amount)} {white_label.currency} would bring the "
            f"balance owed to {format_amount(owed + amount)}, above the credit limit of "
            f"{format_amount(white_label.credit_limit)}",
        )
    entry = WlLedgerEntry(
        white_label_id=white_label.id,
        customer_id=customer.id,
        amount=amount,
        currency=white_label.currency,
        reason=f"signup of customer {customer.id}: plan {plan.code} setup + first month",
        idempotency_key=key,
    )
    session.add(entry)
    audit.record(
        session,
        white_label_id=white_label.id,
        customer_id=customer.id,
        action="wl_ledger.debited",
        detail={"amount": format_amount(amount), "currency": white_label.currency},
    )
    await session.flush()
    return DebitResult(ledger_entry_id=entry.id, amount=amount, currency=entry.currency)


class LedgerActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def debit_signup_charges(self, data: DebitInput) -> DebitResult:
        """Setup fee plus the first month, refused if the balance owed would pass the limit."""
        async with self._sessions.begin() as session:
            return await debit_signup_charges_in(session, data)

    @activity.defn
    async def reverse_signup_charges(self, ref: CustomerRef) -> None:
        """Compensation: a negative entry that cancels the signup charge, written once."""
        async with self._sessions.begin() as session:
            charge = await _entry(session, signup_charge_key(ref.customer_id))
            reversal_key = signup_reversal_key(ref.customer_id)
            if charge is None or await _entry(session, reversal_key) is not None:
                return
            session.add(
                WlLedgerEntry(
                    white_label_id=charge.white_label_id,
                    customer_id=charge.customer_id,
                    amount=-charge.amount,
                    currency=charge.currency,
                    reason=f"reversal of the signup charge of customer {ref.customer_id}",
                    idempotency_key=reversal_key,
                )
            )
            audit.record(
                session,
                white_label_id=charge.white_label_id,
                customer_id=ref.customer_id,
                action="wl_ledger.reversed",
                detail={"amount": format_amount(charge.amount), "currency": charge.currency},
            )
