"""What a WL's staff read of its own plans and number pool through the API."""

from uuid import UUID

from pydantic import BaseModel

from domain.enums import NumberStatus
from domain.money import Amount


class PlanView(BaseModel):
    code: str
    name: str
    currency: str
    setup_fee: Amount
    monthly_fee: Amount
    initial_funding: Amount


class PlanList(BaseModel):
    plans: list[PlanView]


class NumberView(BaseModel):
    e164: str
    status: NumberStatus
    customer_id: UUID | None


class NumberList(BaseModel):
    numbers: list[NumberView]
