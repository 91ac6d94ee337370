"""`/codec/encode` and `/codec/decode`: the codec server the Temporal Web UI and CLI call to
show sealed payloads in the clear.

Browsers may call it only from the configured UI's origin (`TEMPORAL_UI_URL`): a request from
any other origin is refused (403), whatever it carries. In production only an operator holding
`OPERATOR_API_KEY` may open payloads, and without that key the server does not exist (404). In
development (`DEV_MODE`, what `make run` sets) without an operator key, the local Web UI and CLI
open payloads without one: the stack listens on loopback, and its key is in `.data/` anyway.
With encryption off there is nothing to open (404).
"""

import hmac
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads

from domain.settings import Settings
from runtime.payload_codec import UndecryptablePayload, codec_for
from starter.api.errors import error_response

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A history page of payloads; far more than any one of this service's payloads needs."""


DEFAULT_PORTS = {"http": 80, "https": 443}


def ui_origin(settings: Settings) -> str:
    """As a browser writes it in `Origin` (no path, no credentials, no default port), since
    CORS compares the two as strings."""
    parts = urlsplit(settings.temporal_ui_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = "" if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def codec_app(settings: Settings) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, max_body_size=MAX_BODY_BYTES)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[ui_origin(settings)],
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )
    codec = codec_for(settings)
    operator_key = settings.operator_api_key
    origin = ui_origin(settings)
    open_without_key = settings.dev_mode and operator_key is None

    async def transformed(request: Request, direction: str) -> Response:
        if codec is None or (operator_key is None and not open_without_key):
            return error_response(404, "NotFound", "payload encryption is not configured")
        if request.headers.get("Origin", origin) != origin:
            return error_response(
                403, "Forbidden", f"browsers may call the codec server only from {origin}"
            )
        if operator_key is not None:
            presented = request.headers.get("Authorization", "").encode()
            expected = f"Bearer {operator_key.get_secret_value()}".encode()
            if not hmac.compare_digest(presented, expected):
                refused = error_response(401, "Unauthorized", "a valid operator key is required")
                refused.headers["WWW-Authenticate"] = "Bearer"
                return refused
        try:
            payloads = ParseDict(await request.json(), Payloads()).payloads
            apply: Transform = codec.encode if direction == "encode" else codec.decode
            answered = await apply(payloads)
        except UndecryptablePayload as error:  # before ValueError, of which it is one
            return error_response(400, "BadPayloads", str(error))
        except (ValueError, ParseError):
            return error_response(400, "BadPayloads", "not payloads this codec can open")
        return JSONResponse(MessageToDict(Payloads(payloads=answered)))

    @app.post("/encode")
    async def encode(request: Request) -> Response:
        return await transformed(request, "encode")

    @app.post("/decode")
    async def decode(request: Request) -> Response:
        return await transformed(request, "decode")

    return app
