"""Tells "the database cannot be reached right now" apart from a bug.

Callers answer the first with "try again shortly" (HTTP 503, a retried activity) and let the
second surface as the error it is. A refused or dropped connection reaches us as a raw `OSError`
from the driver (asyncpg's connect) or as SQLAlchemy's `OperationalError` / `InterfaceError`.
"""

from sqlalchemy.exc import InterfaceError, OperationalError

UNREACHABLE: tuple[type[Exception], ...] = (OSError, OperationalError, InterfaceError)
