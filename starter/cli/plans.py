"""`plans`: what a white label sells."""

import argparse
import uuid
from decimal import Decimal
from typing import Any

from domain.settings import Settings
from starter import admin
from starter.cli.common import (
    AddCommand,
    amount,
    output,
    with_sessions,
)
from store.engine import SessionFactory


async def plans_add(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        plan = await admin.add_plan(
            sessions,
            white_label_id=args.wl,
            code=args.code,
            name=args.name,
            setup_fee=args.setup_fee,
            monthly_fee=args.monthly_fee,
            initial_funding=args.initial_funding,
        )
        output(
            args,
            {"plan_id": plan.id, "code": plan.code, "currency": plan.currency},
            f"plan {plan.code} ({plan.id})",
        )

    await with_sessions(settings, act)


def register(commands: Any, command: AddCommand) -> None:
    plans = commands.add_parser("plans", help="plans").add_subparsers(dest="plans", required=True)
    plan = command(plans, "add", plans_add, "add a plan to a white label")
    plan.add_argument("--wl", required=True, type=uuid.UUID)
    plan.add_argument("--code", required=True)
    plan.add_argument("--name", required=True)
    plan.add_argument("--setup-fee", required=True, type=amount)
    plan.add_argument("--monthly-fee", required=True, type=amount)
    plan.add_argument("--initial-funding", type=amount, default=Decimal("0.00"))
