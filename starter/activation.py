"""The customer's side of a self-serve signup: verify the link, activate, pay.

The API verifies the token's MAC here and hands the workflow only the link version; the
workflow decides whether that version is current and the signup still open. Every refusal
reaches the customer as the same generic answer.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar, cast

import stripe
from stripe.params import SetupIntentCreateParams
from temporalio.client import Client, WorkflowHandle

from domain.activation import LinkPurpose
from domain.brand import Brand
from domain.enums import CustomerStatus, SignupPath
from domain.self_serve import (
    ActivateRequest,
    ActivateResult,
    ActivationOutcome,
    SelfServeProgress,
    SubmitPaymentRequest,
    SubmitPaymentResult,
)
from domain.settings import Settings
from domain.signup import SignupResult, workflow_id_for
from domain.stripe_params import card_only
from runtime.stripe_client import request_options
from starter.links import (
    Link,
    LinkInvalid,
    TryAgainLater,
    linked_account,
    query_for_link,
    send_update,
    verified_link,
)
from store.engine import SessionFactory, read_only
from workflows.self_serve import SelfServeSignupWorkflow

T = TypeVar("T")


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
        return verified_link(self._settings, customer_id, token, LinkPurpose.ACTIVATION)

    def _handle(self, link: Link) -> WorkflowHandle[SelfServeSignupWorkflow, SignupResult]:
        return self._client.get_workflow_handle_for(
            SelfServeSignupWorkflow.run, workflow_id_for(link.customer_id)
        )

    async def progress(self, link: Link) -> SelfServeProgress:
        """The signup's state, if this link is its current one."""
        progress = await query_for_link(
            lambda: self._handle(link).query(SelfServeSignupWorkflow.status),
            self._settings.api_wait_seconds,
        )
        if progress.link_version != link.link_version or progress.converted:
            raise LinkInvalid
        return progress

    async def page(self, customer_id: uuid.UUID) -> SignupPage:
        account = await linked_account(self._reads, customer_id, SignupPath.SELF_SERVE)
        customer, plan, brand = account.customer, account.plan, account.brand
        contact = customer.contact or {}
        return SignupPage(
            customer_id=customer.id,
            business_name=account.business_name,
            first_name=account.first_name,
            contact_name=f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(),
            white_label_name=brand.display_name,
            brand=brand,
            plan_name=plan.name,
            amount_due=plan.initial_funding,
            currency=plan.currency,
            status=CustomerStatus(customer.status),
            stripe_customer_id=customer.stripe_customer_id,
            stripe_account=account.white_label.payment_gateway_account,
        )

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
        return request_options(page.stripe_account)

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
