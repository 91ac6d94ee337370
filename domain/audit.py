"""What the audit trail shows a white label: who did what to which customer, and when."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEvent(BaseModel):
    id: uuid.UUID
    at: datetime
    customer_id: uuid.UUID | None
    actor: str = Field(
        description="`wl_user:<id>`, `operator:cli`, or `system:workflow` for the steps a "
        "workflow took (the customer's activation, Stripe's payment, timers)"
    )
    action: str = Field(description="e.g. `customer.created`, `email.sent`, `customer.read`")
    detail: dict[str, Any]


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next: str | None = Field(
        default=None, description="pass as `after` for the next page; None on the last page"
    )
