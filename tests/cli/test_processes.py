"""The worker and the API as the separate processes an operator runs."""

import asyncio
import socket
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from devstack.mailsink import MailSink, start_sink
from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request, free_port
from tests.support.api_processes import start_api
from tests.support.step_history import attempts_of
from tests.support.worker_processes import (
    ROOT,
    process_environment,
    settings_environment,
    start_worker,
    stop,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROCESSES = [["worker.py"], ["-m", "starter", "api", "--port", "0"]]


async def refusal_at_start(command: list[str], tmp_path: Path, **variables: str) -> str:
    """Runs the process on an empty database until it exits; it must exit 1 with one line on
    standard error, which is returned."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=ROOT,
        env=process_environment(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", **variables
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("command", PROCESSES)
async def test_processes_refuse_an_unmigrated_database_with_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    line = await refusal_at_start(command, tmp_path)

    assert "not migrated" in line
    assert "python -m starter db upgrade" in line


async def test_a_separate_worker_process_provisions_a_signup_and_stops_on_sigterm(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
) -> None:
    own_queue = settings.model_copy(update={"temporal_task_queue": f"process-{uuid.uuid4()}"})
    worker = await start_worker(own_queue)
    try:
        outcome = await SignupService(client, sessions, own_queue).create(
            white_label.caller,
            CreateCustomerRequest.model_validate(customer_request(numbers={"count": 1})),
        )
        assert outcome.finished
        assert outcome.failure is None
    finally:
        await stop(worker)
    assert worker.returncode == 0


@pytest.mark.parametrize("command", PROCESSES)
async def test_processes_refuse_to_start_without_an_activation_secret(
    tmp_path: Path, command: list[str]
) -> None:
    line = await refusal_at_start(command, tmp_path, ACTIVATION_SECRET="")

    assert "ACTIVATION_SECRET: required" in line


@pytest.mark.parametrize("command", PROCESSES)
async def test_processes_refuse_to_start_without_a_payload_key_unless_encryption_is_off(
    tmp_path: Path, command: list[str]
) -> None:
    line = await refusal_at_start(command, tmp_path, TEMPORAL_ENCRYPTION_KEY="")

    assert "TEMPORAL_ENCRYPTION_KEY: required" in line
    assert "TEMPORAL_ENCRYPTION=off" in line


async def test_an_api_with_encryption_switched_off_says_so_at_start_and_on_readyz(
    settings: Settings, sessions: SessionFactory, tmp_path: Path
) -> None:
    log_file, port = tmp_path / "api.log", free_port()
    api = await start_api(
        settings, port, log_file, TEMPORAL_ENCRYPTION="off", TEMPORAL_ENCRYPTION_KEY=""
    )
    try:
        async with httpx.AsyncClient() as http:
            ready = await http.get(f"http://127.0.0.1:{port}/readyz")
    finally:
        await stop(api)

    assert ready.json()["details"] == {"payload_encryption": "off"}
    assert "TEMPORAL_ENCRYPTION=off" in log_file.read_text()
    assert "in clear" in log_file.read_text()


async def test_a_worker_with_encryption_switched_off_says_so_at_start(
    settings: Settings, sessions: SessionFactory, tmp_path: Path
) -> None:
    log_file = tmp_path / "worker.log"
    environment = {
        **settings_environment(
            settings.model_copy(update={"temporal_task_queue": f"off-{uuid.uuid4()}"})
        ),
        "TEMPORAL_ENCRYPTION": "off",
    }
    environment.pop("TEMPORAL_ENCRYPTION_KEY")
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "worker.py", cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.DEVNULL, stderr=log_file.open("wb"),
    )  # fmt: skip
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "polling task queue" not in log_file.read_text():
            assert worker.returncode is None, log_file.read_text()
            assert asyncio.get_running_loop().time() < deadline, "the worker did not start"
            await asyncio.sleep(0.1)
    finally:
        await stop(worker)

    assert "TEMPORAL_ENCRYPTION=off" in log_file.read_text()
    assert "in clear" in log_file.read_text()


@pytest.mark.parametrize(
    ("command", "setting"),
    [(["-m", "starter", "api"], "API_PORT"), (["-m", "starter", "dev"], "API_PORT")],
)
async def test_a_port_in_use_is_reported_in_one_line(
    tmp_path: Path, command: list[str], setting: str
) -> None:
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            cwd=tmp_path,
            env=process_environment(
                API_PORT=str(port),
                SMTP_PORT=str(free_port()),
                TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
                TEMPORAL_UI_URL=f"http://127.0.0.1:{free_port()}",
                DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
                PYTHONPATH=str(ROOT),
            ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, stderr.decode()
    assert f"port {port}" in lines[0]
    assert setting in lines[0]
    assert stdout == b""
    assert not (tmp_path / ".data").exists()


class SlowMailSink(MailSink):
    """An SMTP relay that takes its time to accept a message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.receiving = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


async def test_a_worker_stopped_mid_email_finishes_sending_it_before_it_exits(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
) -> None:
    slow = SlowMailSink(delay=3)
    relay = start_sink("127.0.0.1", free_port(), slow)
    own = settings.model_copy(
        update={"temporal_task_queue": f"grace-{uuid.uuid4()}", "smtp_port": relay.port}
    )
    first = await start_worker(own)
    service = SignupService(client, sessions, own)
    signup = asyncio.create_task(
        service.create(white_label.caller, CreateCustomerRequest.model_validate(customer_request()))
    )
    try:
        assert await asyncio.to_thread(slow.receiving.wait, 30), "no email was being sent"
        first.terminate()  # SIGTERM while the confirmation email is in the relay's hands
        await asyncio.wait_for(first.wait(), timeout=30)
        second = await start_worker(own)
        try:
            outcome = await asyncio.wait_for(signup, timeout=60)
        finally:
            await stop(second)
    finally:
        await stop(first)
        relay.stop()

    assert first.returncode == 0
    assert outcome.failure is None
    workflow_id = f"customer-{outcome.customer_id}"
    assert await attempts_of(client, workflow_id, "send_wl_confirmation") == 1
    assert len(slow.to(white_label.admin_email)) == 1
