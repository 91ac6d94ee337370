"""What the worker and the API check before they connect to anything.

Both need the same secrets and a migrated database; a miss ends the process at once with one
line naming what to set or run (exit 1), instead of a traceback after the first request.
"""

import logging
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.settings import ConfigurationError, Settings
from runtime.payload_codec import warn_if_unsealed
from store.migrate import DatabaseNotMigrated, ensure_migrated


async def refuse_to_start_unready(settings: Settings, engine: AsyncEngine, process: str) -> None:
    try:
        settings.required_activation_secret()
        settings.required_encryption_key()
        await ensure_migrated(engine)
    except (DatabaseNotMigrated, ConfigurationError) as error:
        print(f"{process}: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    warn_if_unsealed(settings, logging.getLogger(process))
