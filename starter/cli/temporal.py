"""`temporal`: the Temporal namespace the service runs in."""

import argparse
from typing import Any

from domain.settings import Settings
from starter.cli.common import (
    AddCommand,
    output,
)


async def temporal_setup(args: argparse.Namespace, settings: Settings) -> None:
    from runtime.temporal import connect
    from starter.temporal_setup import register_search_attributes

    client = await connect(settings)
    added = await register_search_attributes(client, settings.temporal_namespace)
    output(
        args,
        {"namespace": settings.temporal_namespace, "added": added},
        f"search attributes on {settings.temporal_namespace}: "
        + (f"added {', '.join(added)}" if added else "all present"),
    )


def register(commands: Any, command: AddCommand) -> None:
    temporal = commands.add_parser("temporal", help="Temporal").add_subparsers(
        dest="temporal", required=True
    )
    command(temporal, "setup", temporal_setup, "register the custom search attributes")
