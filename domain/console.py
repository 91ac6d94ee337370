"""What the console's sign-in workflow carries: only the id of the sign-in row.

The address, the user and the link are read and computed by the activity, so neither an email
address nor a token ever enters Temporal history.
"""

from uuid import UUID

from pydantic import BaseModel

SIGN_IN_LINK_VERSION = 1
"""A sign-in row has one link: its MAC is of the row's id and this version."""


class ConsoleSignInEmail(BaseModel):
    sign_in_id: UUID


def console_sign_in_workflow_id(sign_in_id: UUID) -> str:
    return f"console-sign-in-{sign_in_id}"


PASSKEY_CHALLENGE_TTL_SECONDS = 300
"""How long a passkey ceremony's challenge may be answered (once)."""
PASSKEY_REGISTER = "register"
PASSKEY_SIGN_IN = "sign_in"
