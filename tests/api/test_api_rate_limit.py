"""Every `/v1` route is rate-limited per API key, and API replicas can share one count through
Redis (issue 18, item 6)."""

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from temporalio.client import Client

from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, free_port, in_process

pytestmark = pytest.mark.asyncio(loop_scope="session")
REDIS_SERVER = shutil.which("redis-server")


@contextlib.asynccontextmanager
async def api_with(
    settings: Settings, sessions: SessionFactory, client: Client, **changes: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An API of its own (its own limiter and storage connection), in this process."""
    app = create_app(settings.model_copy(update=changes), sessions, client)
    async with in_process(app) as http:
        yield http


@pytest.fixture
def redis_port() -> Iterator[int]:
    """Debian's redis-server on loopback, started for this test and stopped after it."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (.ci/run installs Debian's redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_one_api_key_over_its_rate_is_answered_429_and_others_go_on(
    settings: Settings, sessions: SessionFactory, client: Client, white_label: WhiteLabelFixture
) -> None:
    async with api_with(settings, sessions, client, api_rate_limit="3/minute") as api:
        answers = [await api.get("/v1/customers", headers=white_label.headers) for _ in range(4)]
        other_key = await api.get("/v1/customers", headers=white_label.staff_headers)

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[3]
    assert refused.json()["error"]["type"] == "TooManyRequests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert other_key.status_code == 200


async def test_two_api_replicas_share_one_count_through_redis(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
    redis_port: int,
) -> None:
    shared = {
        "api_rate_limit": "4/minute",
        "rate_limit_storage": f"async+redis://127.0.0.1:{redis_port}/0",
    }
    async with (
        api_with(settings, sessions, client, **shared) as first,
        api_with(settings, sessions, client, **shared) as second,
    ):
        answers = []
        for replica in (first, second, first, second, first, second):
            answers.append(await replica.get("/v1/customers", headers=white_label.headers))
            await asyncio.sleep(0)

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429, 429]
