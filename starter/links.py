"""What every emailed link (activation, invitation) goes through before its page is shown.

The token's MAC is checked here and only its version goes on to the workflow, which decides
whether that version is still current. Whatever is wrong with a link, the customer gets the
same answer (`LinkInvalid`); a workflow or database too busy to answer is `TryAgainLater`.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.activation import LinkPurpose, verify_token
from domain.brand import Brand
from domain.enums import SignupPath
from domain.self_serve import LinkRefusal
from domain.settings import Settings
from store.availability import UNREACHABLE
from store.brands import brand_of
from store.engine import SessionFactory
from store.schema import Customer, Plan, WhiteLabel

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


class LinkNotAuthentic(LinkInvalid):
    """The token's MAC does not verify: nobody was ever sent this link. Only these count
    against the customer the link names, so guessing at one customer cannot lock its real
    link out."""


class TryAgainLater(Exception):
    """The workflow did not answer in time (e.g. Stripe or the database is down)."""


@dataclass(frozen=True)
class Link:
    customer_id: uuid.UUID
    link_version: int
    token: str


def verified_link(
    settings: Settings, customer_id: uuid.UUID, token: str, purpose: LinkPurpose
) -> Link:
    verified = verify_token(
        settings.required_activation_secret(), customer_id, token[:200], purpose
    )
    if verified is None:
        raise LinkNotAuthentic
    return Link(customer_id=customer_id, link_version=verified.link_version, token=token)


@dataclass(frozen=True)
class LinkedAccount:
    """The customer a link is about, with what its pages show around it."""

    customer: Customer
    plan: Plan
    white_label: WhiteLabel
    brand: Brand

    @property
    def business_name(self) -> str:
        return str((self.customer.business or {}).get("name", ""))

    @property
    def first_name(self) -> str:
        return str((self.customer.contact or {}).get("first_name", ""))


async def linked_account(
    reads: SessionFactory, customer_id: uuid.UUID, path: SignupPath
) -> LinkedAccount:
    """The customer, if it is on the path the link belongs to."""
    try:
        async with reads() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None or customer.path != path.value:
                raise LinkInvalid
            plan = await session.get_one(Plan, customer.plan_id)
            white_label = await session.get_one(WhiteLabel, customer.white_label_id)
            brand = await brand_of(session, white_label)
    except UNREACHABLE:
        raise TryAgainLater from None
    return LinkedAccount(customer=customer, plan=plan, white_label=white_label, brand=brand)


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


async def query_for_link(call: Callable[[], Awaitable[T]], wait_seconds: float) -> T:
    """A workflow's query on behalf of a link: a workflow that is not there is a bad link."""
    try:
        return await until_answered(call, wait_seconds)
    except TimeoutError:
        raise TryAgainLater from None
    except RPCError:
        raise LinkInvalid from None


async def send_update(send: Callable[[], Awaitable[T]], wait_seconds: float) -> T:
    """Sends a link's update until it is answered; a refusal is `LinkInvalid`.

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
