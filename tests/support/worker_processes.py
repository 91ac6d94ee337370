"""Workers as the separate `python worker.py` processes an operator runs, for the fault tests."""

import asyncio
import os
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from domain.settings import Settings
from tests.conftest import ACTIVATION_SECRET, TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]
# The settings a worker process needs, passed as the environment variables it reads.
WORKER_SETTINGS = (
    "database_url",
    "temporal_address",
    "temporal_task_queue",
    "smtp_host",
    "smtp_port",
    "mail_from",
    "public_base_url",
    "activation_secret",
    "stripe_secret_key",
    "stripe_api_base",
    "temporal_encryption_key",
)


def process_environment(**variables: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["ACTIVATION_SECRET"] = ACTIVATION_SECRET
    environment["TEMPORAL_ENCRYPTION_KEY"] = TEST_ENCRYPTION_KEY
    environment.update(variables)
    return {key: value for key, value in environment.items() if value}


def worker_environment(settings: Settings) -> dict[str, str]:
    variables: dict[str, str] = {}
    for name in WORKER_SETTINGS:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        variables[name.upper()] = "" if value is None else str(value)
    return process_environment(**variables)


async def start_worker(
    settings: Settings,
    *,
    trip_after: str | None = None,
    tripped: Path | None = None,
    log_file: Path | None = None,
) -> asyncio.subprocess.Process:
    """`python worker.py`; with `trip_after`, the tripwire worker that freezes after that step;
    with `log_file`, what it logs is kept there."""
    environment = worker_environment(settings)
    command = ["worker.py"]
    if trip_after is not None:
        assert tripped is not None
        environment.update(TRIPWIRE_AFTER=trip_after, TRIPWIRE_FILE=str(tripped))
        command = ["-m", "tests.support.tripwire_worker"]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log_file.open("wb") if log_file else asyncio.subprocess.DEVNULL,
    )


async def wait_for_file(path: Path, process: asyncio.subprocess.Process, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.returncode is None, f"the worker exited with {process.returncode}"
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout:.0f} s"
        await asyncio.sleep(0.05)
    return path.read_text()


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no graceful shutdown, no chance to report the step in hand to Temporal."""
    process.kill()
    await process.wait()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=60)
