"""Workers as the separate `python worker.py` processes an operator runs, for the fault tests, and
the environment that gives any process of the service the test's settings."""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from domain.settings import Settings
from tests.conftest import ACTIVATION_SECRET, TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parents[2]


def process_environment(**variables: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["ACTIVATION_SECRET"] = ACTIVATION_SECRET
    environment["TEMPORAL_ENCRYPTION_KEY"] = TEST_ENCRYPTION_KEY
    environment.update(variables)
    return {key: value for key, value in environment.items() if value}


def settings_environment(settings: Settings) -> dict[str, str]:
    """Every setting as the environment variable that sets it, so the process runs with exactly
    the test's settings (its database, task queue, limits and secrets)."""
    shown = settings.model_dump(mode="json")
    variables: dict[str, str] = {}
    for name, value in shown.items():
        actual = getattr(settings, name)
        if isinstance(actual, list):
            # Lists are read comma-separated (NoDecode), secrets among them too.
            value = ",".join(
                _plain(item, shown_item) for item, shown_item in zip(actual, value, strict=True)
            )
        else:
            value = _plain(actual, value)
        variables[name.upper()] = value
    return process_environment(**variables)


def _plain(actual: object, shown: object) -> str:
    """The text a setting's environment variable holds; "" (unset) for None."""
    if isinstance(actual, SecretStr):
        return actual.get_secret_value()
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return str(shown).lower()
    if isinstance(shown, dict):
        return json.dumps(shown)
    return str(shown)


async def start_worker(
    settings: Settings,
    *,
    trip_after: str | None = None,
    tripped: Path | None = None,
    log_file: Path | None = None,
) -> asyncio.subprocess.Process:
    """`python worker.py`; with `trip_after`, the tripwire worker that freezes after that step;
    with `log_file`, what it logs is kept there."""
    environment = settings_environment(settings)
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
