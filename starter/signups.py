"""Starting a signup: the one path the API and the CLI share.

The customer id is minted here (or recovered through the Idempotency-Key), so the
workflow id `customer-{id}` is known before the workflow starts and a repeated request
attaches to the same run instead of starting another.
"""

import asyncio
import contextlib
import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.conversion import ConversionResult, ConvertSignup, ConvertToWlManagedRequest
from domain.customer import CreateCustomerRequest, FailureView
from domain.enums import CustomerStatus, SignupPath
from domain.errors import BUSINESS_ERROR_TYPES, BusinessError, Refused
from domain.self_serve import SelfServeSignupInput
from domain.settings import Settings
from domain.signup import SignupResult, WlManagedSignupInput, workflow_id_for
from domain.signup_paths import SIGNUP_PATHS, rule_for
from starter.administration import callers_customer, record_request
from starter.auth import Caller
from store.engine import SessionFactory, read_only
from store.schema import Customer, IdempotencyKey, Plan, WhiteLabel
from workflows import search_attributes
from workflows.self_serve import SelfServeSignupWorkflow
from workflows.wl_managed import WlManagedSignupWorkflow


@dataclass(frozen=True)
class SignupOutcome:
    customer_id: uuid.UUID
    finished: bool
    failure: FailureView | None = None
    repeated: bool = False
    """The Idempotency-Key was already used with this body: the outcome is that earlier
    request's signup, found again, and nothing new was created (bulk onboarding reports it)."""


def request_fingerprint(request: CreateCustomerRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True)
class _Signup:
    """One create request, checked and given its customer id: what a path's start needs."""

    caller: Caller
    request: CreateCustomerRequest
    customer_id: uuid.UUID
    plan: Plan
    white_label: WhiteLabel


_PathStart = Callable[[_Signup, bool], Awaitable[SignupOutcome]]
"""Starts (or finds) one signup's workflow; the flag says whether the caller waits for it."""


class SignupService:
    def __init__(self, client: Client, sessions: SessionFactory, settings: Settings) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings
        self._starts: dict[SignupPath, _PathStart] = {
            SignupPath.SELF_SERVE: self._start_self_serve,
            SignupPath.WL_MANAGED: self._start_wl_managed,
        }

    async def create(
        self,
        caller: Caller,
        request: CreateCustomerRequest,
        idempotency_key: str | None = None,
        *,
        wait: bool = True,
    ) -> SignupOutcome:
        """Starts the signup, or finds the one an earlier request with the same key started.

        `wait=False` starts a WL-managed signup without waiting for it to finish: bulk
        onboarding starts hundreds, and waiting for each would take minutes. A self-serve
        signup answers once its account row is written either way.
        """
        if not caller.is_administrator:
            raise Refused(
                BusinessError.FORBIDDEN, "only a white label administrator creates customers"
            )
        plan, white_label = await self._plan_and_white_label(caller, request.plan_code)
        rule = SIGNUP_PATHS[request.path]
        if rule.needs_payment_gateway and not self.can_take_cards(white_label):
            raise Refused(
                BusinessError.PAYMENT_GATEWAY_MISSING,
                "self_serve signups need a payment gateway: ask the platform operator to run "
                "`python -m starter wl set-payment-gateway` for this white label",
            )
        customer_id, repeated = await self._customer_id(caller, request, idempotency_key)
        if repeated and (settled := await self._settled_outcome(customer_id)) is not None:
            return settled
        signup = _Signup(caller, request, customer_id, plan, white_label)
        outcome = await self._starts[request.path](signup, wait)
        return dataclasses.replace(outcome, repeated=repeated)

    def can_take_cards(self, white_label: WhiteLabel) -> bool:
        """Whether the white label may take self-serve signups (they are paid by card)."""
        return white_label.payment_gateway_provider == "stripe" and self._settings.stripe_configured

    def _start_options(self, signup: _Signup) -> dict[str, Any]:
        """How a signup's workflow starts; a repeated request finds the run already there."""
        rule = SIGNUP_PATHS[signup.request.path]
        return {
            "id": workflow_id_for(signup.customer_id),
            "task_queue": self._settings.temporal_task_queue,
            "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
            "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
            "search_attributes": search_attributes.for_customer(
                signup.caller.white_label_id,
                signup.customer_id,
                SearchAttributePair(search_attributes.SIGNUP_PATH, rule.path.value),
                SearchAttributePair(search_attributes.SIGNUP_STATUS, rule.first_status.value),
            ),
            "static_summary": (
                f"{rule.summary} · plan {signup.plan.code} · {signup.white_label.name}"
            ),
        }

    async def _start_self_serve(self, signup: _Signup, _wait: bool) -> SignupOutcome:
        """Answers once the account row is written, whether or not the caller waits."""
        settings = self._settings
        customer_id = signup.customer_id
        # Update-with-start: one request starts the workflow (or finds it) and asks it to
        # answer once the account is written, and the worker sees both in one workflow task.
        start = WithStartWorkflowOperation(
            SelfServeSignupWorkflow.run,
            SelfServeSignupInput(
                customer_id=customer_id,
                white_label_id=signup.caller.white_label_id,
                requested_by_user_id=signup.caller.user_id,
                request=signup.request,
                activation_ttl=settings.activation_ttl,
                reminders=settings.activation_reminders,
                payment_ttl=settings.payment_ttl,
            ),
            **self._start_options(signup),
        )
        try:
            async with asyncio.timeout(settings.api_wait_seconds):
                status = await self._client.execute_update_with_start_workflow(
                    SelfServeSignupWorkflow.account_ready, start_workflow_operation=start
                )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            # The client turns the timeout's cancellation into its own error: either way the
            # account is not written yet, and the answer says where to look.
            return SignupOutcome(customer_id=customer_id, finished=False)
        except (WorkflowAlreadyStartedError, WorkflowUpdateFailedError, RPCError):
            # The workflow already ended (a replayed request): the store has its outcome.
            return SignupOutcome(customer_id=customer_id, finished=False)
        if status == CustomerStatus.FAILED.value:
            return await self._wait(await start.workflow_handle(), customer_id)
        return SignupOutcome(customer_id=customer_id, finished=False)

    async def _plan_and_white_label(
        self, caller: Caller, plan_code: str
    ) -> tuple[Plan, WhiteLabel]:
        async with self._reads() as session:
            white_label = await session.get_one(WhiteLabel, caller.white_label_id)
            plan = await session.scalar(
                select(Plan).where(
                    Plan.white_label_id == caller.white_label_id, Plan.code == plan_code
                )
            )
        if plan is None:
            raise Refused(
                BusinessError.PLAN_UNKNOWN,
                f"plan_code: this white label has no plan {plan_code!r}",
            )
        return plan, white_label

    async def _customer_id(
        self, caller: Caller, request: CreateCustomerRequest, key: str | None
    ) -> tuple[uuid.UUID, bool]:
        """The customer id, and whether an earlier request with this key already chose it."""
        if key is None:
            return uuid.uuid4(), False
        fingerprint = request_fingerprint(request)
        try:
            async with self._sessions.begin() as session:
                record = IdempotencyKey(
                    white_label_id=caller.white_label_id,
                    key=key,
                    request_hash=fingerprint,
                    customer_id=uuid.uuid4(),
                )
                session.add(record)
            return record.customer_id, False
        except IntegrityError:
            pass
        async with self._reads() as session:
            existing = await session.scalar(
                select(IdempotencyKey).where(
                    IdempotencyKey.white_label_id == caller.white_label_id,
                    IdempotencyKey.key == key,
                )
            )
        assert existing is not None
        if existing.request_hash != fingerprint:
            raise Refused(
                BusinessError.IDEMPOTENCY_KEY_REUSED,
                "Idempotency-Key: this key was used with a different request body",
            )
        return existing.customer_id, True

    async def _settled_outcome(self, customer_id: uuid.UUID) -> SignupOutcome | None:
        """A repeated create whose signup is over is answered from the store, not Temporal.

        Temporal forgets a closed run after the namespace's retention period; past it, a start
        of the same workflow id would begin a second signup of a customer that exists. The
        store keeps the outcome as long as the customer exists.
        """
        async with self._reads() as session:
            customer = await session.get(Customer, customer_id)
        if customer is None or CustomerStatus(customer.status) not in SETTLED:
            return None
        failure = None
        if customer.status == CustomerStatus.FAILED:
            failure = failure_view(customer.failure_type, customer.failure_message or "")
        return SignupOutcome(
            customer_id=customer_id,
            finished=rule_for(customer.path).configured_at_signup or failure is not None,
            failure=failure,
            repeated=True,
        )

    async def _start_wl_managed(self, signup: _Signup, wait: bool) -> SignupOutcome:
        """`wait=False` starts the signup without waiting for it to finish: bulk onboarding
        starts hundreds, and waiting for each would take minutes."""
        options = self._start_options(signup)
        data = WlManagedSignupInput(
            customer_id=signup.customer_id,
            white_label_id=signup.caller.white_label_id,
            requested_by_user_id=signup.caller.user_id,
            request=signup.request,
        )
        handle: WorkflowHandle[Any, SignupResult]
        try:
            handle = await self._client.start_workflow(WlManagedSignupWorkflow.run, data, **options)
        except WorkflowAlreadyStartedError:
            handle = self._client.get_workflow_handle(options["id"], result_type=SignupResult)
        if not wait:
            return SignupOutcome(customer_id=signup.customer_id, finished=False)
        return await self._wait(handle, signup.customer_id)

    async def _wait(
        self,
        handle: WorkflowHandle[Any, SignupResult],
        customer_id: uuid.UUID,
    ) -> SignupOutcome:
        try:
            async with asyncio.timeout(self._settings.api_wait_seconds):
                await handle.result()
        except TimeoutError:
            return SignupOutcome(customer_id=customer_id, finished=False)
        except WorkflowFailureError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                failure = failure_view(cause.type, cause.message)
            else:
                failure = failure_view(None, "")
            return SignupOutcome(customer_id=customer_id, finished=True, failure=failure)
        return SignupOutcome(customer_id=customer_id, finished=True)


def failure_view(failure_type: str | None, message: str) -> FailureView:
    """A business refusal as it is; anything else as one generic line (its details are for
    operators, in Temporal)."""
    if failure_type is not None and failure_type in BUSINESS_ERROR_TYPES:
        return FailureView(type=failure_type, message=message)
    return FailureView(type="SignupFailed", message="the signup did not complete")


PENDING = {CustomerStatus.AWAITING_ACTIVATION, CustomerStatus.AWAITING_PAYMENT}
SETTLED = {
    CustomerStatus.ACTIVE,
    CustomerStatus.FAILED,
    CustomerStatus.EXPIRED,
    CustomerStatus.CANCELLED,
}
"""Signups that are over: nothing their workflow does changes the answer to their create."""


class PendingSignups:
    """What a WL administrator may do to a self-serve signup in flight: resend or cancel.

    Deliberately absent: any way to activate or pay on the customer's behalf.
    """

    def __init__(self, client: Client, sessions: SessionFactory, settings: Settings) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings

    async def _pending(
        self, caller: Caller, customer_id: uuid.UUID, allowed: set[CustomerStatus], action: str
    ) -> WorkflowHandle[SelfServeSignupWorkflow, SignupResult]:
        customer = await callers_customer(self._reads, caller, customer_id, action)
        status = CustomerStatus(customer.status)
        if not rule_for(customer.path).waits_for_customer or status not in allowed:
            raise Refused(
                BusinessError.SIGNUP_NOT_PENDING,
                f"cannot {action}: the signup is {customer.path}, {status.value}",
            )
        return self._client.get_workflow_handle_for(
            SelfServeSignupWorkflow.run, workflow_id_for(customer_id)
        )

    async def resend_activation(self, caller: Caller, customer_id: uuid.UUID) -> None:
        handle = await self._pending(
            caller, customer_id, {CustomerStatus.AWAITING_ACTIVATION}, "resend the activation email"
        )
        await handle.signal(SelfServeSignupWorkflow.resend_activation)
        await record_request(self._sessions, caller, customer_id, "activation.resend_requested")

    async def cancel(self, caller: Caller, customer_id: uuid.UUID) -> None:
        handle = await self._pending(caller, customer_id, PENDING, "cancel the signup")
        await record_request(self._sessions, caller, customer_id, "signup.cancel_requested")
        await handle.signal(SelfServeSignupWorkflow.cancel)
        with contextlib.suppress(TimeoutError, WorkflowFailureError):
            async with asyncio.timeout(self._settings.api_wait_seconds):
                await handle.result()

    async def convert_to_wl_managed(
        self, caller: Caller, customer_id: uuid.UUID, request: ConvertToWlManagedRequest
    ) -> ConversionResult:
        """The WL takes the signup over; a business refusal leaves it pending as it was."""
        handle = await self._pending(caller, customer_id, PENDING, "convert the signup")
        await record_request(self._sessions, caller, customer_id, "signup.conversion_requested")
        try:
            async with asyncio.timeout(self._settings.api_wait_seconds):
                return await handle.execute_update(
                    SelfServeSignupWorkflow.convert_to_wl_managed,
                    ConvertSignup(requested_by_user_id=caller.user_id, request=request),
                )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type in BUSINESS_ERROR_TYPES:
                raise Refused(BusinessError(cause.type), cause.message) from None
            raise
        except RPCError as error:
            # The run ended between the read above and the update (it expired or was paid).
            raise Refused(
                BusinessError.SIGNUP_NOT_PENDING, "cannot convert: the signup is no longer pending"
            ) from error
