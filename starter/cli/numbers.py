"""`numbers`: a white label's number inventory."""

import argparse
import uuid
from typing import Any

from domain.settings import Settings
from starter import admin
from starter.cli.common import (
    AddCommand,
    UsageError,
    output,
    with_sessions,
)
from store.engine import SessionFactory


async def numbers_add(args: argparse.Namespace, settings: Settings) -> None:
    numbers = list(args.numbers)
    if args.range:
        first, _, last = args.range.partition(":")
        numbers += admin.expand_number_range(first, last)
    if not numbers:
        raise UsageError("give numbers in E.164 form or --range FIRST:LAST")

    async def act(sessions: SessionFactory) -> None:
        added, present = await admin.add_numbers(sessions, white_label_id=args.wl, numbers=numbers)
        output(
            args,
            {"added": added, "already_present": present},
            f"{len(added)} numbers added, {len(present)} already present",
        )

    await with_sessions(settings, act)


def register(commands: Any, command: AddCommand) -> None:
    numbers = commands.add_parser("numbers", help="number inventory").add_subparsers(
        dest="numbers_command", required=True
    )
    add_numbers = command(numbers, "add", numbers_add, "add numbers to a white label's pool")
    add_numbers.add_argument("--wl", required=True, type=uuid.UUID)
    add_numbers.add_argument("numbers", nargs="*", help="E.164 numbers")
    add_numbers.add_argument("--range", help="FIRST:LAST, both E.164")
