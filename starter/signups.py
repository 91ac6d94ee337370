"""Starting a signup: the one path the API and the CLI share.

The customer id is minted here (or recovered through the Idempotency-Key), so the
workflow id `customer-{id}` is known before the workflow starts and a repeated request
attaches to the same run instead of starting another.
"""

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.customer import CreateCustomerRequest, FailureView
from domain.enums import CustomerStatus, SignupPath
from domain.errors import BUSINESS_ERROR_TYPES, BusinessError
from domain.settings import Settings
from domain.signup import SignupResult, WlManagedSignupInput, workflow_id_for
from starter.auth import Caller
from store.engine import SessionFactory
from store.schema import IdempotencyKey, Plan, WhiteLabel
from workflows import search_attributes
from workflows.wl_managed import WlManagedSignupWorkflow


class SignupRejected(Exception):
    """The request cannot start a signup; `kind` tells the caller why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


FORBIDDEN = "Forbidden"
IDEMPOTENCY_CONFLICT = "IdempotencyKeyReused"
NOT_IMPLEMENTED = "NotImplemented"


@dataclass(frozen=True)
class SignupOutcome:
    customer_id: uuid.UUID
    finished: bool
    failure: FailureView | None = None


def request_fingerprint(request: CreateCustomerRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


class SignupService:
    def __init__(self, client: Client, sessions: SessionFactory, settings: Settings) -> None:
        self._client = client
        self._sessions = sessions
        self._settings = settings

    async def create(
        self,
        caller: Caller,
        request: CreateCustomerRequest,
        idempotency_key: str | None = None,
    ) -> SignupOutcome:
        if not caller.is_administrator:
            raise SignupRejected(FORBIDDEN, "only a white label administrator creates customers")
        if request.path is SignupPath.SELF_SERVE:
            raise SignupRejected(NOT_IMPLEMENTED, "self_serve signups are not available yet")
        plan, white_label = await self._plan_and_white_label(caller, request.plan_code)
        customer_id = await self._customer_id(caller, request, idempotency_key)
        handle = await self._start(caller, request, customer_id, plan, white_label)
        return await self._wait(handle, customer_id)

    async def _plan_and_white_label(
        self, caller: Caller, plan_code: str
    ) -> tuple[Plan, WhiteLabel]:
        async with self._sessions() as session:
            white_label = await session.get_one(WhiteLabel, caller.white_label_id)
            plan = await session.scalar(
                select(Plan).where(
                    Plan.white_label_id == caller.white_label_id, Plan.code == plan_code
                )
            )
        if plan is None:
            raise SignupRejected(
                BusinessError.PLAN_UNKNOWN.value,
                f"plan_code: this white label has no plan {plan_code!r}",
            )
        return plan, white_label

    async def _customer_id(
        self, caller: Caller, request: CreateCustomerRequest, key: str | None
    ) -> uuid.UUID:
        if key is None:
            return uuid.uuid4()
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
            return record.customer_id
        except IntegrityError:
            pass
        async with self._sessions() as session:
            existing = await session.scalar(
                select(IdempotencyKey).where(
                    IdempotencyKey.white_label_id == caller.white_label_id,
                    IdempotencyKey.key == key,
                )
            )
        assert existing is not None
        if existing.request_hash != fingerprint:
            raise SignupRejected(
                IDEMPOTENCY_CONFLICT,
                "Idempotency-Key: this key was used with a different request body",
            )
        return existing.customer_id

    async def _start(
        self,
        caller: Caller,
        request: CreateCustomerRequest,
        customer_id: uuid.UUID,
        plan: Plan,
        white_label: WhiteLabel,
    ) -> WorkflowHandle[WlManagedSignupWorkflow, SignupResult]:
        workflow_id = workflow_id_for(customer_id)
        try:
            return await self._client.start_workflow(
                WlManagedSignupWorkflow.run,
                WlManagedSignupInput(
                    customer_id=customer_id,
                    white_label_id=caller.white_label_id,
                    requested_by_user_id=caller.user_id,
                    request=request,
                ),
                id=workflow_id,
                task_queue=self._settings.temporal_task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(
                            search_attributes.WHITE_LABEL_ID, str(caller.white_label_id)
                        ),
                        SearchAttributePair(search_attributes.CUSTOMER_ID, str(customer_id)),
                        SearchAttributePair(search_attributes.SIGNUP_PATH, request.path.value),
                        SearchAttributePair(
                            search_attributes.SIGNUP_STATUS, CustomerStatus.PROVISIONING.value
                        ),
                    ]
                ),
                static_summary=f"WL-managed signup · plan {plan.code} · {white_label.name}",
            )
        except WorkflowAlreadyStartedError:
            return self._client.get_workflow_handle_for(WlManagedSignupWorkflow.run, workflow_id)

    async def _wait(
        self,
        handle: WorkflowHandle[WlManagedSignupWorkflow, SignupResult],
        customer_id: uuid.UUID,
    ) -> SignupOutcome:
        try:
            async with asyncio.timeout(self._settings.api_wait_seconds):
                await handle.result()
        except TimeoutError:
            return SignupOutcome(customer_id=customer_id, finished=False)
        except WorkflowFailureError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type in BUSINESS_ERROR_TYPES:
                failure = FailureView(type=cause.type or "", message=cause.message)
            else:
                failure = FailureView(type="SignupFailed", message="the signup did not complete")
            return SignupOutcome(customer_id=customer_id, finished=True, failure=failure)
        return SignupOutcome(customer_id=customer_id, finished=True)
