"""`/codec/encode` and `/codec/decode`: the codec server the Temporal Web UI and CLI call to
show sealed payloads in the clear.

Only an operator holding `OPERATOR_API_KEY` may open payloads, and browsers may call it only
from the configured UI's origin. Without an encryption key or an operator key it does not
exist (404), so nothing can be opened by accident.
"""

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import FastAPI, Header, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads

from domain.settings import Settings
from starter.api.errors import error_response
from starter.payload_codec import UndecryptablePayload, codec_for

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A history page of payloads; far more than any one of this service's payloads needs."""


def ui_origin(settings: Settings) -> str:
    parts = urlsplit(settings.temporal_ui_url)
    return f"{parts.scheme}://{parts.netloc}"


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

    async def transformed(request: Request, authorization: str | None, direction: str) -> Response:
        if codec is None or operator_key is None:
            return error_response(404, "NotFound", "payload encryption is not configured")
        expected = f"Bearer {operator_key.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            return error_response(401, "Unauthorized", "a valid operator key is required")
        try:
            payloads = ParseDict(await request.json(), Payloads()).payloads
            apply: Transform = codec.encode if direction == "encode" else codec.decode
            answered = await apply(payloads)
        except (ValueError, ParseError):
            return error_response(400, "BadPayloads", "not payloads this codec can open")
        except UndecryptablePayload as error:
            return error_response(400, "BadPayloads", str(error))
        return JSONResponse(MessageToDict(Payloads(payloads=answered)))

    Authorization = Annotated[str | None, Header(max_length=500)]

    @app.post("/encode")
    async def encode(request: Request, authorization: Authorization = None) -> Response:
        return await transformed(request, authorization, "encode")

    @app.post("/decode")
    async def decode(request: Request, authorization: Authorization = None) -> Response:
        return await transformed(request, authorization, "decode")

    return app
