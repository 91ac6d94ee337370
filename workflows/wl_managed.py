"""WL-managed signup: the white label administrator provisions the account at once."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import search_attributes
from workflows.create_account import create_account
from workflows.failures import Refusal, StepFailure, business_refusal
from workflows.policies import EMAIL_STEP, LOCAL_DATABASE_STEPS_PATCH, database_step
from workflows.signup_metrics import record_status

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from activities.email import EmailActivities
    from activities.ledger import LedgerActivities
    from activities.numbers import NumberActivities
    from activities.pbx import PbxActivities
    from domain.customer import NumberCount, NumberList
    from domain.enums import CustomerStatus, SignupPath
    from domain.signup import (
        AdministratorInput,
        AllocateNumbersInput,
        ApplyPbxSettingsInput,
        CustomerRef,
        DebitInput,
        MarkFailedInput,
        SignupProgress,
        SignupResult,
        WlManagedSignupInput,
    )
    from domain.signup_paths import SIGNUP_PATHS

Compensation = tuple[str, Callable[[], Awaitable[None]]]
T = TypeVar("T")
UNDO_FAILING_STEP_PATCH = "undo-the-failing-step-too"
CompensatingActivity = Callable[[Any, "CustomerRef"], Awaitable[None]]
STEPS = 7


@workflow.defn(name=SIGNUP_PATHS[SignupPath.WL_MANAGED].workflow)
class WlManagedSignupWorkflow:
    def __init__(self) -> None:
        self._progress: SignupProgress | None = None
        self._white_label_id = uuid.UUID(int=0)
        self._local_steps = False

    @workflow.query
    def status(self) -> SignupProgress | None:
        return self._progress

    def _stage(self, step: int, stage: str) -> None:
        assert self._progress is not None
        self._progress = self._progress.model_copy(update={"stage": stage})
        workflow.set_current_details(f"**Step {step}/{STEPS}:** {stage}")

    def _status(self, status: CustomerStatus) -> None:
        assert self._progress is not None
        self._progress = self._progress.model_copy(update={"status": status})
        workflow.upsert_search_attributes([search_attributes.SIGNUP_STATUS.value_set(status.value)])
        record_status(
            SignupPath.WL_MANAGED,
            self._white_label_id,
            status,
            workflow.info().workflow_start_time,
        )

    @workflow.run
    async def run(self, data: WlManagedSignupInput) -> SignupResult:
        customer = CustomerRef(customer_id=data.customer_id)
        # Versioned change: newer runs do their short database steps as local activities (one
        # marker each instead of a round trip through the server); older runs replay as they ran.
        self._local_steps = workflow.patched(LOCAL_DATABASE_STEPS_PATCH)
        self._white_label_id = data.white_label_id
        self._progress = SignupProgress(
            customer_id=data.customer_id,
            path=SignupPath.WL_MANAGED,
            status=CustomerStatus.PROVISIONING,
            stage="starting",
        )
        self._status(CustomerStatus.PROVISIONING)

        self._stage(1, "creating the account")
        # A refusal here leaves nothing to compensate or mark: nothing exists yet.
        await create_account(
            data, SIGNUP_PATHS[SignupPath.WL_MANAGED], local=self._local_steps, refused=self._fail
        )

        compensations: list[Compensation] = []
        try:
            await self._provision(data, customer, compensations)
        except StepFailure as error:
            refused = business_refusal(error)
            if refused is None:
                raise
            self._stage(STEPS, f"undoing after {refused.failure_type}")
            for summary, undo in reversed(compensations):
                workflow.logger.info("compensating: %s", summary)
                await undo()
            await database_step(
                self._local_steps,
                AccountActivities.mark_failed,
                MarkFailedInput(
                    customer_id=data.customer_id,
                    failure_type=refused.failure_type,
                    message=refused.message,
                ),
                summary="mark the signup failed",
            )
            self._fail(refused)

        self._status(CustomerStatus.ACTIVE)
        self._stage(STEPS, "sending the confirmation email to the WL administrator")
        try:
            await workflow.execute_activity_method(
                EmailActivities.send_wl_confirmation,
                customer,
                summary="confirmation email to the WL administrator",
                **EMAIL_STEP,
            )
        except ActivityError:
            # The account is active whatever happens to the courtesy email; the failure is
            # visible in this workflow's history.
            workflow.logger.warning("confirmation email could not be sent")
        workflow.set_current_details("**Done:** the account is active")
        return SignupResult(customer_id=data.customer_id, status=CustomerStatus.ACTIVE)

    async def _provision(
        self,
        data: WlManagedSignupInput,
        customer: CustomerRef,
        compensations: list[Compensation],
    ) -> None:
        # Versioned change: runs started before it undo only the steps that succeeded; newer
        # runs register each undo before its step, so a step that fails after doing part of
        # its work is undone too (every undo is idempotent and harmless when there is nothing
        # to undo).
        undo_first = workflow.patched(UNDO_FAILING_STEP_PATCH)

        async def step(undo: Compensation, call: Awaitable[T]) -> T:
            if undo_first:
                compensations.append(undo)
            result = await call
            if not undo_first:
                compensations.append(undo)
            return result

        self._stage(2, "debiting the white label's billing account")
        await step(
            self._undo(LedgerActivities.reverse_signup_charges, customer, "reverse the charge"),
            database_step(
                self._local_steps,
                LedgerActivities.debit_signup_charges,
                DebitInput(customer_id=data.customer_id, white_label_id=data.white_label_id),
                summary="debit setup fee and first month",
            ),
        )

        self._stage(3, "making the requesting administrator Account Administrator")
        await step(
            self._undo(
                AccountActivities.remove_account_administrators, customer, "remove administrators"
            ),
            database_step(
                self._local_steps,
                AccountActivities.add_wl_administrator,
                AdministratorInput(
                    customer_id=data.customer_id, wl_user_id=data.requested_by_user_id
                ),
                summary="add Account Administrator",
            ),
        )

        numbers: list[str] = []
        request = data.request.numbers
        if request is not None:
            self._stage(4, "allocating numbers")
            allocated = await step(
                self._undo(NumberActivities.release_numbers, customer, "release numbers"),
                database_step(
                    self._local_steps,
                    NumberActivities.allocate_numbers,
                    AllocateNumbersInput(
                        customer_id=data.customer_id,
                        white_label_id=data.white_label_id,
                        count=request.count if isinstance(request, NumberCount) else None,
                        numbers=request.numbers if isinstance(request, NumberList) else None,
                    ),
                    summary="allocate numbers",
                ),
            )
            numbers = allocated.numbers

        if data.request.pbx_settings is not None:
            self._stage(5, "applying PBX settings")
            compensations.append(
                self._undo(PbxActivities.remove_pbx_settings, customer, "remove PBX settings")
            )
            await database_step(
                self._local_steps,
                PbxActivities.apply_pbx_settings,
                ApplyPbxSettingsInput(
                    customer_id=data.customer_id,
                    settings=data.request.pbx_settings,
                    numbers=numbers,
                ),
                summary="apply PBX settings",
            )

        self._stage(6, "marking the account active")
        await database_step(
            self._local_steps, AccountActivities.mark_active, customer, summary="mark active"
        )

    def _fail(self, refused: Refusal) -> NoReturn:
        self._status(CustomerStatus.FAILED)
        assert self._progress is not None
        self._progress = self._progress.model_copy(update={"failure_type": refused.failure_type})
        workflow.set_current_details(f"**Failed:** {refused.failure_type}: {refused.message}")
        raise ApplicationError(refused.message, type=refused.failure_type, non_retryable=True)

    def _undo(
        self, method: CompensatingActivity, customer: CustomerRef, summary: str
    ) -> Compensation:
        async def undo() -> None:
            await database_step(self._local_steps, method, customer, summary=summary)

        return summary, undo
