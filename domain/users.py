"""The white label's own people and keys: what the API, the console and the CLI say about them.

A user is an administrator or staff. An administrator invites one by email; the invitation's
link signs the new user in to the console once. Removing a user ends their sessions and stops
their key at once; the last administrator can be neither removed nor made staff, so a white
label always has someone who can manage it. Named API keys belong to the white label, each
with its own role; their secret is shown once, when made.
"""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from domain.enums import UserRole

INVITATION_AUDIT = "user.invited"
ROLE_CHANGED_AUDIT = "user.role_changed"
REMOVED_AUDIT = "user.removed"
SESSIONS_ENDED_AUDIT = "user.sessions_ended"
KEY_CREATED_AUDIT = "api_key.created"
KEY_REVOKED_AUDIT = "api_key.revoked"


class UserState(StrEnum):
    INVITED = "invited"
    """Invited and not signed in yet."""
    ACTIVE = "active"


class UserInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254, description="where the invitation is sent")
    role: UserRole = Field(description="`administrator` or `staff`")


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: UserRole


class UserView(BaseModel):
    id: UUID
    email: str
    role: UserRole
    state: UserState
    created_at: datetime
    last_signed_in_at: datetime | None
    invitation_expires_at: datetime | None = Field(
        description="when the latest invitation stops working, while the user has not signed in"
    )
    open_sessions: int = Field(description="console sessions not ended")


class UserList(BaseModel):
    users: list[UserView]


class SessionsEnded(BaseModel):
    user_id: UUID
    sessions_ended: int


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="what the key is for")
    role: UserRole = Field(description="what the key may do: `administrator` or `staff`")

    @field_validator("name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        trimmed = " ".join(value.split())
        if not trimmed:
            raise ValueError("name: give the key a name")
        return trimmed


class ApiKeyView(BaseModel):
    id: UUID
    name: str
    role: UserRole
    created_at: datetime
    created_by: str = Field(description="the email of the user who made it")
    last_used_at: datetime | None = Field(description="to the minute")
    revoked_at: datetime | None


class ApiKeyList(BaseModel):
    keys: list[ApiKeyView]


class NewApiKey(ApiKeyView):
    api_key: str = Field(description="the secret: shown this once, never again")
