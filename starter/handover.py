"""Handing a WL-managed account's administration to the customer: both sides of it.

The WL administrator invites, re-invites, cancels and reads the state; the customer opens
the emailed link and accepts. The customer's side is secured like the activation link
(starter.activation): the token's MAC is checked here, the workflow decides whether its
version is current, and every refusal looks the same.
"""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.activation import LinkPurpose, verify_token
from domain.brand import Brand
from domain.enums import AdministratorKind, CustomerStatus, SignupPath
from domain.handover import (
    AcceptHandover,
    HandoverInput,
    HandoverProgress,
    HandoverState,
    HandoverView,
    InviteRequest,
    handover_workflow_id,
)
from domain.settings import Settings
from starter.activation import Link, LinkInvalid, TryAgainLater, send_update, until_answered
from starter.auth import Caller
from starter.signups import FORBIDDEN, NOT_FOUND, SignupRejected
from store import audit
from store.availability import UNREACHABLE
from store.brands import brand_of
from store.engine import SessionFactory, read_only
from store.schema import AccountAdministrator, Customer, Plan, WhiteLabel
from workflows import search_attributes
from workflows.handover import HANDOVER_CLOSED, AccountHandoverWorkflow

NOT_HANDOVERABLE = "AccountNotHandoverable"
ALREADY_HANDED_OVER = "AlreadyHandedOver"


@dataclass(frozen=True)
class InvitationPage:
    """What the customer's page shows; read from the store."""

    customer_id: uuid.UUID
    business_name: str
    first_name: str
    plan_name: str
    brand: Brand


def _view(progress: HandoverProgress) -> HandoverView:
    return HandoverView(
        customer_id=progress.customer_id,
        state=progress.state,
        expires_at=progress.expires_at,
        invitations_sent=progress.invitations_sent,
        workflow_id=handover_workflow_id(progress.customer_id),
    )


class Handovers:
    def __init__(self, client: Client, sessions: SessionFactory, settings: Settings) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings

    def _handle(
        self, customer_id: uuid.UUID
    ) -> WorkflowHandle[AccountHandoverWorkflow, HandoverProgress]:
        return self._client.get_workflow_handle_for(
            AccountHandoverWorkflow.run, handover_workflow_id(customer_id)
        )

    # --- the WL administrator's side ------------------------------------------------------

    async def _customer(
        self, caller: Caller, customer_id: uuid.UUID, action: str | None = None
    ) -> Customer:
        """The caller's customer; `action` names what only an administrator may do."""
        if action is not None and not caller.is_administrator:
            raise SignupRejected(FORBIDDEN, f"only a white label administrator may {action}")
        async with self._reads() as session:
            customer = await session.scalar(
                select(Customer).where(
                    Customer.id == customer_id, Customer.white_label_id == caller.white_label_id
                )
            )
        if customer is None:
            raise SignupRejected(NOT_FOUND, "no such customer")
        return customer

    async def _record(self, caller: Caller, customer_id: uuid.UUID, action: str) -> None:
        async with self._sessions.begin() as session:
            audit.record(
                session,
                white_label_id=caller.white_label_id,
                customer_id=customer_id,
                actor=f"wl_user:{caller.user_id}",
                action=action,
            )

    async def invite(self, caller: Caller, customer_id: uuid.UUID) -> HandoverView:
        """Sends the invitation, or a new one that replaces the last (and restarts its clock)."""
        customer = await self._customer(caller, customer_id, "invite the customer")
        managed = customer.path == SignupPath.WL_MANAGED.value
        if not managed or customer.status != CustomerStatus.ACTIVE.value:
            raise SignupRejected(
                NOT_HANDOVERABLE,
                "only an active wl_managed account can be handed over; "
                f"this one is {customer.path}, {customer.status}",
            )
        async with self._reads() as session:
            kinds = set(
                await session.scalars(
                    select(AccountAdministrator.kind).where(
                        AccountAdministrator.customer_id == customer.id
                    )
                )
            )
        if AdministratorKind.CUSTOMER_CONTACT.value in kinds:
            raise SignupRejected(
                ALREADY_HANDED_OVER, "the customer already administers this account"
            )
        await self._record(caller, customer_id, "handover.invited")
        start = WithStartWorkflowOperation(
            AccountHandoverWorkflow.run,
            HandoverInput(
                customer_id=customer_id,
                white_label_id=caller.white_label_id,
                requested_by_user_id=caller.user_id,
                invitation_ttl=self._settings.handover_ttl,
            ),
            **self._start_options(caller, customer_id),
        )
        request = InviteRequest(requested_by_user_id=caller.user_id)
        try:
            async with asyncio.timeout(self._settings.api_wait_seconds):
                progress = await self._client.execute_update_with_start_workflow(
                    AccountHandoverWorkflow.invite, request, start_workflow_operation=start
                )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == HANDOVER_CLOSED:
                # The last round is closing this very moment: the caller may simply ask again.
                raise SignupRejected(
                    HANDOVER_CLOSED, f"{cause.message}; send the invitation again"
                ) from None
            raise
        return _view(progress)

    def _start_options(self, caller: Caller, customer_id: uuid.UUID) -> dict[str, Any]:
        workflow_id = handover_workflow_id(customer_id)
        return {
            "id": workflow_id,
            "task_queue": self._settings.temporal_task_queue,
            # A round that expired or was cancelled may be followed by a new one.
            "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
            "search_attributes": TypedSearchAttributes(
                [
                    SearchAttributePair(
                        search_attributes.WHITE_LABEL_ID, str(caller.white_label_id)
                    ),
                    SearchAttributePair(search_attributes.CUSTOMER_ID, str(customer_id)),
                ]
            ),
            "static_summary": "Hand the Account Administrator role over to the customer",
        }

    async def state(self, caller: Caller, customer_id: uuid.UUID) -> HandoverView:
        await self._customer(caller, customer_id)
        try:
            progress = await until_answered(
                lambda: self._handle(customer_id).query(AccountHandoverWorkflow.status),
                self._settings.api_wait_seconds,
            )
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return HandoverView(customer_id=customer_id, state=HandoverState.NOT_INVITED)
            raise
        return _view(progress)

    async def cancel(self, caller: Caller, customer_id: uuid.UUID) -> HandoverView:
        """Withdraws the invitation: its link stops working; the WL stays administrator."""
        await self._customer(caller, customer_id, "withdraw the invitation")
        current = await self.state(caller, customer_id)
        if current.state is not HandoverState.INVITED:
            raise SignupRejected(HANDOVER_CLOSED, f"the invitation is {current.state.value}")
        await self._record(caller, customer_id, "handover.cancel_requested")
        handle = self._handle(customer_id)
        await handle.signal(AccountHandoverWorkflow.cancel)
        with contextlib.suppress(TimeoutError, WorkflowFailureError):
            async with asyncio.timeout(self._settings.api_wait_seconds):
                await handle.result()
        return await self.state(caller, customer_id)

    # --- the customer's side --------------------------------------------------------------

    def verify(self, customer_id: uuid.UUID, token: str) -> Link:
        secret = self._settings.required_activation_secret()
        verified = verify_token(secret, customer_id, token[:200], LinkPurpose.HANDOVER)
        if verified is None:
            raise LinkInvalid
        return Link(customer_id=customer_id, link_version=verified.link_version, token=token)

    async def progress(self, link: Link) -> HandoverProgress:
        """The invitation's state, if this link is its current, open one."""
        try:
            progress = await until_answered(
                lambda: self._handle(link.customer_id).query(AccountHandoverWorkflow.status),
                self._settings.api_wait_seconds,
            )
        except TimeoutError:
            raise TryAgainLater from None
        except RPCError:
            raise LinkInvalid from None
        if progress.link_version != link.link_version or progress.state is not (
            HandoverState.INVITED
        ):
            raise LinkInvalid
        return progress

    async def page(self, customer_id: uuid.UUID) -> InvitationPage:
        try:
            async with self._reads() as session:
                customer = await session.get(Customer, customer_id)
                if customer is None or customer.path != SignupPath.WL_MANAGED.value:
                    raise LinkInvalid
                plan = await session.get_one(Plan, customer.plan_id)
                white_label = await session.get_one(WhiteLabel, customer.white_label_id)
                brand = await brand_of(session, white_label)
        except UNREACHABLE:
            raise TryAgainLater from None
        return InvitationPage(
            customer_id=customer.id,
            business_name=str((customer.business or {}).get("name", "")),
            first_name=str((customer.contact or {}).get("first_name", "")),
            plan_name=plan.name,
            brand=brand,
        )

    async def accept(self, link: Link) -> HandoverProgress:
        return await send_update(
            lambda: self._handle(link.customer_id).execute_update(
                AccountHandoverWorkflow.accept, AcceptHandover(link_version=link.link_version)
            ),
            self._settings.api_wait_seconds,
        )
