"""Tells "the database cannot be reached right now" apart from a bug.

Callers answer the first with "try again shortly" (HTTP 503, a retried activity) and let the
second surface as the error it is. A refused or dropped connection reaches us as a raw `OSError`
from the driver (asyncpg's connect) or as SQLAlchemy's `OperationalError` / `InterfaceError`;
a pool with no connection free in time (SQLite's one writer held too long) as its `TimeoutError`.
"""

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

UNREACHABLE: tuple[type[Exception], ...] = (OSError, OperationalError, InterfaceError, PoolTimeout)
