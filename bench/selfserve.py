"""Part 2 of `make bench`: self-serve latency, as the customer and Stripe see it.

Each signup is driven the whole way, as in a browser: `POST /v1/customers` (self-serve, a plan
with an initial card payment), the link from the activation email, `GET` then `POST` of the
activation page, the card saved at localstripe through the page's SetupIntent, `POST .../payment`
(the PaymentIntent is created and confirmed server-side), then localstripe's signed
`payment_intent.succeeded` webhook.

Two figures:

- **activation POST → card page**: from sending the activation form until the whole answer
  (the page with `id="payment-form"`) is read, following redirects like a browser. It holds
  the `activate` update (mark the account, create the Stripe customer) and a SetupIntent.
- **webhook received → `active`**: localstripe posts its webhook one second after the intent
  succeeds, from inside its own process, so the moment it is sent is not observable. The bench
  therefore registers itself as the webhook endpoint (a tap) and forwards localstripe's event
  unchanged (same body, same signature) to `POST /webhooks/stripe`; the start is the wall-clock
  instant the tap begins forwarding, i.e. just before the API receives it. The end is the
  customer's `activated_at`, read from `GET /v1/customers/{id}` once it reads `active`: the
  worker's `mark_active` step stamps it inside the transaction that makes the status `active`
  (its commit, a few ms, is not counted). Both clocks are this machine's. The forwarding hop
  (loopback, one event loop shared with the bench's clients) is inside the figure, so it errs on
  the slow side; sending a self-signed event from the bench would be no more exact and would
  skip localstripe's real event.

Signups run CONCURRENCY (4) at a time, so the figures are latency rather than queueing: on
2 cores one signup alone sees ~105 ms to the card page and ~110 ms webhook → active, and 6 in
flight already quadruple both (every process of the stack competes for the same two cores).
Each simulated customer has its own client address (`X-Forwarded-For`, trusted from loopback),
as real customers do, so the per-address limit on the activation pages does not refuse the
bench.
"""

import argparse
import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx
from aiohttp import web

from bench.cpu import percentile
from bench.stack import CARD_PLAN, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, Stack, bench_stack
from devstack.mailsink import MailSink
from domain.examples import WL_MANAGED_REQUEST

CONCURRENCY = 4
WARM_UP = 3
CARD_OK = "4242424242424242"
LINK = re.compile(r"/activate/([0-9a-f-]{36})\?token=([A-Za-z0-9._-]+)")
SETUP_SECRET = re.compile(r'data-setup-secret="([^"]+)"')
CARD_FORM = 'id="payment-form"'


def signup_request(tag: str, plan_code: str = CARD_PLAN) -> dict[str, Any]:
    """A self-serve signup (of the card plan unless told); its own contact and business."""
    body = {
        key: value
        for key, value in WL_MANAGED_REQUEST.items()
        if key not in {"numbers", "pbx_settings"}
    }
    body["contact"] = {
        **WL_MANAGED_REQUEST["contact"],
        "email": f"bench-{tag}@customer.example.com",
    }
    body["business"] = {"name": f"Bench Plumbing {tag}"}
    return {**body, "path": "self_serve", "plan_code": plan_code}


def browser(index: int) -> dict[str, str]:
    """Headers of customer `index`'s browser: its own address (the API trusts loopback's
    X-Forwarded-For), so thousands of customers are not one client to the rate limiter."""
    return {"X-Forwarded-For": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"}


class Links:
    """The activation links the service emailed, by customer id.

    Reads the sink's message list incrementally: `MailSink.to()` scans every message, which is
    quadratic over thousands of signups.
    """

    def __init__(self, sink: MailSink) -> None:
        self._sink = sink
        self._read = 0
        self.tokens: dict[str, str] = {}

    def refresh(self) -> int:
        messages = self._sink.messages
        while self._read < len(messages):
            match = LINK.search(_text(messages[self._read]))
            if match:
                self.tokens.setdefault(match.group(1), match.group(2))
            self._read += 1
        return len(self.tokens)

    async def token(self, customer_id: str, within: float = 60) -> str:
        deadline = time.monotonic() + within
        while customer_id not in self.tokens:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no activation email for {customer_id} in {within:.0f} s")
            await asyncio.sleep(0.02)
            self.refresh()
        return self.tokens[customer_id]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def api_client(stack: Stack) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    return httpx.AsyncClient(base_url=stack.api_url, timeout=120, limits=limits)


async def start_signup(http: httpx.AsyncClient, stack: Stack, tag: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    return await http.post("/v1/customers", json=signup_request(tag), headers=headers)


class WebhookTap:
    """localstripe's webhook endpoint while it runs: notes when each customer's
    `payment_intent.succeeded` arrives, then forwards every event unchanged to the API."""

    def __init__(self, api_url: str) -> None:
        self._target = f"{api_url}/webhooks/stripe"
        self._http = httpx.AsyncClient(timeout=60)
        self.succeeded_at: dict[str, float] = {}  # customer id → time.time()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        customer_id = _succeeded_customer(body)
        if customer_id is not None:
            self.succeeded_at.setdefault(customer_id, time.time())
        headers = {name: request.headers[name] for name in ("Stripe-Signature", "Content-Type")}
        answer = await self._http.post(self._target, content=body, headers=headers)
        return web.Response(status=answer.status_code, body=answer.content)

    async def arrival(self, customer_id: str, within: float = 60) -> float:
        deadline = time.monotonic() + within
        while customer_id not in self.succeeded_at:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no payment_intent.succeeded for {customer_id}")
            await asyncio.sleep(0.01)
        return self.succeeded_at[customer_id]


def _succeeded_customer(body: bytes) -> str | None:
    with contextlib.suppress(ValueError, KeyError, TypeError):
        event = json.loads(body)
        if event["type"] == "payment_intent.succeeded":
            return str(event["data"]["object"]["metadata"]["customer_id"])
    return None


async def _point_webhooks(stack: Stack, url: str) -> None:
    async with httpx.AsyncClient(auth=(STRIPE_SECRET_KEY, "")) as http:
        registered = await http.post(
            f"{stack.localstripe_url}/_config/webhooks/bench",  # the stack's name: replaced
            data={"url": url, "secret": STRIPE_WEBHOOK_SECRET},
        )
        registered.raise_for_status()


@contextlib.asynccontextmanager
async def webhook_tap(stack: Stack) -> AsyncIterator[WebhookTap]:
    tap = WebhookTap(stack.api_url)
    app = web.Application()
    app.router.add_post("/webhooks/stripe", tap.forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await _point_webhooks(stack, f"http://127.0.0.1:{port}/webhooks/stripe")
    try:
        yield tap
    finally:
        await _point_webhooks(stack, f"{stack.api_url}/webhooks/stripe")
        await runner.cleanup()
        await tap._http.aclose()


async def save_card(stack: Stack, setup_secret: str) -> str:
    """What the page's Stripe.js does: a card PaymentMethod, confirmed on the SetupIntent."""
    async with httpx.AsyncClient(
        base_url=stack.localstripe_url, auth=(STRIPE_SECRET_KEY, "")
    ) as stripe:
        method = await stripe.post(
            "/v1/payment_methods",
            data={
                "type": "card",
                "card[number]": CARD_OK,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        method.raise_for_status()
        payment_method = str(method.json()["id"])
        setup_intent = setup_secret.split("_secret_")[0]
        confirmed = await stripe.post(
            f"/v1/setup_intents/{setup_intent}/confirm", data={"payment_method": payment_method}
        )
        confirmed.raise_for_status()
        return payment_method


async def one_signup(
    stack: Stack, http: httpx.AsyncClient, links: Links, tap: WebhookTap, index: int
) -> tuple[float, float]:
    """One signup from start to `active`: (activation→card page, webhook→active), in ms."""
    created = await start_signup(http, stack, f"{index}-{uuid.uuid4().hex[:6]}")
    _expect(created.status_code == 202, f"POST /v1/customers answered {created.text}")
    customer_id = str(created.json()["customer_id"])
    token = await links.token(customer_id)
    address = browser(index)
    page = await http.get(f"/activate/{customer_id}", params={"token": token}, headers=address)
    _expect(page.status_code == 200, f"activation GET answered {page.status_code}")

    sent = time.perf_counter()
    card_page = await http.post(
        f"/activate/{customer_id}", data={"token": token}, headers=address, follow_redirects=True
    )
    to_card_page = (time.perf_counter() - sent) * 1000
    _expect(card_page.status_code == 200, f"activation POST answered {card_page.status_code}")
    _expect(CARD_FORM in card_page.text, "the activation POST did not show the card form")

    secret = SETUP_SECRET.search(card_page.text)
    _expect(secret is not None, "no SetupIntent on the card page")
    assert secret is not None
    payment_method = await save_card(stack, secret.group(1))
    paid = await http.post(
        f"/activate/{customer_id}/payment",
        json={"token": token, "payment_method": payment_method},
        headers=address,
    )
    _expect(paid.status_code == 200, f"payment POST answered {paid.status_code}")
    _expect(paid.json()["status"] == "succeeded", f"payment: {paid.text}")

    received = await tap.arrival(customer_id)
    activated_at = await _activated_at(http, stack, customer_id)
    return to_card_page, (activated_at - received) * 1000


def _expect(condition: bool, failure: str) -> None:
    """A signup that goes wrong stops the bench with what went wrong (asserts vanish with -O)."""
    if not condition:
        raise RuntimeError(failure)


async def _activated_at(http: httpx.AsyncClient, stack: Stack, customer_id: str) -> float:
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = (await http.get(f"/v1/customers/{customer_id}", headers=headers)).json()
        if view["status"] == "active":
            return datetime.fromisoformat(view["activated_at"]).timestamp()
        await asyncio.sleep(0.05)
    raise TimeoutError(f"customer {customer_id} did not become active")


async def measure(
    database_url: str | None = None,
    workers: int = 1,
    signups: int = 200,
    concurrency: int = CONCURRENCY,
) -> dict[str, Any]:
    """Latency figures over `signups` self-serve signups, `concurrency` in flight."""
    async with (
        bench_stack(database_url, workers) as stack,
        webhook_tap(stack) as tap,
        api_client(stack) as http,
    ):
        links = Links(stack.mail)
        # The first signups pay for imports, connections and cold caches: not counted.
        await asyncio.gather(*(one_signup(stack, http, links, tap, -1 - i) for i in range(WARM_UP)))
        gate = asyncio.Semaphore(concurrency)

        async def gated(index: int) -> tuple[float, float]:
            async with gate:
                return await one_signup(stack, http, links, tap, index)

        started = time.perf_counter()
        timings = await asyncio.wait_for(asyncio.gather(*map(gated, range(signups))), 1200)
        seconds = time.perf_counter() - started
    card_page = [timing[0] for timing in timings]
    to_active = [timing[1] for timing in timings]
    return {
        "signups": signups,
        "concurrency": concurrency,
        "seconds": round(seconds, 1),
        "activation_to_card_page_ms": {
            "p50": round(percentile(card_page, 50), 1),
            "p99": round(percentile(card_page, 99), 1),
            "max": round(max(card_page), 1),
            "target_p99": 300,
        },
        "webhook_to_active_ms": {
            "p50": round(percentile(to_active, 50), 1),
            "p95": round(percentile(to_active, 95), 1),
            "p99": round(percentile(to_active, 99), 1),
            "max": round(max(to_active), 1),
            "target_p99": 500,
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="default: a SQLite file in the run's folder")
    arguments = parser.parse_args()
    figures = asyncio.run(
        measure(arguments.database_url, arguments.workers, arguments.signups, arguments.concurrency)
    )
    print(json.dumps(figures, indent=2))
