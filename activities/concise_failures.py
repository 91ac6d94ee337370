"""A failing step reaches Temporal as one readable line, not as a driver's chained traceback.

Temporal keeps the last failure of a step it is retrying (the Web UI shows it on the pending
activity) only up to a size limit. A database driver's traceback with its chained causes
passes that limit, and the UI then shows "Failure exceeds size limit." where the reason
should be. So an unexpected error is retried as an `ApplicationError` that names its type and
message; the worker's log keeps the full traceback. Typed refusals pass through untouched.
"""

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

MAX_MESSAGE = 500


class _Concise(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except FailureError:
            raise
        except Exception as error:
            activity.logger.warning("step failed; Temporal retries it", exc_info=True)
            reason = f"{type(error).__name__}: {error}"
            raise ApplicationError(reason[:MAX_MESSAGE], type=type(error).__name__) from None


class ConciseFailures(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Concise(next)
