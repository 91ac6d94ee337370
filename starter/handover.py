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
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.activation import LinkPurpose
from domain.brand import Brand
from domain.enums import AdministratorKind, CustomerStatus, SignupPath
from domain.errors import BusinessError, Refused
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
from domain.signup_paths import rule_for
from starter.administration import callers_customer, record_request
from starter.auth import Caller
from starter.links import (
    Link,
    LinkInvalid,
    linked_account,
    query_for_link,
    send_update,
    until_answered,
    verified_link,
)
from store.engine import SessionFactory, read_only
from store.schema import AccountAdministrator
from workflows import search_attributes
from workflows.handover import AccountHandoverWorkflow


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

    async def invite(self, caller: Caller, customer_id: uuid.UUID) -> HandoverView:
        """Sends the invitation, or a new one that replaces the last (and restarts its clock)."""
        customer = await callers_customer(self._reads, caller, customer_id, "invite the customer")
        wl_administered = (
            rule_for(customer.path).account_administrator is AdministratorKind.WL_ADMINISTRATOR
        )
        if not wl_administered or customer.status != CustomerStatus.ACTIVE.value:
            raise Refused(
                BusinessError.ACCOUNT_NOT_HANDOVERABLE,
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
            raise Refused(
                BusinessError.ALREADY_HANDED_OVER, "the customer already administers this account"
            )
        await record_request(self._sessions, caller, customer_id, "handover.invited")
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
            if isinstance(cause, ApplicationError) and cause.type == BusinessError.HANDOVER_CLOSED:
                # The last round is closing this very moment: the caller may simply ask again.
                raise Refused(
                    BusinessError.HANDOVER_CLOSED, f"{cause.message}; send the invitation again"
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
            "search_attributes": search_attributes.for_customer(caller.white_label_id, customer_id),
            "static_summary": "Hand the Account Administrator role over to the customer",
        }

    async def state(self, caller: Caller, customer_id: uuid.UUID) -> HandoverView:
        await callers_customer(self._reads, caller, customer_id)
        return await self._state(customer_id)

    async def _state(self, customer_id: uuid.UUID) -> HandoverView:
        """The invitation as its workflow tells it; the caller has checked whose customer."""
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
        await callers_customer(self._reads, caller, customer_id, "withdraw the invitation")
        current = await self._state(customer_id)
        if current.state is not HandoverState.INVITED:
            raise Refused(BusinessError.HANDOVER_CLOSED, f"the invitation is {current.state.value}")
        await record_request(self._sessions, caller, customer_id, "handover.cancel_requested")
        handle = self._handle(customer_id)
        await handle.signal(AccountHandoverWorkflow.cancel)
        with contextlib.suppress(TimeoutError, WorkflowFailureError):
            async with asyncio.timeout(self._settings.api_wait_seconds):
                await handle.result()
        return await self._state(customer_id)

    # --- the customer's side --------------------------------------------------------------

    def verify(self, customer_id: uuid.UUID, token: str) -> Link:
        return verified_link(self._settings, customer_id, token, LinkPurpose.HANDOVER)

    async def progress(self, link: Link) -> HandoverProgress:
        """The invitation's state, if this link is its current, open one."""
        progress = await query_for_link(
            lambda: self._handle(link.customer_id).query(AccountHandoverWorkflow.status),
            self._settings.api_wait_seconds,
        )
        current = progress.link_version == link.link_version
        if not current or progress.state is not HandoverState.INVITED:
            raise LinkInvalid
        return progress

    async def page(self, customer_id: uuid.UUID) -> InvitationPage:
        account = await linked_account(self._reads, customer_id, SignupPath.WL_MANAGED)
        return InvitationPage(
            customer_id=customer_id,
            business_name=account.business_name,
            first_name=account.first_name,
            plan_name=account.plan.name,
            brand=account.brand,
        )

    async def accept(self, link: Link) -> HandoverProgress:
        return await send_update(
            lambda: self._handle(link.customer_id).execute_update(
                AccountHandoverWorkflow.accept, AcceptHandover(link_version=link.link_version)
            ),
            self._settings.api_wait_seconds,
        )
