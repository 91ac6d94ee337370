"""`db`: the database's schema."""

import argparse
from typing import Any

from domain.settings import Settings
from starter.cli.common import (
    AddCommand,
    output,
)
from store.engine import create_engine


async def db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    from store.migrate import head_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    output(args, {"revision": head_revision()}, f"database at revision {head_revision()}")


def register(commands: Any, command: AddCommand) -> None:
    db = commands.add_parser("db", help="the database").add_subparsers(dest="db", required=True)
    command(db, "upgrade", db_upgrade, "apply migrations")
