"""A private stack for one benchmark run: dev server, worker processes, API, SMTP sink.

Everything listens on free loopback ports and lives in a temporary folder, so a run never
touches `make run`'s state or the test database.
"""

import asyncio
import base64
import compileall
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
from temporalio.client import Client

from devstack.localstripe_server import localstripe_command
from devstack.mailsink import MailSink, start_sink
from devstack.supervisor import temporal_dev_server
from starter import admin
from store.engine import create_engine, create_session_factory
from store.migrate import upgrade

ROOT = Path(__file__).parent.parent
ACTIVATION_SECRET = "bench-activation-secret-" + "x" * 32
STRIPE_SECRET_KEY = "sk_test_localstripe"
STRIPE_WEBHOOK_SECRET = "whsec_bench_" + "0" * 32
# "business" has nothing to pay up front, so its self-serve signups never reach Stripe; this
# plan asks for an initial card payment, as the demo's does.
CARD_PLAN = "business-card"
CARD_PLAN_FUNDING = Decimal("100.00")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Stack:
    temporal_address: str
    api_url: str
    api_key: str
    localstripe_url: str
    environment: dict[str, str]
    processes: list[asyncio.subprocess.Process]
    folder: Path
    roles: dict[str, list[asyncio.subprocess.Process]] = field(default_factory=dict)
    # Every email the service sent (the SMTP sink runs in this process): activation links.
    mail: MailSink = field(default_factory=MailSink)

    def pids(self, role: str) -> list[int]:
        """Process ids of one role: "temporal", "localstripe", "worker", "api" or "bare"."""
        return [process.pid for process in self.roles.get(role, [])]

    def _keep(self, role: str, process: asyncio.subprocess.Process) -> None:
        self.processes.append(process)
        self.roles.setdefault(role, []).append(process)

    async def client(self) -> Client:
        return await Client.connect(self.temporal_address)

    async def start(self, *command: str, role: str, **variables: str) -> asyncio.subprocess.Process:
        """A Python process of the stack; its output goes to a log in the run's folder."""
        log = self.folder / f"{len(self.processes):02d}-{command[-1].replace('/', '_')}.log"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            cwd=ROOT,
            env={**self.environment, **variables},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        self._keep(role, process)
        return process


async def _seed(database_url: str, numbers: int) -> str:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = create_session_factory(engine)
        created = await admin.create_white_label(
            sessions, name="Bench Telecom", admin_email="bench@example.com",
            credit_limit=Decimal("100000000.00"),
        )  # fmt: skip
        await admin.add_plan(
            sessions, white_label_id=created.white_label_id, code="business", name="Business",
            setup_fee=Decimal("25.00"), monthly_fee=Decimal("49.00"),
        )  # fmt: skip
        await admin.add_plan(
            sessions, white_label_id=created.white_label_id, code=CARD_PLAN, name="Business (card)",
            setup_fee=Decimal("25.00"), monthly_fee=Decimal("49.00"),
            initial_funding=CARD_PLAN_FUNDING,
        )  # fmt: skip
        block = uuid.uuid4().int % 70 + 20  # +649 BB0 NNNN: valid Auckland numbers
        await admin.add_numbers(
            sessions,
            white_label_id=created.white_label_id,
            numbers=admin.expand_number_range(
                f"+649{block}00000", f"+649{block}0{numbers - 1:04d}"
            ),
        )
        await admin.set_payment_gateway(
            sessions, white_label_id=created.white_label_id, provider="stripe"
        )
        return created.api_key
    finally:
        await engine.dispose()


async def _wait_until(
    check: Callable[[], Awaitable[bool]], what: str, folder: Path, within: float = 60
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():
                return
        await asyncio.sleep(0.2)
    raise SystemExit(f"bench: {what} did not come up within {within:.0f} s (logs: {folder})")


@contextlib.asynccontextmanager
async def bench_stack(
    database_url: str | None, workers: int, *, sealed: bool = True
) -> AsyncIterator[Stack]:
    """The stack; its folder (logs, databases) is removed afterwards unless the run failed.
    Payloads are sealed, as the service runs by default; `sealed=False` switches that off, to
    measure what sealing costs."""
    # As `make run` and the image do: the sandbox re-imports the workflow modules per run.
    compileall.compile_dir(ROOT / "workflows", quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    succeeded = False
    database_url = database_url or f"sqlite+aiosqlite:///{folder / 'app.db'}"
    temporal_port, api_port, stripe_port = free_port(), free_port(), free_port()
    mail = MailSink()
    sink = start_sink("127.0.0.1", free_port(), mail)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_TASK_QUEUE": f"bench-{uuid.uuid4()}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.port),
        "ACTIVATION_SECRET": ACTIVATION_SECRET,
        "LOG_FORMAT": "text",
        "API_PORT": str(api_port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        **(
            {"TEMPORAL_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode()}
            if sealed
            else {"TEMPORAL_ENCRYPTION": "off", "TEMPORAL_ENCRYPTION_KEY": ""}
        ),
    }
    stack = Stack(
        temporal_address=environment["TEMPORAL_ADDRESS"],
        api_url=f"http://127.0.0.1:{api_port}",
        api_key=await _seed(database_url, 10_000),
        localstripe_url=environment["STRIPE_API_BASE"],
        environment=environment,
        processes=[],
        folder=folder,
        mail=mail,
    )
    try:
        server = await asyncio.create_subprocess_exec(
            *temporal_dev_server(folder / "temporal.db", temporal_port, free_port(), "default"),
            stdout=(folder / "temporal.log").open("wb"),
            stderr=asyncio.subprocess.STDOUT,
        )
        stack._keep("temporal", server)

        async def temporal_up() -> bool:
            await (await stack.client()).service_client.check_health()
            return True

        await _wait_until(temporal_up, "the Temporal dev server", folder)
        stripe = await asyncio.create_subprocess_exec(
            *localstripe_command(stripe_port, None),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=(folder / "localstripe.log").open("wb"),
        )
        stack._keep("localstripe", stripe)

        async def stripe_up() -> bool:
            async with httpx.AsyncClient(auth=(STRIPE_SECRET_KEY, "")) as http:
                return (await http.get(f"{stack.localstripe_url}/v1/customers")).is_success

        await _wait_until(stripe_up, "localstripe", folder)
        for _ in range(workers):
            await stack.start("worker.py", role="worker")
        await stack.start("-m", "starter", "api", role="api")

        async def api_up() -> bool:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{stack.api_url}/readyz")).status_code == 200

        await _wait_until(api_up, "the API", folder)
        async with httpx.AsyncClient(auth=(STRIPE_SECRET_KEY, "")) as http:
            registered = await http.post(
                f"{stack.localstripe_url}/_config/webhooks/bench",
                data={"url": f"{stack.api_url}/webhooks/stripe", "secret": STRIPE_WEBHOOK_SECRET},
            )
            registered.raise_for_status()
        yield stack
        succeeded = True
    finally:
        for process in reversed(stack.processes):
            if process.returncode is None:
                process.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), timeout=30)
            if process.returncode is None:
                process.kill()
        sink.stop()
    if succeeded:
        shutil.rmtree(folder, ignore_errors=True)
