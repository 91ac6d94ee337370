"""Contracts of the self-serve signup: its input, its messages and their answers.

No token and no Stripe client secret ever appears here: the API verifies tokens itself and
passes only the link version, and it fetches client secrets from Stripe by intent id.
"""

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from domain.money import Amount
from domain.signup import SignupStart


class SelfServeSignupInput(SignupStart):
    activation_ttl: timedelta
    reminders: list[timedelta]
    payment_ttl: timedelta


class LinkRefusal(StrEnum):
    """Why a link no longer works; the customer is only ever shown a generic page."""

    SUPERSEDED = "LinkSuperseded"
    EXPIRED = "LinkExpired"
    CLOSED = "SignupClosed"
    NOT_READY = "NotAwaitingPayment"
    PAYMENT_IN_PROGRESS = "PaymentInProgress"


class ActivateRequest(BaseModel):
    link_version: int = Field(ge=1)


class ActivationOutcome(StrEnum):
    ACTIVATED = "activated"
    ALREADY_ACTIVATED = "already_activated"


class ActivateResult(BaseModel):
    """The answer the page renders from, so it needs no second round trip to the workflow."""

    outcome: ActivationOutcome
    payment_due: bool
    payment_expires_at: datetime | None = None
    last_payment_error: str | None = None


class SubmitPaymentRequest(BaseModel):
    link_version: int = Field(ge=1)
    payment_method: str = Field(pattern=r"^pm_[A-Za-z0-9_]{1,200}$")


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"


class SubmitPaymentResult(BaseModel):
    status: PaymentStatus
    payment_intent_id: str | None = None
    message: str | None = None


class PaymentSucceeded(BaseModel):
    """Signal from the Stripe webhook: an intent of this customer was paid."""

    payment_intent_id: str
    amount: Amount
    currency: str
    event_id: str


class PaymentFailed(BaseModel):
    payment_intent_id: str
    message: str
    event_id: str


class SelfServeProgress(BaseModel):
    """What the `status` query answers; the pages read it to pick what to show."""

    customer_id: UUID
    status: str
    stage: str
    link_version: int
    activation_expires_at: datetime
    payment_expires_at: datetime | None = None
    reminders_sent: int = 0
    payment_attempts: int = 0
    last_payment_error: str | None = None
    converted: bool = False
    """The WL administrator took the signup over: the customer's link no longer works."""


# --- activity payloads -------------------------------------------------------------------


class ActivationEmailInput(BaseModel):
    customer_id: UUID
    link_version: int
    expires_at: datetime
    reminder: int = 0


class PaymentAttemptInput(BaseModel):
    customer_id: UUID
    workflow_id: str
    attempt: int
    payment_method: str


class CancelPaymentsInput(BaseModel):
    customer_id: UUID
    refund_paid: bool


class CancelPaymentsResult(BaseModel):
    refunded_payment_intent_ids: list[str]


class RecordPaymentInput(BaseModel):
    customer_id: UUID
    payment: PaymentSucceeded


class MarkStatusInput(BaseModel):
    customer_id: UUID
    status: str


class WlNotice(StrEnum):
    CUSTOMER_ACTIVE = "customer_active"
    SIGNUP_EXPIRED = "signup_expired"
    SIGNUP_CANCELLED = "signup_cancelled"
    LATE_PAYMENT_REFUNDED = "late_payment_refunded"
    HANDOVER_ACCEPTED = "handover_accepted"
    HANDOVER_EXPIRED = "handover_expired"


class WlNoticeInput(BaseModel):
    customer_id: UUID
    kind: WlNotice
    reference: str | None = None


class RefundLatePaymentInput(BaseModel):
    customer_id: UUID
    payment: PaymentSucceeded
    reason: str
