"""The webhook fixtures the workflow and browser tests share: the outbox dispatcher that
`python worker.py` starts, and a white label's endpoint on loopback."""

import contextlib
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from domain.settings import Settings
from domain.webhooks import OutboxDispatchInput, outbox_dispatch_workflow_id
from runtime.outbox_dispatcher import ensure_outbox_dispatcher
from tests.support.webhook_receiver import Receiver


@pytest_asyncio.fixture(loop_scope="session")
async def dispatcher(client: Client, settings: Settings, worker: Worker) -> AsyncIterator[None]:
    """What `python worker.py` starts; here with a 1 s first retry instead of 10 s.

    It is stopped after the test: polling twice a second, it would otherwise load the shared
    worker for the rest of the session (under `make test-replay` each poll replays its whole
    history), and slow down tests that have nothing to do with webhooks.
    """
    await ensure_outbox_dispatcher(
        client,
        settings.temporal_task_queue,
        OutboxDispatchInput(retry_initial_seconds=1, poll_seconds=0.5),
    )
    yield
    handle = client.get_workflow_handle(outbox_dispatch_workflow_id(settings.temporal_task_queue))
    with contextlib.suppress(RPCError):  # already ended
        await handle.terminate("the test that needed it is over")


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    running = Receiver()
    await running.start()
    yield running
    if running._stop is not None:
        await running.stop()
