"""Handing a WL-managed account's administration over to the customer, by invitation.

The workflow (one per round of invitations, id `handover-{customer}`) waits up to the
invitation's lifetime for the customer to accept. Each `invite` update issues a new link and
restarts the clock; the previous link stops working. The token never reaches this code: the
API verifies it and sends only the link version.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.failures import link_refused
from workflows.policies import database_step, send_email

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from activities.email import EmailActivities
    from domain.errors import BusinessError
    from domain.handover import (
        AcceptHandover,
        HandoverClosedInput,
        HandoverEmailInput,
        HandoverInput,
        HandoverProgress,
        HandoverState,
        InviteRequest,
    )
    from domain.self_serve import LinkRefusal, WlNotice, WlNoticeInput
    from domain.signup import CustomerRef


@workflow.defn
class AccountHandoverWorkflow:
    @workflow.init
    def __init__(self, data: HandoverInput) -> None:
        self._customer = CustomerRef(customer_id=data.customer_id)
        self._ttl = data.invitation_ttl
        self._state = HandoverState.INVITED
        self._link_version = 0
        self._sent_version = 0
        self._invitations_sent = 0
        self._expires_at = workflow.info().workflow_start_time + data.invitation_ttl
        self._accepting = False
        self._cancel_requested = False

    @workflow.query
    def status(self) -> HandoverProgress:
        return HandoverProgress(
            customer_id=self._customer.customer_id,
            state=self._state,
            link_version=self._link_version,
            expires_at=self._expires_at,
            invitations_sent=self._invitations_sent,
        )

    @workflow.update
    def invite(self, request: InviteRequest) -> HandoverProgress:
        """A new link (the one before stops working) valid for the full lifetime from now."""
        now = workflow.now()
        # Milliseconds, so no later round of invitations can repeat this version.
        self._link_version = max(self._link_version + 1, int(now.timestamp() * 1000))
        self._expires_at = now + self._ttl
        return self.status()

    @invite.validator
    def _validate_invite(self, request: InviteRequest) -> None:
        if self._closing:
            raise ApplicationError(
                f"the invitation is {self._state.value}",
                type=BusinessError.HANDOVER_CLOSED.value,
                non_retryable=True,
            )

    @workflow.update
    async def accept(self, request: AcceptHandover) -> HandoverProgress:
        self._accepting = True
        try:
            await database_step(
                True,
                AccountActivities.hand_over_administration,
                self._customer,
                summary="the customer's contact becomes Account Administrator",
            )
        finally:
            self._accepting = False
        self._state = HandoverState.ACCEPTED
        return self.status()

    @accept.validator
    def _validate_accept(self, request: AcceptHandover) -> None:
        if self._closing:
            raise link_refused(LinkRefusal.CLOSED, "this invitation is closed")
        if request.link_version != self._link_version:
            raise link_refused(LinkRefusal.SUPERSEDED, "a newer invitation was sent")
        if workflow.now() >= self._expires_at:
            raise link_refused(LinkRefusal.EXPIRED, "the invitation has expired")

    @workflow.signal
    def cancel(self) -> None:
        if not self._closing:
            self._cancel_requested = True

    @property
    def _closing(self) -> bool:
        """Accepted, being accepted, cancelled or expired: no link works any more."""
        return self._accepting or self._cancel_requested or self._state is not HandoverState.INVITED

    @workflow.run
    async def run(self, data: HandoverInput) -> HandoverProgress:
        # The `invite` update that started this run may be handled just after this begins.
        await workflow.wait_condition(lambda: self._link_version > 0)
        while self._state is HandoverState.INVITED:
            if self._sent_version < self._link_version:
                await self._send_invitation()
                continue
            if self._cancel_requested:
                self._state = HandoverState.CANCELLED
                break
            now = workflow.now()
            if now >= self._expires_at and not self._accepting:
                self._state = HandoverState.EXPIRED
                break
            workflow.set_current_details(
                f"**Waiting for the customer** until {self._expires_at:%Y-%m-%d %H:%M UTC}, "
                f"{self._invitations_sent} invitation(s) sent"
            )
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._accepting
                        or self._state is not HandoverState.INVITED
                        or self._cancel_requested
                        or self._sent_version < self._link_version
                    ),
                    timeout=max(self._expires_at - now, timedelta(0)),
                    timeout_summary=f"invitation valid until {self._expires_at:%Y-%m-%d %H:%M UTC}",
                )
            except TimeoutError:
                continue
            await workflow.wait_condition(lambda: not self._accepting)
        await self._closed()
        workflow.set_current_details(f"**Done:** hand-over {self._state.value}")
        return self.status()

    async def _send_invitation(self) -> None:
        version = self._link_version
        await send_email(
            EmailActivities.send_handover_invitation,
            HandoverEmailInput(
                customer_id=self._customer.customer_id,
                link_version=version,
                expires_at=self._expires_at,
            ),
            summary="invitation to the customer",
        )
        self._sent_version = version
        self._invitations_sent += 1

    async def _closed(self) -> None:
        customer = self._customer
        if self._state is HandoverState.ACCEPTED:
            await send_email(
                EmailActivities.send_handover_welcome,
                customer,
                summary="welcome the new administrator",
            )
            await send_email(
                EmailActivities.send_wl_notice,
                WlNoticeInput(customer_id=customer.customer_id, kind=WlNotice.HANDOVER_ACCEPTED),
                summary="notify the WL administrator: hand-over accepted",
            )
            return
        await database_step(
            True,
            AccountActivities.record_handover_closed,
            HandoverClosedInput(customer_id=customer.customer_id, state=self._state),
            summary=f"record the hand-over {self._state.value}",
        )
        if self._state is HandoverState.EXPIRED:
            await send_email(
                EmailActivities.send_wl_notice,
                WlNoticeInput(customer_id=customer.customer_id, kind=WlNotice.HANDOVER_EXPIRED),
                summary="notify the WL administrator: invitation expired",
            )
