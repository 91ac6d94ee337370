"""`python -m bench.bare_worker`: a worker process for the bare workflow (the ceiling).

The workflow lives in `bench.bare`, not here: the sandbox cannot re-import `__main__`.
"""

import asyncio
import os

from temporalio.client import Client
from temporalio.worker import Worker

import worker as service_worker
from bench.bare import TASK_QUEUE_VARIABLE, BareLocalStepsWorkflow, BareWorkflow, noop


async def serve() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    bare = Worker(
        client,
        task_queue=os.environ[TASK_QUEUE_VARIABLE],
        workflows=[BareWorkflow, BareLocalStepsWorkflow],
        activities=[noop],
        workflow_runner=service_worker.workflow_runner(),
    )
    await bare.run()


if __name__ == "__main__":
    asyncio.run(serve())
