"""The demo white label of the local stack, created once and remembered under .data/."""

import json
import uuid
from decimal import Decimal
from pathlib import Path

from domain.brand import BrandUpdate
from starter import admin
from store.engine import SessionFactory
from store.schema import WhiteLabel

DEMO_NAME = "Demo Telecom"
DEMO_PLAN = "business-5"


DEMO_ADMIN_EMAIL = "admin@demo-telecom.example"


async def seed_demo(sessions: SessionFactory, remembered: Path) -> dict[str, str]:
    if remembered.exists():
        demo: dict[str, str] = json.loads(remembered.read_text())
        async with sessions() as session:
            if await session.get(WhiteLabel, uuid.UUID(demo["white_label_id"])) is not None:
                return {"admin_email": DEMO_ADMIN_EMAIL, **demo}
    created = await admin.create_white_label(
        sessions,
        name=DEMO_NAME,
        admin_email=DEMO_ADMIN_EMAIL,
        currency="NZD",
        credit_limit=Decimal("5000.00"),
    )
    await admin.add_plan(
        sessions,
        white_label_id=created.white_label_id,
        code=DEMO_PLAN,
        name="Business 5 seats",
        setup_fee=Decimal("25.00"),
        monthly_fee=Decimal("49.00"),
        initial_funding=Decimal("100.00"),
    )
    await admin.add_plan(
        sessions,
        white_label_id=created.white_label_id,
        code="solo",
        name="Solo",
        setup_fee=Decimal("0.00"),
        monthly_fee=Decimal("15.00"),
        initial_funding=Decimal("20.00"),
    )
    await admin.set_payment_gateway(
        sessions, white_label_id=created.white_label_id, provider="stripe"
    )
    # A brand of its own, so the pages and emails show what a reseller's customers see.
    await admin.brand_white_label(
        sessions,
        white_label_id=created.white_label_id,
        change=BrandUpdate(
            primary_colour="#0f766e",
            support_email="help@demo-telecom.example",
            support_phone="+6495550000",
            email_sender_name="Demo Telecom Signups",
        ),
    )
    await admin.add_numbers(
        sessions,
        white_label_id=created.white_label_id,
        numbers=admin.expand_number_range("+6495550100", "+6495550199"),
    )
    demo = {
        "white_label_id": str(created.white_label_id),
        "white_label_name": DEMO_NAME,
        "admin_user_id": str(created.admin_user_id),
        "admin_email": DEMO_ADMIN_EMAIL,
        "api_key": created.api_key,
        "plan_code": DEMO_PLAN,
    }
    remembered.write_text(json.dumps(demo, indent=2))
    remembered.chmod(0o600)
    return demo
