"""`python worker.py` with a tripwire, for the worker-killed tests.

When the step named in TRIPWIRE_AFTER has done its work, the process writes the workflow id to
TRIPWIRE_FILE and freezes before reporting the step to Temporal: the step's effects are in the
database, at Stripe or in a mailbox, and Temporal does not know. The test then SIGKILLs it.
That is the worst instant for a worker to die, and one a test can hit every time.
"""

import asyncio
import os
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

import worker
from domain.settings import load_settings
from starter.logs import configure_logging


class _FreezeAfter(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, step: str, tripped: Path) -> None:
        super().__init__(next)
        self._step = step
        self._tripped = tripped

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        if activity.info().activity_type == self._step:
            self._tripped.write_text(activity.info().workflow_id)
            await asyncio.Event().wait()
        return result


class Tripwire(Interceptor):
    def __init__(self, step: str, tripped: Path) -> None:
        self._step = step
        self._tripped = tripped

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FreezeAfter(next, self._step, self._tripped)


def main() -> None:
    configure_logging()
    tripwire = Tripwire(os.environ["TRIPWIRE_AFTER"], Path(os.environ["TRIPWIRE_FILE"]))
    asyncio.run(worker.run(load_settings(), interceptors=[tripwire]))


if __name__ == "__main__":
    main()
