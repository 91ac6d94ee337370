"""`dev`: the whole local stack, what `make run` starts. The one door from the service's
commands into `devstack/`, imported only when the command runs."""

import argparse
from typing import Any

from domain.settings import Settings
from starter.cli.common import (
    AddCommand,
)


async def dev(args: argparse.Namespace, settings: Settings) -> None:
    from devstack.supervisor import run_dev_stack

    await run_dev_stack(json_output=args.json)


def register(commands: Any, command: AddCommand) -> None:
    command(commands, "dev", dev, "run the whole local stack (what `make run` starts)")
