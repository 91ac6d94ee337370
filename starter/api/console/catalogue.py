"""What the console's forms offer a white label: its plans, free numbers, credit and gateway."""

import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from activities.ledger import balance_owed, signup_charge
from domain.enums import NumberStatus
from starter.api.dependencies import AppServices
from store.schema import PhoneNumber, Plan, WhiteLabel

SHOWN_FREE_NUMBERS = 50
TIMEZONES = sorted(zoneinfo.available_timezones())


@dataclass(frozen=True)
class PlanChoice:
    """A plan as the form offers it, with what it would charge the WL account."""

    plan: Plan
    wl_charge: Decimal


@dataclass(frozen=True)
class Catalogue:
    """What the form offers: this white label's plans, free numbers, credit and gateway."""

    plans: list[PlanChoice]
    free_numbers: list[str]
    currency: str
    credit_left: Decimal
    takes_cards: bool

    def choice_for(self, plan_code: str) -> PlanChoice | None:
        return next((choice for choice in self.plans if choice.plan.code == plan_code), None)


async def white_label_catalogue(app: AppServices, white_label_id: uuid.UUID) -> Catalogue:
    async with app.reading_sessions() as session:
        white_label = await session.get_one(WhiteLabel, white_label_id)
        plans = list(
            await session.scalars(
                select(Plan).where(Plan.white_label_id == white_label_id).order_by(Plan.code)
            )
        )
        free = list(
            await session.scalars(
                select(PhoneNumber.e164)
                .where(
                    PhoneNumber.white_label_id == white_label_id,
                    PhoneNumber.status == NumberStatus.AVAILABLE.value,
                )
                .order_by(PhoneNumber.e164)
                .limit(SHOWN_FREE_NUMBERS)
            )
        )
        owed = await balance_owed(session, white_label_id)
    return Catalogue(
        plans=[PlanChoice(plan=plan, wl_charge=signup_charge(plan)) for plan in plans],
        free_numbers=free,
        currency=white_label.currency,
        credit_left=white_label.credit_limit - owed,
        takes_cards=app.signups.can_take_cards(white_label),
    )
