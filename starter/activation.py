"""The customer's side of a self-serve signup: verify the link, activate, pay.

The API verifies the token's MAC here and hands the workflow only the link version; the
workflow decides whether that version is current and the signup still open. Every refusal
reaches the customer as the same generic answer.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar, cast

import stripe
from stripe.params import SetupIntentCreateParams
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.activation import verify_token
from domain.brand import Brand
from domain.enums import CustomerStatus, SignupPath
from domain.self_serve import (
    ActivateRequest,
    ActivateResult,
    ActivationOutcome,
    LinkRefusal,
    SelfServeProgress,
    SubmitPaymentRequest,
    SubmitPaymentResult,
)
from domain.settings import Settings
from domain.signup import SignupResult, workflow_id_for
from domain.stripe_params import card_only
from store.availability import UNREACHABLE
from store.brands import brand_of
from store.engine import SessionFactory, read_only
from store.schema import Customer, Plan, WhiteLabel
from workflows.self_serve import SelfServeSignupWorkflow

REFUSALS = {refusal.value for refusal in LinkRefusal}
RETRYABLE = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.DEADLINE_EXCEEDED,
}
T = TypeVar("T")
log = logging.getLogger(__name__)


class LinkInvalid(Exception):
    """Wrong, stale, superseded or expired link, or an unknown customer: all look the same."""


class TryAgainLater(Exception):
    """The signup did not answer in time (e.g. Stripe or the database is down)."""


async def until_answered(call: Callable[[], Awaitable[T]], wait_seconds: float) -> T:
    """Calls the workflow until it answers, for up to `wait_seconds` (TimeoutError).

    A busy workflow answers late or sheds a query, and Temporal aborts an update that
    raced another; those are asked again, any other error is raised.
    """
    async with asyncio.timeout(wait_seconds):
        while True:
            try:
                return await call()
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                pass
            except RPCError as error:
                if error.status not in RETRYABLE:
                    raise
            await asyncio.sleep(0.05)


async def send_update(send: Callable[[], Awaitable[T]], wait_seconds: float) -> T:
    """Sends an emailed link's update until it is answered; a refusal is `LinkInvalid`.

    Repeating is safe: the workflows answer a repeated update the same way, and every
    refusal is final.
    """
    try:
        return await until_answered(send, wait_seconds)
    except TimeoutError:
        raise TryAgainLater from None
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            raise LinkInvalid from None
        log.warning(
            "link update failed: %s %s",
            type(cause).__name__,
            getattr(cause, "type", None) or getattr(cause, "message", ""),
        )
        raise TryAgainLater from error
    except RPCError:
        raise LinkInvalid from None


@dataclass(frozen=True)
class SignupPage:
    """What the pages show: the business, the plan and what is due. Read from the store."""

    customer_id: uuid.UUID
    business_name: str
    first_name: str
    contact_name: str
    white_label_name: str
    brand: Brand
    plan_name: str
    amount_due: Decimal
    currency: str
    status: CustomerStatus
    stripe_customer_id: str | None
    stripe_account: str | None


@dataclass(frozen=True)
class Link:
    customer_id: uuid.UUID
    link_version: int
    token: str


class Activation:
    def __init__(
        self,
        client: Client,
        sessions: SessionFactory,
        settings: Settings,
        stripe_client: stripe.StripeClient | None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings
        self._stripe = stripe_client
        self._card_only = card_only(settings.stripe_api_base is not None)

    def verify(self, customer_id: uuid.UUID, token: str) -> Link:
        secret = self._settings.required_activation_secret()
        verified = verify_token(secret, customer_id, token[:200])
        if verified is None:
            raise LinkInvalid
        return Link(customer_id=customer_id, link_version=verified.link_version, token=token)

    def _handle(self, link: Link) -> WorkflowHandle[SelfServeSignupWorkflow, SignupResult]:
        return self._client.get_workflow_handle_for(
            SelfServeSignupWorkflow.run, workflow_id_for(link.customer_id)
        )

    async def progress(self, link: Link) -> SelfServeProgress:
        """The signup's state, if this link is its current one."""
        try:
            progress = await self._until_answered(
                lambda: self._handle(link).query(SelfServeSignupWorkflow.status)
            )
        except TimeoutError:
            raise TryAgainLater from None
        except RPCError:
            raise LinkInvalid from None
        if progress.link_version != link.link_version or progress.converted:
            raise LinkInvalid
        return progress

    async def page(self, customer_id: uuid.UUID) -> SignupPage:
        try:
            async with self._reads() as session:
                customer = await session.get(Customer, customer_id)
                if customer is None or customer.path != SignupPath.SELF_SERVE.value:
                    raise LinkInvalid
                plan = await session.get_one(Plan, customer.plan_id)
                white_label = await session.get_one(WhiteLabel, customer.white_label_id)
                brand = await brand_of(session, white_label)
        except UNREACHABLE:
            raise TryAgainLater from None
        contact = customer.contact or {}
        return SignupPage(
            customer_id=customer.id,
            business_name=str((customer.business or {}).get("name", "")),
            first_name=str(contact.get("first_name", "")),
            contact_name=f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(),
            white_label_name=brand.display_name,
            brand=brand,
            plan_name=plan.name,
            amount_due=plan.initial_funding,
            currency=plan.currency,
            status=CustomerStatus(customer.status),
            stripe_customer_id=customer.stripe_customer_id,
            stripe_account=white_label.payment_gateway_account,
        )

    async def _until_answered(self, call: Callable[[], Awaitable[T]]) -> T:
        return await until_answered(call, self._settings.api_wait_seconds)

    async def _update(self, send: Callable[[], Awaitable[T]]) -> T:
        return await send_update(send, self._settings.api_wait_seconds)

    async def activate(self, link: Link) -> ActivateResult:
        try:
            result = await self._update(
                lambda: self._handle(link).execute_update(
                    SelfServeSignupWorkflow.activate,
                    ActivateRequest(link_version=link.link_version),
                )
            )
        except LinkInvalid:
            # A finished signup takes no updates; its current link still says it is active.
            if (await self.progress(link)).status != CustomerStatus.ACTIVE.value:
                raise
            return ActivateResult(outcome=ActivationOutcome.ALREADY_ACTIVATED, payment_due=False)
        return result

    async def submit_payment(self, link: Link, payment_method: str) -> SubmitPaymentResult:
        return await self._update(
            lambda: self._handle(link).execute_update(
                SelfServeSignupWorkflow.submit_payment,
                SubmitPaymentRequest(link_version=link.link_version, payment_method=payment_method),
            )
        )

    def _options(self, page: SignupPage) -> stripe.RequestOptions:
        return {"stripe_account": page.stripe_account} if page.stripe_account else {}

    async def card_setup_secret(self, page: SignupPage) -> str:
        """A fresh SetupIntent for the card form (one per card the customer enters)."""
        if self._stripe is None or page.stripe_customer_id is None:
            raise TryAgainLater
        params = {"customer": page.stripe_customer_id, "usage": "off_session", **self._card_only}
        setup = await self._stripe.v1.setup_intents.create_async(
            params=cast(SetupIntentCreateParams, params), options=self._options(page)
        )
        return str(setup.client_secret)

    async def payment_client_secret(self, page: SignupPage, payment_intent_id: str) -> str:
        """The intent's client secret for 3-D Secure in the page; never stored anywhere."""
        if self._stripe is None:
            raise TryAgainLater
        intent = await self._stripe.v1.payment_intents.retrieve_async(
            payment_intent_id, options=self._options(page)
        )
        return str(intent.client_secret)
