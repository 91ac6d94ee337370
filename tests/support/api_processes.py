"""The API as the separate `python -m starter api` process an operator runs, for the fault tests."""

import asyncio
import sys
import time
from pathlib import Path

import httpx

from domain.settings import Settings
from tests.support.worker_processes import ROOT, settings_environment


async def start_api(
    settings: Settings, port: int, log_file: Path, **variables: str
) -> asyncio.subprocess.Process:
    """`python -m starter api` on loopback, answering once it is ready; what it logs is kept
    in `log_file`, so a failing test can show why. `variables` override the settings' own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=ROOT,
        env={
            name: value
            for name, value in {**settings_environment(settings), **variables}.items()
            if value
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log_file.open("ab"),
    )
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        while True:
            assert process.returncode is None, (
                f"the API exited with {process.returncode}: {log_file.read_text()[-2000:]}"
            )
            assert time.monotonic() < deadline, "the API was not ready in 60 s"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
