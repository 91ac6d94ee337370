"""How often one client address, and how often anyone for one customer, may knock on the
activation link.

Tokens are 256-bit MACs, so guessing is hopeless anyway; the limits keep a flood from becoming
load on Temporal and the database, and make any guessing visible. Every window slides and ends
by itself, so a real customer caught behind someone else's attempts waits minutes, never
forever. Counters live in the configured `limits` storage: memory (per API process) by default,
or a shared store such as Redis when several API processes serve the pages.
"""

import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from domain.settings import Settings


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

    async def admit(self, address: str, customer_id: uuid.UUID | None) -> Refusal | None:
        """Counts the request; refuses it if the address or the customer is over a limit."""
        checks: list[tuple[RateLimitItem, str]] = [
            (self._failures_per_address, f"address:{address}"),
        ]
        if customer_id is not None:
            checks.append((self._failures_per_customer, f"customer:{customer_id}"))
        for item, key in checks:
            if not await self._limiter.test(item, "activation-failures", key):
                return await self._refusal(item, "activation-failures", key)
        requests = (self._requests_per_address, "activation-requests", address)
        if not await self._limiter.hit(*requests):
            return await self._refusal(*requests)
        return None

    async def failed(self, address: str, customer_id: uuid.UUID | None) -> None:
        """Counts a bad or stale link against the address and the customer it named."""
        await self._limiter.hit(
            self._failures_per_address, "activation-failures", f"address:{address}"
        )
        if customer_id is not None:
            await self._limiter.hit(
                self._failures_per_customer, "activation-failures", f"customer:{customer_id}"
            )

    async def _refusal(self, item: RateLimitItem, namespace: str, key: str) -> Refusal:
        stats = await self._limiter.get_window_stats(item, namespace, key)
        return Refusal(retry_after_seconds=max(1, math.ceil(stats.reset_time - time.time())))
