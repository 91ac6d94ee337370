"""Free text a person types (names, business details, address lines, brand fields) is one line
of printable text.

A control character in a stored name ends up in an email header, a CSV export or a log line:
CR/LF add headers, ESC sequences repaint a terminal, and bidi overrides make a name read
differently from what it is (`Evil‮moc.lapyap` shows as `Evilpaypal.com`). They are refused
where the text comes in, with the field's name, instead of being escaped everywhere it goes.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

NOT_PRINTABLE = re.compile(
    "["
    "\x00-\x1f\x7f"  # C0 controls and DEL (CR, LF, TAB, ESC...)
    "\x80-\x9f"  # C1 controls
    "\u202a-\u202e"  # bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
    "\u2066-\u2069"  # bidi isolates (LRI, RLI, FSI, PDI)
    "]"
)
MESSAGE = "must be one line of printable text (no control characters or bidi overrides)"


def printable(value: str) -> str:
    if NOT_PRINTABLE.search(value):
        raise ValueError(MESSAGE)
    return value


Printable = AfterValidator(printable)
"""Add to an `Annotated[str, ...]` of free text."""

PrintableText = Annotated[str, Printable]
