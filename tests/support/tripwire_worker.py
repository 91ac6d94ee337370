"""`python worker.py` with a tripwire, for the worker-killed tests.

When the step named in TRIPWIRE_AFTER has done its work, the process writes the workflow id to
TRIPWIRE_FILE and freezes before reporting the step to Temporal: the step's effects are in the
database, at Stripe or in a mailbox, and Temporal does not know. The test then SIGKILLs it.
That is the worst instant for a worker to die, and one a test can hit every time.
"""

import asyncio
import os
from pathlib import Path

from temporalio import activity

import worker
from domain.settings import load_settings
from runtime.logs import configure_logging
from tests.support.after_step import AfterStep


def main() -> None:
    configure_logging()
    tripped = Path(os.environ["TRIPWIRE_FILE"])

    async def freeze(info: activity.Info) -> None:
        tripped.write_text(info.workflow_id or "")
        await asyncio.Event().wait()

    tripwire = AfterStep(os.environ["TRIPWIRE_AFTER"], freeze)
    asyncio.run(worker.run(load_settings(), interceptors=[tripwire]))


if __name__ == "__main__":
    main()
