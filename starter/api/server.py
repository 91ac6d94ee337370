"""`python -m starter api`: the HTTP API under uvicorn."""

import sys
from collections.abc import Sequence

import uvicorn
from fastapi import APIRouter

from domain.settings import Settings
from runtime.gc_tuning import tune_garbage_collector
from runtime.logs import configure_logging
from runtime.ports import PortInUse, ensure_free
from runtime.start_checks import refuse_to_start_unready
from runtime.temporal import connect
from starter.api.app import create_app
from store.engine import create_engine, create_session_factory


async def serve_api(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    extra_routers: Sequence[APIRouter] = (),
) -> None:
    host = settings.api_host if host is None else host
    port = settings.api_port if port is None else port
    try:
        ensure_free(host, port, "API_PORT")
    except PortInUse as error:
        print(f"api: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    configure_logging(settings.log_format)
    engine = create_engine(settings.database_url)
    await refuse_to_start_unready(settings, engine, "api")
    client = await connect(settings)
    app = create_app(
        settings,
        create_session_factory(engine),
        client,
        extra_routers=extra_routers,
    )
    tune_garbage_collector()
    # uvicorn's own access log prints query strings, and activation links carry a token in
    # theirs; the app logs each request without it instead.
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="info",
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    )
    try:
        await server.serve()
    finally:
        await engine.dispose()
