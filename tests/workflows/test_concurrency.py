"""Many signups at once: nothing assigned twice, no credit limit overrun, no duplicates."""

import asyncio
import uuid
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from store.engine import SessionFactory
from store.schema import Customer, PhoneNumber, WlLedgerEntry
from tests.conftest import customer_request, make_white_label

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.load
async def test_fifty_signups_compete_for_thirty_numbers(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    white_label = await make_white_label(
        sessions, credit_limit=Decimal("100000.00"), number_count=30
    )

    answers = await asyncio.gather(
        *(
            api.post(
                "/v1/customers",
                json=customer_request(numbers={"count": 1}),
                headers=white_label.headers,
            )
            for _ in range(50)
        )
    )

    outcomes = Counter(
        answer.json()["status"] if answer.status_code == 201 else answer.json()["error"]["type"]
        for answer in answers
    )
    assert outcomes == Counter({"active": 30, "NumbersUnavailable": 20})
    async with sessions() as session:
        holders = list(
            await session.execute(
                select(PhoneNumber.e164, PhoneNumber.customer_id).where(
                    PhoneNumber.white_label_id == white_label.id
                )
            )
        )
        failed_holding = await session.scalar(
            select(func.count())
            .select_from(PhoneNumber)
            .join(Customer, Customer.id == PhoneNumber.customer_id)
            .where(Customer.status == "failed")
        )
        balance = await session.scalar(
            select(func.sum(WlLedgerEntry.amount)).where(
                WlLedgerEntry.white_label_id == white_label.id
            )
        )
    owners = [customer_id for _, customer_id in holders]
    assert None not in owners
    assert len(set(owners)) == 30
    assert failed_holding == 0
    assert balance == Decimal("74.00") * 30


@pytest.mark.load
async def test_concurrent_debits_never_pass_the_credit_limit(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    white_label = await make_white_label(sessions, credit_limit=Decimal("740.00"))

    answers = await asyncio.gather(
        *(
            api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
            for _ in range(25)
        )
    )

    codes = Counter(answer.status_code for answer in answers)
    assert codes == Counter({201: 10, 422: 15})
    assert {answer.json()["error"]["type"] for answer in answers if answer.status_code == 422} == {
        "CreditLimitExceeded"
    }
    async with sessions() as session:
        owed = await session.scalar(
            select(func.sum(WlLedgerEntry.amount)).where(
                WlLedgerEntry.white_label_id == white_label.id
            )
        )
    assert owed == Decimal("740.00")


async def test_one_idempotency_key_sent_twice_at_once_creates_one_customer(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    white_label = await make_white_label(sessions)
    body = customer_request(numbers={"count": 1})
    headers = {**white_label.headers, "Idempotency-Key": f"order-{uuid.uuid4()}"}

    first, second = await asyncio.gather(
        api.post("/v1/customers", json=body, headers=headers),
        api.post("/v1/customers", json=body, headers=headers),
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["customer_id"] == second.json()["customer_id"]
    async with sessions() as session:
        customers = await session.scalar(
            select(func.count()).where(Customer.white_label_id == white_label.id)
        )
        charges = await session.scalar(
            select(func.count()).where(WlLedgerEntry.white_label_id == white_label.id)
        )
    assert customers == 1
    assert charges == 1
