"""Steps of a self-serve signup as the customer and Stripe take them, for the tests."""

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import stripe

from devstack.mailsink import MailSink
from tests.conftest import (
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    WhiteLabelFixture,
    customer_request,
)

LINK = re.compile(r"(https?://[^\s\"<>]+)/activate/([0-9a-f-]{36})\?token=([A-Za-z0-9._-]+)")
CARD_OK = "4242424242424242"
CARD_DECLINED_ON_CHARGE = "4000000000000341"
CARD_DECLINED_ON_SETUP = "4000000000000002"
CARD_3DS = "4000002500003155"


@dataclass(frozen=True)
class Signup:
    customer_id: str
    email: str
    view: dict[str, Any]


@dataclass(frozen=True)
class ActivationLink:
    customer_id: str
    token: str

    @property
    def path(self) -> str:
        return f"/activate/{self.customer_id}"


async def start_signup(api: httpx.AsyncClient, white_label: WhiteLabelFixture) -> Signup:
    body = customer_request(path="self_serve")
    response = await api.post("/v1/customers", json=body, headers=white_label.headers)
    assert response.status_code == 202, response.text
    view = response.json()
    return Signup(customer_id=view["customer_id"], email=body["contact"]["email"], view=view)  # type: ignore[index]


async def mails_to(
    sink: MailSink, address: str, count: int, timeout: float = 15
) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sink.to(address)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(sink.to(address))} mails to {address}, expected {count}")


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no {subtype} part"
    return str(part.get_content())


def link_in(message: EmailMessage) -> ActivationLink:
    match = LINK.search(text_of(message))
    assert match is not None, "no activation link in the email"
    return ActivationLink(customer_id=match.group(2), token=match.group(3))


async def emailed_link(mail_sink: MailSink, address: str) -> ActivationLink:
    """The link in the one activation email sent to `address`."""
    [email] = await mails_to(mail_sink, address, 1)
    return link_in(email)


async def activate_from_email(
    api: httpx.AsyncClient, mail_sink: MailSink, address: str
) -> ActivationLink:
    """What the customer does first: open the emailed link and press Activate."""
    link = await emailed_link(mail_sink, address)
    response = await api.post(link.path, data={"token": link.token})
    assert response.status_code == 200, response.text
    return link


async def activated_signup(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> tuple[Signup, ActivationLink]:
    signup = await start_signup(api, white_label)
    return signup, await activate_from_email(api, mail_sink, signup.email)


async def customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str
) -> dict[str, Any]:
    response = await api.get(f"/v1/customers/{customer_id}", headers=white_label.headers)
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def until_status(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    customer_id: str,
    status: str,
    timeout: float = 20,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = await customer(api, white_label, customer_id)
        if view["status"] == status:
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"customer is {view.get('status')}, expected {status}")


def stripe_sdk(localstripe: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        STRIPE_SECRET_KEY,
        base_addresses={"api": localstripe},
        http_client=stripe.HTTPXClient(),
        max_network_retries=0,
    )


async def saved_card(
    api: httpx.AsyncClient, localstripe: str, link: ActivationLink, number: str
) -> str:
    """What the page does with Stripe.js: save the card through a SetupIntent."""
    setup = await api.post(f"{link.path}/card-setup", json={"token": link.token})
    assert setup.status_code == 200, setup.text
    client_secret = setup.json()["client_secret"]
    sdk = stripe_sdk(localstripe)
    method = await sdk.v1.payment_methods.create_async(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    setup_intent_id = client_secret.split("_secret_")[0]
    await sdk.v1.setup_intents.confirm_async(setup_intent_id, params={"payment_method": method.id})
    return str(method.id)


async def pay(
    api: httpx.AsyncClient, localstripe: str, link: ActivationLink, number: str = CARD_OK
) -> dict[str, Any]:
    payment_method = await saved_card(api, localstripe, link, number)
    response = await api.post(
        f"{link.path}/payment", json={"token": link.token, "payment_method": payment_method}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def signed(
    body: bytes, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def intent_event(kind: str, intent: dict[str, Any], event_id: str | None = None) -> bytes:
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": intent},
    }
    return json.dumps(event).encode()


async def intents_of(localstripe: str, customer_id: str) -> list[Any]:
    """Every PaymentIntent of this customer in localstripe, across all list pages."""
    listed = await stripe_sdk(localstripe).v1.payment_intents.list_async(params={"limit": 100})
    return [
        intent
        async for intent in listed.auto_paging_iter()
        if intent.metadata.to_dict().get("customer_id") == customer_id
    ]


async def refunded_intents(localstripe: str) -> list[str]:
    listed = await stripe_sdk(localstripe).v1.refunds.list_async(params={"limit": 100})
    return [str(refund.payment_intent) async for refund in listed.auto_paging_iter()]


async def delivered_event(localstripe: str, customer_id: str, kind: str) -> dict[str, Any]:
    """The event localstripe sent for this customer's intent."""
    starting_after: str | None = None
    async with httpx.AsyncClient() as http:
        while True:
            params = {"type": kind, "limit": "100"}
            if starting_after:
                params["starting_after"] = starting_after
            listed = await http.get(
                f"{localstripe}/v1/events", params=params, auth=(STRIPE_SECRET_KEY, "")
            )
            page = listed.json()
            for event in page["data"]:
                if event["data"]["object"]["metadata"].get("customer_id") == customer_id:
                    found: dict[str, Any] = event
                    return found
            if not page.get("has_more") or not page["data"]:
                raise AssertionError(f"no {kind} event for {customer_id}")
            starting_after = page["data"][-1]["id"]
