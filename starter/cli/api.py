"""`api`: serve the HTTP API."""

import argparse
from typing import Any

from domain.settings import Settings
from starter.cli.common import (
    AddCommand,
)


async def api(args: argparse.Namespace, settings: Settings) -> None:
    from starter.api.server import serve_api

    await serve_api(settings, host=args.host, port=args.port)


def register(commands: Any, command: AddCommand) -> None:
    serve = command(commands, "api", api, "serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
