"""Contracts of the erasure of abandoned self-serve signups' contact data.

Only a retention, a cutoff and counts cross the Temporal boundary: which customers were
erased is in the store (`customers.contact_erased_at` and a `customer.contact_erased` audit
entry each), never in workflow history.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

ERASED_FIELDS = ("contact", "business", "address", "service_address")
"""The customer columns that hold personal data; everything else about the signup is kept."""

ERASURE_WORKFLOW = "AbandonedSignupErasureWorkflow"
"""The erasure workflow's registered name: the schedule starts it by this name."""


def erasure_workflow_id(task_queue: str) -> str:
    """The schedule's id, and the stem of the ids of the runs it starts."""
    return f"erase-abandoned-signups-{task_queue}"


DEFAULT_BATCH_SIZE = 200
"""Customers per activity call: each may need a Stripe call, and a call should end in minutes."""


class ErasureInput(BaseModel):
    """What the daily schedule (or `customers erase-abandoned`) starts the workflow with."""

    retention: timedelta = Field(gt=timedelta(0))
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=1000)
    # Set only when the workflow continues as new, so the next run keeps the first's cutoff.
    cutoff: datetime | None = None
    erased_before: int = Field(default=0, ge=0)


class ErasureResult(BaseModel):
    erased: int
    cutoff: datetime


class EraseBatchInput(BaseModel):
    cutoff: datetime
    """Signups that closed before this moment are erased."""
    limit: int = Field(ge=1)


class EraseBatchResult(BaseModel):
    erased: int
    more: bool
    """Whether more signups closed before the cutoff are still waiting for erasure."""
