"""`make run`'s stack (`python -m starter dev`) in a folder of its own, with its defaults.

Only the ports differ from a developer's `make run`, so the stack runs beside the test
session's; every other setting (secrets, the payload key, the Temporal UI's codec endpoint) is
the supervisor's own choice, made in the folder's `.data/`.
"""

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port
from tests.support.worker_processes import ROOT

STARTUP_SECONDS = 180


@dataclass(frozen=True)
class DevStack:
    folder: Path
    api_url: str
    temporal_address: str
    ui_url: str
    admin_key: str
    admin_email: str
    plan_code: str
    console_url: str

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


def _environment(api_port: int, temporal_port: int, ui_port: int) -> dict[str, str]:
    """What a shell gives `make run`, and the ports; nothing of the test session's settings."""
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {
        **kept,
        "PYTHONPATH": str(ROOT),
        "API_PORT": str(api_port),
        "PUBLIC_BASE_URL": f"http://localhost:{api_port}",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_UI_URL": f"http://localhost:{ui_port}",
        "SMTP_PORT": str(free_port()),
        "STRIPE_API_BASE": f"http://localhost:{free_port()}",
        "WORKER_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }


async def _demo_line(process: asyncio.subprocess.Process) -> dict[str, str]:
    """The supervisor's one JSON line, once the stack is up (the Temporal dev server, which
    shares its standard output, prints its own banner before it)."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        if line.startswith(b"{"):
            demo: dict[str, str] = json.loads(line)
            return demo
    raise EOFError


@contextlib.asynccontextmanager
async def dev_stack(folder: Path) -> AsyncIterator[DevStack]:
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    log = (folder / "dev.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        "dev",
        "--json",
        cwd=folder,
        env=_environment(api_port, temporal_port, ui_port),
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        try:
            demo = await asyncio.wait_for(_demo_line(process), timeout=STARTUP_SECONDS)
        except (TimeoutError, EOFError):
            raise AssertionError(
                f"make run's stack did not start: {(folder / 'dev.log').read_text()[-3000:]}"
            ) from None
        yield DevStack(
            folder=folder,
            api_url=f"http://127.0.0.1:{api_port}",
            temporal_address=f"127.0.0.1:{temporal_port}",
            ui_url=f"http://localhost:{ui_port}",
            admin_key=demo["api_key"],
            admin_email=demo["admin_email"],
            plan_code=demo["plan_code"],
            console_url=demo["console"],
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=90)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
