"""Inputs, results and activity payloads of the signup workflows.

Everything here crosses the Temporal boundary through the pydantic data converter, so it
holds identifiers and enums wherever it can: contact data is read from the database by the
activities that need it rather than copied through workflow history.
"""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from domain.customer import CreateCustomerRequest, PbxSettings
from domain.enums import CustomerStatus, SignupPath
from domain.money import Amount


def workflow_id_for(customer_id: UUID) -> str:
    return f"customer-{customer_id}"


class SignupStart(BaseModel):
    """What every signup workflow starts with, whatever its path."""

    customer_id: UUID
    white_label_id: UUID
    requested_by_user_id: UUID
    request: CreateCustomerRequest


class WlManagedSignupInput(SignupStart):
    pass


class SignupResult(BaseModel):
    customer_id: UUID
    status: CustomerStatus


class SignupProgress(BaseModel):
    """What the `status` query answers: where the signup is and what it waits for."""

    customer_id: UUID
    path: SignupPath
    status: CustomerStatus
    stage: str
    failure_type: str | None = None


class CreateAccountInput(BaseModel):
    customer_id: UUID
    white_label_id: UUID
    created_by_user_id: UUID
    request: CreateCustomerRequest
    status: CustomerStatus
    activation_expires_at: datetime | None = None


class AccountCreated(BaseModel):
    customer_id: UUID
    plan_id: UUID
    plan_code: str
    currency: str
    amount_due: Amount = Decimal("0.00")
    """What a self-serve customer pays by card to fund the account (the plan's initial funding)."""


class DebitInput(BaseModel):
    customer_id: UUID
    white_label_id: UUID


class DebitResult(BaseModel):
    ledger_entry_id: UUID
    amount: Amount
    currency: str


class AdministratorInput(BaseModel):
    customer_id: UUID
    wl_user_id: UUID


class AllocateNumbersInput(BaseModel):
    customer_id: UUID
    white_label_id: UUID
    count: int | None = None
    numbers: list[str] | None = None


class AllocatedNumbers(BaseModel):
    numbers: list[str]


class ApplyPbxSettingsInput(BaseModel):
    customer_id: UUID
    settings: PbxSettings
    numbers: list[str]


class MarkFailedInput(BaseModel):
    customer_id: UUID
    failure_type: str
    message: str


class CustomerRef(BaseModel):
    customer_id: UUID
