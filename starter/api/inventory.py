"""`/v1/plans` and `/v1/numbers`: a WL reads its own catalogue and number pool.

Both are scoped to the caller's white label in the query itself, so another WL's rows can
never be named, counted or guessed from here.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from domain.enums import NumberStatus
from domain.inventory import NumberList, NumberView, PlanList, PlanView
from starter.api.customers import ERRORS
from starter.api.dependencies import AppServices, AuthenticatedCaller
from store.schema import PhoneNumber, Plan

router = APIRouter(prefix="/v1", tags=["inventory"])


@router.get("/plans", response_model=PlanList, responses=ERRORS, summary="The WL's plans")
async def list_plans(app: AppServices, caller: AuthenticatedCaller) -> PlanList:
    query = select(Plan).where(Plan.white_label_id == caller.white_label_id).order_by(Plan.code)
    async with app.reading_sessions() as session:
        plans = list(await session.scalars(query))
    return PlanList(
        plans=[
            PlanView(
                code=plan.code,
                name=plan.name,
                currency=plan.currency,
                setup_fee=plan.setup_fee,
                monthly_fee=plan.monthly_fee,
                initial_funding=plan.initial_funding,
            )
            for plan in plans
        ]
    )


@router.get("/numbers", response_model=NumberList, responses=ERRORS, summary="The WL's number pool")
async def list_numbers(
    app: AppServices,
    caller: AuthenticatedCaller,
    status: NumberStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NumberList:
    query = select(PhoneNumber).where(PhoneNumber.white_label_id == caller.white_label_id)
    if status is not None:
        query = query.where(PhoneNumber.status == status.value)
    query = query.order_by(PhoneNumber.e164).limit(limit).offset(offset)
    async with app.reading_sessions() as session:
        numbers = list(await session.scalars(query))
    return NumberList(
        numbers=[
            NumberView(e164=row.e164, status=NumberStatus(row.status), customer_id=row.customer_id)
            for row in numbers
        ]
    )
