"""Real components for every test: a Temporal dev server, the database, an SMTP server.

The database-backed fixtures are parametrised: every test runs on SQLite, and again on
PostgreSQL when TEST_DATABASE_URL is set.
"""

import asyncio
import base64
import contextlib
import itertools
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from devstack.localstripe_server import localstripe_command
from devstack.mailsink import MailSink, start_sink
from domain.enums import UserRole
from domain.settings import Settings
from runtime.payload_codec import AesGcmCodec, sealed_converter
from starter import admin
from starter.api.app import create_app
from starter.auth import Caller
from starter.temporal_setup import register_search_attributes
from store.engine import SessionFactory, create_engine, create_session_factory, is_sqlite
from store.migrate import upgrade
from store.schema import Base
from worker import build_delivery_worker, build_worker
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent
# Tests run sealed, as `make run` and production do. The key is fixed, not random, so the
# histories saved in tests/histories keep replaying in later runs; it seals nothing real.
TEST_ENCRYPTION_KEY = "uDo6Cp40isBXRE4dm1oiVP+IbF1bGc+7aA7atcLVgR8="
SEALED = sealed_converter(AesGcmCodec(base64.b64decode(TEST_ENCRYPTION_KEY)))
# TEST_MAX_CACHED_WORKFLOWS=0 (`make test-replay`) makes every workflow task a full replay.
WORKFLOW_CACHE = int(os.environ.get("TEST_MAX_CACHED_WORKFLOWS", "1000"))
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

pytest_plugins = ["tests.support.webhook_fixtures"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        return os.environ["TEST_DATABASE_URL"]
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'app.db'}"


async def _reset(engine: AsyncEngine) -> None:
    """PostgreSQL keeps data between runs: start every run from an empty schema."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if not is_sqlite(database_url):
        await _reset(engine)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


async def start_temporal() -> WorkflowEnvironment:
    """A Temporal dev server of its own (in memory), with the service's search attributes."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=SEALED,
        dev_server_log_level="error",
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    async with await start_temporal() as environment:
        yield environment


@pytest.fixture(scope="session")
def client(temporal: WorkflowEnvironment) -> Client:
    return temporal.client


@pytest.fixture(scope="session")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def mail_sink(smtp_port: int) -> Iterator[MailSink]:
    sink = MailSink()
    controller = start_sink("127.0.0.1", smtp_port, sink)
    yield sink
    controller.stop()


async def start_localstripe(
    port: int, state: Path, *, from_scratch: bool = False
) -> asyncio.subprocess.Process:
    """localstripe on loopback: a stateful Stripe fake that signs and sends webhooks.

    It keeps its state in `state`, so a test can stop it and start it again where it was.
    """
    process = await asyncio.create_subprocess_exec(
        *localstripe_command(port, state, from_scratch=from_scratch),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                await http.get(
                    f"http://127.0.0.1:{port}/v1/customers", auth=(STRIPE_SECRET_KEY, "")
                )
                return process
            except httpx.TransportError:
                assert process.returncode is None, "localstripe exited"
                await asyncio.sleep(0.1)
    raise AssertionError("localstripe did not answer within 20 s")


async def send_webhooks_to(localstripe: str, api_url: str, name: str = "tests") -> None:
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{localstripe}/_config/webhooks/{name}",
            data={"url": f"{api_url}/webhooks/stripe", "secret": STRIPE_WEBHOOK_SECRET},
            auth=(STRIPE_SECRET_KEY, ""),
        )
        registered.raise_for_status()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def localstripe(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    port = free_port()
    state = tmp_path_factory.mktemp("localstripe") / "state.pickle"
    process = await start_localstripe(port, state, from_scratch=True)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    await process.wait()


STRIPE_SECRET_KEY = "sk_test_localstripe"
STRIPE_WEBHOOK_SECRET = "whsec_test_" + "0" * 32
ACTIVATION_SECRET = "activation-secret-for-tests-only-0123456789"


@pytest.fixture(scope="session")
def api_port() -> int:
    return free_port()


GENEROUS = "1000000/minute"


@pytest.fixture(scope="session")
def settings(
    database_url: str,
    smtp_port: int,
    mail_sink: MailSink,
    client: Client,
    localstripe: str,
    api_port: int,
) -> Settings:
    return Settings(
        database_url=database_url,
        temporal_address=client.service_client.config.target_host,
        temporal_task_queue=f"signups-{uuid.uuid4()}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        temporal_ui_url="http://localhost:8233",
        temporal_encryption_key=TEST_ENCRYPTION_KEY,
        mail_from="Provisioning <provisioning@wl.example.com>",
        mail_envelope_from="bounces@wl.example.com",
        # The operator has set up the relay for this reseller's own domain (tests/api/
        # test_branding.py sends as it); any other sender domain is refused.
        mail_verified_sender_domains=["kiwivoice.example.com"],
        api_wait_seconds=30,
        public_base_url=f"http://127.0.0.1:{api_port}",
        activation_secret=ACTIVATION_SECRET,
        stripe_secret_key=STRIPE_SECRET_KEY,
        stripe_publishable_key="pk_test_localstripe",
        stripe_api_base=localstripe,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        # The whole suite talks from one address; tests/api/test_activation_limits.py checks the
        # limits themselves on an API of its own.
        activation_requests_per_address=GENEROUS,
        activation_failures_per_address=GENEROUS,
        activation_failures_per_customer=GENEROUS,
        api_rate_limit=GENEROUS,
        console_sign_in_per_address=GENEROUS,
        console_sign_in_per_email=GENEROUS,
        # Receivers listen on loopback; tests/workflows/test_webhook_targets.py checks the
        # production rule on an API and worker of its own.
        webhook_allow_private_targets=True,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def worker(
    client: Client, settings: Settings, sessions: SessionFactory
) -> AsyncIterator[Worker]:
    running = build_worker(client, settings, sessions, max_cached_workflows=WORKFLOW_CACHE)
    deliveries = build_delivery_worker(
        client, settings, sessions, max_cached_workflows=WORKFLOW_CACHE
    )
    async with running, deliveries:
        yield running


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def api_url(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    worker: Worker,
    api_port: int,
    localstripe: str,
) -> AsyncIterator[str]:
    """The API served over real HTTP, with localstripe's webhooks pointed at it."""
    async with serving(create_app(settings, sessions, client), api_port) as url:
        await send_webhooks_to(localstripe, url)
        yield url


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serves the app with uvicorn on loopback, as `python -m starter api` does."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    running = asyncio.create_task(server.serve())
    while not server.started:
        assert not running.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await running


# uvicorn closes a connection idle for 5 s (its timeout_keep_alive), and httpx keeps one for 5 s
# too: a request sent on a connection the server is closing at that moment fails with ReadError.
# Clients that outlive a test let idle connections go well before the server does.
CLIENT_KEEPALIVE_SECONDS = 1.0


def api_client(url: str, timeout: float = 60) -> httpx.AsyncClient:
    """An HTTP client for an API `serving` runs, safe to leave idle between requests."""
    limits = httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    return httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)


def in_process(app: FastAPI, timeout: float = 5.0) -> httpx.AsyncClient:
    """An HTTP client calling the app inside this process: no server, no socket between."""
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://api", timeout=timeout)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def api(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(api_url) as http:
        yield http


# Auckland numbers +649 BBB NNNN are valid for blocks 200 to 999 only (100 to 199 are not, and a
# four-digit block makes the number too long). A run makes a few hundred white labels, so the
# blocks go round that range from a random start instead of counting past its end.
VALID_BLOCKS = range(200, 1000)
_number_blocks = (
    VALID_BLOCKS[(start + step) % len(VALID_BLOCKS)]
    for start in [uuid.uuid4().int % len(VALID_BLOCKS)]
    for step in itertools.count()
)


@dataclass(frozen=True)
class WhiteLabelFixture:
    id: uuid.UUID
    admin_user_id: uuid.UUID
    admin_email: str
    admin_key: str
    staff_key: str
    numbers: list[str]

    @property
    def caller(self) -> Caller:
        """The WL's administrator, for tests that call the services without HTTP."""
        return Caller(
            user_id=self.admin_user_id, white_label_id=self.id, role=UserRole.ADMINISTRATOR
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def staff_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_key}"}


async def make_white_label(
    sessions: SessionFactory,
    *,
    credit_limit: Decimal = Decimal("1000.00"),
    number_count: int = 10,
    payment_gateway: bool = True,
) -> WhiteLabelFixture:
    tag = uuid.uuid4().hex[:8]
    admin_email = f"admin-{tag}@reseller.example.com"
    created = await admin.create_white_label(
        sessions,
        name=f"Reseller {tag}",
        admin_email=admin_email,
        currency="NZD",
        credit_limit=credit_limit,
    )
    await admin.add_plan(
        sessions,
        white_label_id=created.white_label_id,
        code="business",
        name="Business",
        setup_fee=Decimal("25.00"),
        monthly_fee=Decimal("49.00"),
        initial_funding=Decimal("100.00"),
    )
    if payment_gateway:
        await admin.set_payment_gateway(
            sessions, white_label_id=created.white_label_id, provider="stripe"
        )
    staff = await admin.add_user(
        sessions,
        white_label_id=created.white_label_id,
        email=f"staff-{tag}@reseller.example.com",
        role=UserRole.STAFF,
    )
    block = next(_number_blocks)
    numbers = [f"+649{block:03d}{index:04d}" for index in range(number_count)]
    await admin.add_numbers(sessions, white_label_id=created.white_label_id, numbers=numbers)
    return WhiteLabelFixture(
        id=created.white_label_id,
        admin_user_id=created.admin_user_id,
        admin_email=admin_email,
        admin_key=created.api_key,
        staff_key=staff.api_key,
        numbers=numbers,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def white_label(sessions: SessionFactory) -> WhiteLabelFixture:
    return await make_white_label(sessions)


def customer_request(**overrides: object) -> dict[str, object]:
    # Ten hex digits: a test that makes 300 requests at once must not draw one tag twice (with
    # six, it did about once in 400 runs, and bulk onboarding rightly refused the repeat).
    tag = uuid.uuid4().hex[:10]
    body: dict[str, object] = {
        "path": "wl_managed",
        "contact": {
            "first_name": "Aroha",
            "last_name": "Ngata",
            "email": f"aroha-{tag}@customer.example.com",
            "phone": "+64211234567",
        },
        "business": {"name": f"Ngata Plumbing {tag}"},
        "address": {
            "line1": "12 Queen Street",
            "city": "Auckland",
            "postal_code": "1010",
            "country": "NZ",
        },
        "plan_code": "business",
    }
    body.update(overrides)
    return body


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: days of timers and retries in seconds of real time.
    It has no Updates, so only workflows driven by signals and timers run on it."""
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=SEALED,
    ) as environment:
        await register_search_attributes(environment.client, "default")
        yield environment
