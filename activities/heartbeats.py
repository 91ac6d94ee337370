"""Every activity heartbeats while it runs, so a worker that dies is noticed within seconds.

Without heartbeats Temporal only learns that a worker was killed when the step's whole
start-to-close timeout has passed. With a short heartbeat timeout on every step (see
`workflows.policies`) and this interceptor beating on the step's behalf, a step left behind by
a dead worker is retried on another worker after that heartbeat timeout instead.
"""

import asyncio
import contextlib
from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)


class _BeatWhileRunning(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return await self.next.execute_activity(input)
        beating = asyncio.create_task(_beat(timeout.total_seconds() / 3))
        try:
            return await self.next.execute_activity(input)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating


async def _beat(every_seconds: float) -> None:
    while True:
        # Sleep first: a step that ends sooner (most do) sends no heartbeat at all.
        await asyncio.sleep(every_seconds)
        activity.heartbeat()


class AutoHeartbeat(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BeatWhileRunning(next)
