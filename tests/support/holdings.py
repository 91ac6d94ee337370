"""Everything a signup wrote for one customer, counted, so a test can say "exactly once"."""

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from store.engine import SessionFactory
from store.schema import (
    AccountAdministrator,
    AuditEntry,
    CustomerBalanceEntry,
    Payment,
    PaymentAttempt,
    PhoneNumber,
    WlLedgerEntry,
)


@dataclass(frozen=True)
class Holdings:
    ledger: list[Decimal]
    administrators: int
    numbers: list[str]
    payment_attempts: int
    payments: list[Decimal]
    balance: list[Decimal]
    audit: Counter[str]


async def holdings_of(sessions: SessionFactory, customer_id: uuid.UUID) -> Holdings:
    async with sessions() as session:
        ledger = await session.scalars(
            select(WlLedgerEntry.amount).where(WlLedgerEntry.customer_id == customer_id)
        )
        numbers = await session.scalars(
            select(PhoneNumber.e164).where(PhoneNumber.customer_id == customer_id)
        )
        payments = await session.scalars(
            select(Payment.amount).where(Payment.customer_id == customer_id)
        )
        balance = await session.scalars(
            select(CustomerBalanceEntry.amount).where(
                CustomerBalanceEntry.customer_id == customer_id
            )
        )
        actions = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.customer_id == customer_id)
        )
        administrators = await session.scalar(
            select(func.count()).where(AccountAdministrator.customer_id == customer_id)
        )
        attempts = await session.scalar(
            select(func.count()).where(PaymentAttempt.customer_id == customer_id)
        )
        return Holdings(
            ledger=list(ledger),
            administrators=int(administrators or 0),
            numbers=sorted(numbers),
            payment_attempts=int(attempts or 0),
            payments=list(payments),
            balance=list(balance),
            audit=Counter(actions),
        )
