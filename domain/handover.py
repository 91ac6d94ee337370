"""Handing the Account Administrator role of a WL-managed account over to the customer.

The WL administrator invites the customer's authorized contact by email; the link is
single-use and secured like an activation link (domain.activation, purpose `handover`). On
acceptance the contact becomes Account Administrator and the WL's administrators step down,
in one transaction.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field


def handover_workflow_id(customer_id: UUID) -> str:
    return f"handover-{customer_id}"


class HandoverState(StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class HandoverInput(BaseModel):
    customer_id: UUID
    white_label_id: UUID
    requested_by_user_id: UUID
    invitation_ttl: timedelta


class InviteRequest(BaseModel):
    """The `invite` update: the first invitation, or a new one that replaces the last."""

    requested_by_user_id: UUID


class AcceptHandover(BaseModel):
    link_version: int = Field(ge=1)


class HandoverProgress(BaseModel):
    """What the `status` query and both updates answer."""

    customer_id: UUID
    state: HandoverState
    link_version: int
    expires_at: datetime
    invitations_sent: int


class HandoverView(BaseModel):
    """What the API shows a WL administrator: never the link version or the token."""

    customer_id: UUID
    state: HandoverState
    expires_at: datetime | None = None
    invitations_sent: int = 0
    workflow_id: str | None = None


class HandoverEmailInput(BaseModel):
    customer_id: UUID
    link_version: int
    expires_at: datetime


class HandoverClosedInput(BaseModel):
    customer_id: UUID
    state: HandoverState
