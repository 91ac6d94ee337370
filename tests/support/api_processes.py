"""The API as the separate `python -m starter api` process an operator runs, for the fault tests."""

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from domain.settings import Settings
from tests.support.worker_processes import ROOT, process_environment


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
