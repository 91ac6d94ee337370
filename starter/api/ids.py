"""An id in a `/v1` path: any string up to a UUID's length.

One that is not a UUID names nothing of the caller's, so it is a 404 like an id of another
white label, never a 422 that would tell the two apart; and a staff caller gets their 403
before any lookup, whatever the id.
"""

import uuid
from typing import Annotated

from fastapi import Path

AnyId = Annotated[str, Path(max_length=36)]


def as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
