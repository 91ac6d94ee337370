"""Pydantic's validation errors as this service shows them: `contact.email: message`.

The API's 422, the bulk report and the CLI all name a bad field the same way.
"""

from collections.abc import Sequence


def field_path(location: Sequence[object]) -> str:
    """`contact.email` from pydantic's location; what unions add (a member's class name, or
    `function-after[_unique(), NumberList]` for a member with a validator) is left out."""
    return ".".join(
        str(part) for part in location if not str(part)[:1].isupper() and "[" not in str(part)
    )


def field_message(message: str) -> str:
    """The message without the "Value error, " pydantic puts before a validator's own."""
    return message.removeprefix("Value error, ")
