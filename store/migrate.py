"""Applying and checking Alembic migrations from code, without an alembic.ini."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import READ_ONLY_OPTION

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_COMMAND = "python -m starter db upgrade"


class DatabaseNotMigrated(RuntimeError):
    """The database is behind the code's schema; the message says what to run."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _current_revision(connection: Connection) -> str | None:
    # Only a check: alembic's "Context impl ..." lines would be noise in every start-up.
    migration_log = logging.getLogger("alembic.runtime.migration")
    level = migration_log.level
    migration_log.setLevel(logging.WARNING)
    try:
        return MigrationContext.configure(connection).get_current_revision()
    finally:
        migration_log.setLevel(level)


def _upgrade(connection: Connection, database_url: str) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, engine.url.render_as_string(hide_password=False))


async def ensure_migrated(engine: AsyncEngine) -> None:
    """Refuses to run against a database whose schema is not at the code's head revision."""
    # Only a read: on SQLite it must not queue for the write lock behind a busy worker.
    async with engine.execution_options(**{READ_ONLY_OPTION: True}).connect() as connection:
        current = await connection.run_sync(_current_revision)
    if current != head_revision():
        raise DatabaseNotMigrated(
            f"the database is not migrated (at {current or 'no revision'}, code needs "
            f"{head_revision()}): run `{UPGRADE_COMMAND}`"
        )
