"""A stack of its own for a fault test: its own localstripe, API and worker.

A test that stops Stripe or restarts Temporal must not take the session's components down with
it. The database and the mail sink are shared; the Temporal client is the test's choice.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from temporalio.client import Client

from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.conftest import (
    WORKFLOW_CACHE,
    api_client,
    free_port,
    send_webhooks_to,
    serving,
    start_localstripe,
)
from worker import build_worker


@dataclass
class PrivateStack:
    settings: Settings
    api: httpx.AsyncClient
    api_url: str
    stripe_port: int
    stripe_state: Path
    stripe: asyncio.subprocess.Process

    @property
    def localstripe(self) -> str:
        return f"http://127.0.0.1:{self.stripe_port}"

    async def stop_stripe(self) -> None:
        """SIGKILL: Stripe is simply gone; its state is on disk from its last change."""
        self.stripe.kill()
        await self.stripe.wait()

    async def start_stripe(self) -> None:
        self.stripe = await start_localstripe(self.stripe_port, self.stripe_state)
        await send_webhooks_to(self.localstripe, self.api_url)


@contextlib.asynccontextmanager
async def private_stack(
    client: Client, settings: Settings, sessions: SessionFactory, folder: Path
) -> AsyncIterator[PrivateStack]:
    stripe_port, api_port = free_port(), free_port()
    own = settings.model_copy(
        update={
            "temporal_task_queue": f"private-{uuid.uuid4()}",
            "temporal_address": client.service_client.config.target_host,
            "stripe_api_base": f"http://127.0.0.1:{stripe_port}",
            "public_base_url": f"http://127.0.0.1:{api_port}",
        }
    )
    state = folder / "localstripe.pickle"
    stripe = await start_localstripe(stripe_port, state, from_scratch=True)
    stack: PrivateStack | None = None
    try:
        worker = build_worker(client, own, sessions, max_cached_workflows=WORKFLOW_CACHE)
        app = create_app(own, sessions, client)
        url = f"http://127.0.0.1:{api_port}"
        async with (
            worker,
            serving(app, api_port),
            api_client(url) as api,
        ):
            stack = PrivateStack(own, api, url, stripe_port, state, stripe)
            await send_webhooks_to(stack.localstripe, url)
            yield stack
    finally:
        running = stack.stripe if stack else stripe
        if running.returncode is None:
            running.kill()
            await running.wait()
