"""A worker interceptor that acts the moment a named step has done its work.

The step's effect is committed, and Temporal has not yet been told: the instant the fault
tests break something (kill the worker, take the database down).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

Then = Callable[[activity.Info], Awaitable[None]]


class _After(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, step: str, then: Then) -> None:
        super().__init__(next)
        self._step = step
        self._then = then

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        info = activity.info()
        if info.activity_type == self._step:
            await self._then(info)
        return result


class AfterStep(Interceptor):
    def __init__(self, step: str, then: Then) -> None:
        self._step = step
        self._then = then

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _After(next, self._step, self._then)
