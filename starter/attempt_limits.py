"""How often one client address, and how often anyone for one customer, may knock on the
emailed links (activation, invitation); how often one API key may call `/v1`; and how often
console sign-in links may be asked for.

Tokens are 256-bit MACs, so guessing is hopeless anyway; the limits keep a flood from becoming
load on Temporal and the database, and make any guessing visible. A link whose MAC verifies is
never refused for its customer's sake: bad tokens for a customer id (which anyone who saw it
can send) are answered 429 once there are too many, but the real link still works. Every
window slides and ends by itself. Counters live in the configured `limits` storage: memory
(per API process) by default, or a shared store such as Redis when several API processes serve
the pages.
"""

import hashlib
import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from domain.settings import Settings

FAILURES = "activation-failures"


@dataclass(frozen=True)
class Refusal:
    retry_after_seconds: int


class AttemptLimits:
    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(settings.rate_limit_storage)
        self._limiter = MovingWindowRateLimiter(storage)
        self._requests_per_address = parse(settings.activation_requests_per_address)
        self._failures_per_address = parse(settings.activation_failures_per_address)
        self._failures_per_customer = parse(settings.activation_failures_per_customer)
        self._api_calls = parse(settings.api_rate_limit)
        self._sign_ins_per_address = parse(settings.console_sign_in_per_address)
        self._sign_ins_per_email = parse(settings.console_sign_in_per_email)

    async def admit(self, address: str) -> Refusal | None:
        """Counts the request; refuses it if the address is over a limit."""
        failures = (self._failures_per_address, FAILURES, f"address:{address}")
        if not await self._limiter.test(*failures):
            return await self._refusal(*failures)
        requests = (self._requests_per_address, "activation-requests", address)
        if not await self._limiter.hit(*requests):
            return await self._refusal(*requests)
        return None

    async def failed(self, address: str) -> None:
        """Counts a bad or stale link against the address that sent it."""
        await self._limiter.hit(self._failures_per_address, FAILURES, f"address:{address}")

    async def not_authentic(self, address: str, customer_id: uuid.UUID | None) -> Refusal | None:
        """Counts a token whose MAC does not verify against its address and the customer (or
        console sign-in) it names; says whether that one has had too many of them for now."""
        await self.failed(address)
        if customer_id is None:
            return None
        guesses = (self._failures_per_customer, FAILURES, f"customer:{customer_id}")
        if not await self._limiter.hit(*guesses):
            return await self._refusal(*guesses)
        return None

    async def admit_api_call(self, user_id: uuid.UUID) -> Refusal | None:
        """Counts one `/v1` request of this API key's user; refuses it over API_RATE_LIMIT, so
        one runaway integration cannot take the service from the others."""
        calls = (self._api_calls, "api-calls", str(user_id))
        if not await self._limiter.hit(*calls):
            return await self._refusal(*calls)
        return None

    async def admit_console_sign_in(self, address: str, email: str) -> Refusal | None:
        """Counts one request for a console sign-in link, by the client's address and by the
        email address asked for (whether or not it belongs to anyone): a flood can neither
        fill an inbox nor walk through addresses."""
        per_address = (self._sign_ins_per_address, "console-sign-in", f"address:{address}")
        if not await self._limiter.hit(*per_address):
            return await self._refusal(*per_address)
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        per_email = (self._sign_ins_per_email, "console-sign-in", f"email:{digest}")
        if not await self._limiter.hit(*per_email):
            return await self._refusal(*per_email)
        return None

    async def _refusal(self, item: RateLimitItem, namespace: str, key: str) -> Refusal:
        stats = await self._limiter.get_window_stats(item, namespace, key)
        return Refusal(retry_after_seconds=max(1, math.ceil(stats.reset_time - time.time())))

    async def admit_console_passkey(self, address: str) -> Refusal | None:
        """Counts one passkey sign-in ceremony against the client's address, in the same
        allowance as asking for sign-in links."""
        per_address = (self._sign_ins_per_address, "console-sign-in", f"address:{address}")
        if not await self._limiter.hit(*per_address):
            return await self._refusal(*per_address)
        return None
