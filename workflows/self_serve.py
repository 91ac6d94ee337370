"""Self-serve signup: the customer activates from an emailed link and funds the account by card.

The workflow waits for days: for the `activate` update (with reminders until expiry), then for
card payments (`submit_payment` updates) and the Stripe webhook's verdict (signals). The
activation token itself never reaches this code: the API verifies it and sends only the
link version, which this workflow checks against the current one.
"""

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import search_attributes
from workflows.create_account import create_account
from workflows.failures import Refusal, StepFailure, business_refusal, link_refused
from workflows.policies import (
    LOCAL_DATABASE_STEPS_PATCH,
    STRIPE_STEP,
    database_step,
    send_email,
)
from workflows.signup_metrics import record_status

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from activities.balances import BalanceActivities
    from activities.conversion import ConversionActivities
    from activities.email import EmailActivities
    from activities.payments import PaymentActivities
    from domain.conversion import ConversionResult, ConvertAccountInput, ConvertSignup
    from domain.enums import CustomerStatus, SignupPath
    from domain.errors import BusinessError
    from domain.self_serve import (
        ActivateRequest,
        ActivateResult,
        ActivationEmailInput,
        ActivationOutcome,
        CancelPaymentsInput,
        LinkRefusal,
        MarkStatusInput,
        PaymentAttemptInput,
        PaymentFailed,
        PaymentStatus,
        PaymentSucceeded,
        RecordPaymentInput,
        RefundLatePaymentInput,
        SelfServeProgress,
        SelfServeSignupInput,
        SubmitPaymentRequest,
        SubmitPaymentResult,
        WlNotice,
        WlNoticeInput,
    )
    from domain.signup import CustomerRef, SignupResult
    from domain.signup_paths import SIGNUP_PATHS

CLOSED = {CustomerStatus.EXPIRED, CustomerStatus.CANCELLED, CustomerStatus.FAILED}
CUSTOMER_EXPIRY_NOTICE_PATCH = "tell-the-customer-on-expiry"


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@workflow.defn(name=SIGNUP_PATHS[SignupPath.SELF_SERVE].workflow)
class SelfServeSignupWorkflow:
    @workflow.init
    def __init__(self, data: SelfServeSignupInput) -> None:
        # Set from the input here, not in run(): an update or query may be handled before
        # run() starts. Deadlines count from when the signup was started, not from when a
        # worker first picked it up.
        self._customer = CustomerRef(customer_id=data.customer_id)
        # Versioned change: newer runs do their short database steps as local activities;
        # older runs replay as they ran.
        self._local_steps = workflow.patched(LOCAL_DATABASE_STEPS_PATCH)
        self._white_label_id = data.white_label_id
        self._created_at = workflow.info().workflow_start_time
        self._activation_deadline = self._created_at + data.activation_ttl
        self._payment_ttl = data.payment_ttl
        self._status = CustomerStatus.AWAITING_ACTIVATION
        self._stage = "starting"
        self._account_ready = False
        self._link_version = 1
        self._payment_deadline: datetime | None = None
        self._reminders_sent = 0
        self._resends_pending = 0
        self._cancel_requested = False
        self._closing = False
        self._activating = False
        self._activated = False
        self._payment_due = True
        self._attempts = 0
        self._attempt_in_flight = False
        self._last_result: SubmitPaymentResult | None = None
        self._last_payment_error: str | None = None
        self._paid: PaymentSucceeded | None = None
        self._extra_payments: list[PaymentSucceeded] = []
        self._seen_events: set[str] = set()
        self._converting = False
        self._converted: ConversionResult | None = None

    # --- queries and messages -------------------------------------------------------------

    @workflow.query
    def status(self) -> SelfServeProgress:
        return SelfServeProgress(
            customer_id=self._customer.customer_id,
            status=self._status.value,
            stage=self._stage,
            link_version=self._link_version,
            activation_expires_at=self._activation_deadline,
            payment_expires_at=self._payment_deadline,
            reminders_sent=self._reminders_sent,
            payment_attempts=self._attempts,
            last_payment_error=self._last_payment_error,
            converted=self._converted is not None,
        )

    @workflow.update
    async def account_ready(self) -> str:
        """Answers once the account row exists, so the API can show it right away."""
        await workflow.wait_condition(
            lambda: self._account_ready or self._status in CLOSED,
            timeout_summary="account record written",
        )
        return self._status.value

    @workflow.update
    async def activate(self, request: ActivateRequest) -> ActivateResult:
        await workflow.wait_condition(lambda: not self._activating)
        if self._activated:
            return self._activate_result(
                ActivationOutcome.ALREADY_ACTIVATED, self._awaiting_payment
            )
        self._activating = True
        try:
            await database_step(
                self._local_steps,
                AccountActivities.mark_status,
                MarkStatusInput(
                    customer_id=self._customer.customer_id,
                    status=CustomerStatus.AWAITING_PAYMENT.value
                    if self._payment_due
                    else CustomerStatus.PROVISIONING.value,
                ),
                summary="mark activated",
            )
            if self._payment_due:
                await workflow.execute_activity_method(
                    PaymentActivities.ensure_stripe_customer,
                    self._customer,
                    summary="create the customer at Stripe",
                    **STRIPE_STEP,
                )
                self._payment_deadline = workflow.now() + self._payment_ttl
                self._set_status(CustomerStatus.AWAITING_PAYMENT)
            self._activated = True
        finally:
            self._activating = False
        return self._activate_result(ActivationOutcome.ACTIVATED, self._payment_due)

    def _activate_result(self, outcome: ActivationOutcome, payment_due: bool) -> ActivateResult:
        return ActivateResult(
            outcome=outcome,
            payment_due=payment_due,
            payment_expires_at=self._payment_deadline,
            last_payment_error=self._last_payment_error,
        )

    @activate.validator
    def _validate_activate(self, request: ActivateRequest) -> None:
        self._validate_link(request.link_version)
        expired = workflow.now() >= self._activation_deadline
        if not self._activated and not self._activating and expired:
            raise link_refused(LinkRefusal.EXPIRED, "the activation link has expired")

    @workflow.update
    async def submit_payment(self, request: SubmitPaymentRequest) -> SubmitPaymentResult:
        self._attempt_in_flight = True
        self._attempts += 1
        attempt = self._attempts
        try:
            if attempt > 1:
                # localstripe cannot confirm an intent again after a decline (Stripe can):
                # each attempt gets a fresh intent and the earlier ones are cancelled.
                await workflow.execute_activity_method(
                    PaymentActivities.cancel_open_payments,
                    CancelPaymentsInput(customer_id=self._customer.customer_id, refund_paid=False),
                    summary="cancel the earlier payment attempt",
                    **STRIPE_STEP,
                )
            result: SubmitPaymentResult = await workflow.execute_activity_method(
                PaymentActivities.start_payment_attempt,
                PaymentAttemptInput(
                    customer_id=self._customer.customer_id,
                    workflow_id=workflow.info().workflow_id,
                    attempt=attempt,
                    payment_method=request.payment_method,
                ),
                summary=f"payment attempt {attempt}",
                **STRIPE_STEP,
            )
        except ActivityError as error:
            refusal = business_refusal(error)
            if refusal is None or refusal.failure_type != BusinessError.PAYMENT_METHOD_REFUSED:
                raise
            result = SubmitPaymentResult(status=PaymentStatus.DECLINED, message=refusal.message)
        finally:
            self._attempt_in_flight = False
        self._last_result = result
        if result.status is PaymentStatus.DECLINED:
            self._last_payment_error = result.message
        self._refresh_details()
        return result

    @submit_payment.validator
    def _validate_submit_payment(self, request: SubmitPaymentRequest) -> None:
        self._validate_link(request.link_version)
        if not self._awaiting_payment:
            raise link_refused(LinkRefusal.NOT_READY, "this signup is not awaiting a payment")
        if self._payment_deadline is not None and workflow.now() >= self._payment_deadline:
            raise link_refused(LinkRefusal.EXPIRED, "the payment window has closed")
        in_progress = self._attempt_in_flight or (
            self._last_result is not None and self._last_result.status is PaymentStatus.SUCCEEDED
        )
        if in_progress:
            raise link_refused(LinkRefusal.PAYMENT_IN_PROGRESS, "a payment is already in progress")

    @workflow.signal
    def payment_succeeded(self, payment: PaymentSucceeded) -> None:
        if payment.event_id in self._seen_events:
            return
        self._seen_events.add(payment.event_id)
        if self._paid is not None and self._paid.payment_intent_id == payment.payment_intent_id:
            return
        if self._paid is None and not self._closing:
            self._paid = payment
        elif all(p.payment_intent_id != payment.payment_intent_id for p in self._extra_payments):
            self._extra_payments.append(payment)

    @workflow.signal
    def payment_failed(self, failure: PaymentFailed) -> None:
        if failure.event_id in self._seen_events:
            return
        self._seen_events.add(failure.event_id)
        last = self._last_result
        if last is not None and last.payment_intent_id == failure.payment_intent_id:
            self._last_payment_error = failure.message
            if last.status is not PaymentStatus.DECLINED:
                self._last_result = last.model_copy(
                    update={"status": PaymentStatus.DECLINED, "message": failure.message}
                )
        self._refresh_details()

    @workflow.signal
    def resend_activation(self) -> None:
        if not self._activated and not self._closing and not self._taken_over:
            self._resends_pending += 1

    @workflow.signal
    def cancel(self) -> None:
        open_signup = self._status not in CLOSED and self._status is not CustomerStatus.ACTIVE
        if open_signup and not self._taken_over:
            self._cancel_requested = True

    @workflow.update
    async def convert_to_wl_managed(self, data: ConvertSignup) -> ConversionResult:
        """The WL administrator takes the signup over: the WL pays, the admin administers.

        The customer's link stops working as soon as this starts. A refusal (credit limit,
        numbers) leaves the signup pending as it was, its link working again.
        """
        await workflow.wait_condition(lambda: not self._converting)
        if self._converted is not None:
            return self._converted  # a repeated request
        self._converting = True
        try:
            # An activation or a card payment already under way finishes first.
            await workflow.wait_condition(
                lambda: not self._activating and not self._attempt_in_flight
            )
            self._refuse_conversion_unless_pending()
            try:
                converted: ConversionResult = await database_step(
                    self._local_steps,
                    ConversionActivities.convert_to_wl_managed,
                    ConvertAccountInput(
                        customer_id=self._customer.customer_id,
                        white_label_id=self._white_label_id,
                        requested_by_user_id=data.requested_by_user_id,
                        request=data.request,
                    ),
                    summary="convert to WL-managed: debit the WL, Account Administrator, "
                    "numbers, PBX settings",
                )
            except StepFailure as error:
                refusal = business_refusal(error)
                if refusal is None:
                    raise
                raise ApplicationError(
                    refusal.message, type=refusal.failure_type, non_retryable=True
                ) from error
        finally:
            self._converting = False
        self._converted = converted
        self._closing = True  # a card payment arriving from now on is refunded
        workflow.upsert_search_attributes(
            [search_attributes.SIGNUP_PATH.value_set(SignupPath.WL_MANAGED.value)]
        )
        self._set_status(CustomerStatus.ACTIVE)
        return converted

    @convert_to_wl_managed.validator
    def _validate_convert(self, data: ConvertSignup) -> None:
        if self._converting or self._converted is not None:
            return  # answered with the conversion's own outcome
        self._refuse_conversion_unless_pending()

    def _refuse_conversion_unless_pending(self) -> None:
        paid = self._paid is not None or (
            self._last_result is not None and self._last_result.status is PaymentStatus.SUCCEEDED
        )
        if self._closing or self._cancel_requested or self._status in CLOSED or paid:
            state = "paid" if paid else self._status.value
            raise ApplicationError(
                f"cannot convert: the signup is {state}",
                type=BusinessError.SIGNUP_NOT_PENDING.value,
                non_retryable=True,
            )

    @property
    def _path(self) -> SignupPath:
        return SignupPath.SELF_SERVE if self._converted is None else SignupPath.WL_MANAGED

    @property
    def _taken_over(self) -> bool:
        return self._converting or self._converted is not None

    # --- the run --------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: SelfServeSignupInput) -> SignupResult:
        customer = self._customer
        self._set_status(CustomerStatus.AWAITING_ACTIVATION)
        self._stage = "creating the account"
        account = await create_account(
            data,
            SIGNUP_PATHS[SignupPath.SELF_SERVE],
            local=self._local_steps,
            refused=self._refused_at_creation,
            activation_expires_at=self._activation_deadline,
        )
        self._payment_due = account.amount_due > 0
        self._account_ready = True

        await self._send_activation(reminder=0)
        await self._wait_for_activation(data.reminders)
        if self._converted is not None:
            return await self._after_conversion()
        if not self._activated:
            return await self._close()

        if self._payment_due:
            await self._wait_for_payment()
            if self._converted is not None:
                return await self._after_conversion()
            if self._paid is None:
                return await self._close()
        return await self._finish(customer)

    async def _wait_for_activation(self, reminders: list[timedelta]) -> None:
        deadline = self._activation_deadline
        created_at = self._created_at
        due = sorted(created_at + offset for offset in reminders if created_at + offset < deadline)
        while True:
            # A conversion under way decides the signup's fate first.
            await workflow.wait_condition(lambda: not self._converting)
            if self._activated or self._cancel_requested or self._converted is not None:
                return
            if self._resends_pending:
                self._resends_pending -= 1
                self._link_version += 1
                await self._send_activation(reminder=0)
                continue
            now = workflow.now()
            if now >= deadline and not self._activating:
                return
            wake = min([deadline, *due[self._reminders_sent :]])
            self._stage = "waiting for activation"
            self._refresh_details()
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._activated
                        or self._activating
                        or self._cancel_requested
                        or self._resends_pending > 0
                        or self._converting
                    ),
                    timeout=max(wake - now, timedelta(0)),
                    timeout_summary=f"until {_utc(wake)}",
                )
            except TimeoutError:
                if wake != deadline and self._reminders_sent < len(due):
                    self._reminders_sent += 1
                    await self._send_activation(reminder=self._reminders_sent)
                continue
            if self._activating:
                await workflow.wait_condition(lambda: not self._activating)

    async def _wait_for_payment(self) -> None:
        deadline = self._payment_deadline
        assert deadline is not None
        self._stage = "waiting for payment"
        self._refresh_details()
        with contextlib.suppress(TimeoutError):  # the window closed without a payment
            await workflow.wait_condition(
                lambda: (
                    self._paid is not None or self._cancel_requested or self._converted is not None
                ),
                timeout=max(deadline - workflow.now(), timedelta(0)),
                timeout_summary=f"payment window until {_utc(deadline)}",
            )
        # An attempt still talking to Stripe decides whether money arrived, and a conversion
        # under way whether the signup is still the customer's.
        await workflow.wait_condition(lambda: not self._attempt_in_flight and not self._converting)

    async def _finish(self, customer: CustomerRef) -> SignupResult:
        self._stage = "making the account active"
        self._refresh_details()
        if self._paid is not None:
            await database_step(
                self._local_steps,
                BalanceActivities.record_payment,
                RecordPaymentInput(customer_id=customer.customer_id, payment=self._paid),
                summary="record the payment and credit the balance",
            )
        await database_step(
            self._local_steps,
            AccountActivities.add_contact_administrator,
            customer,
            summary="contact becomes Account Administrator",
        )
        await database_step(
            self._local_steps, AccountActivities.mark_active, customer, summary="mark active"
        )
        self._set_status(CustomerStatus.ACTIVE)
        self._closing = True
        await workflow.execute_activity_method(
            PaymentActivities.cancel_open_payments,
            CancelPaymentsInput(customer_id=customer.customer_id, refund_paid=False),
            summary="cancel abandoned payment attempts",
            **STRIPE_STEP,
        )
        await self._email(EmailActivities.send_welcome, customer, "welcome email")
        await self._notify(WlNotice.CUSTOMER_ACTIVE)
        await self._refund_extra_payments()
        self._stage = "done"
        workflow.set_current_details("**Done:** the account is active")
        return SignupResult(customer_id=customer.customer_id, status=CustomerStatus.ACTIVE)

    async def _close(self) -> SignupResult:
        """Expiry or cancellation: nothing charged stays charged, the WL admin is told."""
        self._closing = True
        status = CustomerStatus.CANCELLED if self._cancel_requested else CustomerStatus.EXPIRED
        self._stage = f"closing the signup ({status.value})"
        self._set_status(status)
        await database_step(
            self._local_steps,
            AccountActivities.mark_status,
            MarkStatusInput(customer_id=self._customer.customer_id, status=status.value),
            summary=f"mark {status.value}",
        )
        await self._cancel_card_payments()
        await self._notify(
            WlNotice.SIGNUP_CANCELLED
            if status is CustomerStatus.CANCELLED
            else WlNotice.SIGNUP_EXPIRED
        )
        # Versioned change: newer runs also tell the customer their link has expired and whom
        # to ask for a new one; runs started before it replay without that email.
        if status is CustomerStatus.EXPIRED and workflow.patched(CUSTOMER_EXPIRY_NOTICE_PATCH):
            await self._email(
                EmailActivities.send_expiry_notice, self._customer, "expiry notice to the customer"
            )
        await self._refund_extra_payments()
        workflow.set_current_details(f"**Closed:** {status.value}")
        return SignupResult(customer_id=self._customer.customer_id, status=status)

    async def _after_conversion(self) -> SignupResult:
        """The WL-managed account is active: no card money stays, both sides are told."""
        self._stage = "converted to WL-managed"
        await self._cancel_card_payments()
        await self._email(
            EmailActivities.send_wl_confirmation,
            self._customer,
            "confirmation email to the WL administrator",
        )
        await self._email(
            EmailActivities.send_conversion_notice,
            self._customer,
            "tell the customer the white label manages the account",
        )
        await self._refund_extra_payments()
        workflow.set_current_details("**Done:** converted to WL-managed; the account is active")
        return SignupResult(customer_id=self._customer.customer_id, status=CustomerStatus.ACTIVE)

    async def _cancel_card_payments(self) -> None:
        """Open card payments are cancelled, paid ones refunded (and the WL admin told)."""
        if self._attempts:
            refunded = await workflow.execute_activity_method(
                PaymentActivities.cancel_open_payments,
                CancelPaymentsInput(customer_id=self._customer.customer_id, refund_paid=True),
                summary="cancel or refund card payments",
                **STRIPE_STEP,
            )
            for intent_id in refunded.refunded_payment_intent_ids:
                await self._notify(WlNotice.LATE_PAYMENT_REFUNDED, reference=intent_id)
        if self._paid is not None:
            self._extra_payments.append(self._paid)

    async def _refund_extra_payments(self) -> None:
        """Payments the signup cannot use (a second card, or one after closing) go back."""
        while self._extra_payments:
            payment = self._extra_payments.pop(0)
            await workflow.execute_activity_method(
                PaymentActivities.refund_payment,
                RefundLatePaymentInput(
                    customer_id=self._customer.customer_id,
                    payment=payment,
                    reason=f"not needed: signup {self._status.value}",
                ),
                summary="refund a payment the signup cannot use",
                **STRIPE_STEP,
            )
            await self._notify(WlNotice.LATE_PAYMENT_REFUNDED, reference=payment.payment_intent_id)

    # --- helpers --------------------------------------------------------------------------

    @property
    def _awaiting_payment(self) -> bool:
        return self._status is CustomerStatus.AWAITING_PAYMENT

    def _validate_link(self, link_version: int) -> None:
        closed = self._status in CLOSED or self._cancel_requested or self._closing
        if closed or self._taken_over:
            raise link_refused(LinkRefusal.CLOSED, "this signup is closed")
        if link_version != self._link_version:
            raise link_refused(LinkRefusal.SUPERSEDED, "a newer activation link was sent")

    def _refused_at_creation(self, refusal: Refusal) -> NoReturn:
        """The account was never written (an unknown plan, say): the signup fails at once."""
        self._set_status(CustomerStatus.FAILED)
        raise ApplicationError(refusal.message, type=refusal.failure_type, non_retryable=True)

    def _set_status(self, status: CustomerStatus) -> None:
        self._status = status
        workflow.upsert_search_attributes([search_attributes.SIGNUP_STATUS.value_set(status.value)])
        record_status(self._path, self._white_label_id, status, self._created_at)

    def _refresh_details(self) -> None:
        if self._status is CustomerStatus.AWAITING_ACTIVATION:
            details = (
                f"**Waiting for activation** until {_utc(self._activation_deadline)}, "
                f"link version {self._link_version}, reminder {self._reminders_sent} sent"
            )
        elif self._status is CustomerStatus.AWAITING_PAYMENT and self._payment_deadline:
            details = (
                f"**Waiting for payment** until {_utc(self._payment_deadline)}, "
                f"{self._attempts} attempt(s)"
                + (
                    f", last declined: {self._last_payment_error}"
                    if self._last_payment_error
                    else ""
                )
            )
        else:
            details = f"**{self._stage}**"
        workflow.set_current_details(details)

    async def _send_activation(self, reminder: int) -> None:
        kind = f"activation reminder {reminder}" if reminder else "activation email"
        await self._email(
            EmailActivities.send_activation,
            ActivationEmailInput(
                customer_id=self._customer.customer_id,
                link_version=self._link_version,
                expires_at=self._activation_deadline,
                reminder=reminder,
            ),
            f"{kind} (link v{self._link_version})",
        )

    async def _notify(self, kind: WlNotice, reference: str | None = None) -> None:
        await self._email(
            EmailActivities.send_wl_notice,
            WlNoticeInput(customer_id=self._customer.customer_id, kind=kind, reference=reference),
            f"notify the WL administrator: {kind.value}",
        )

    async def _email(
        self, method: Callable[[Any, Any], Awaitable[None]], argument: Any, summary: str
    ) -> None:
        await send_email(method, argument, summary=summary)
