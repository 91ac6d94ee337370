"""A white label's webhook endpoint for the tests: a real HTTP server on loopback."""

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from tests.conftest import free_port, serving


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """A white label's webhook endpoint: a real HTTP server on loopback that can be stopped."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _stop: contextlib.AsyncExitStack | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks")
        async def hook(request: Request) -> Response:
            self.received.append(Received(dict(request.headers), await request.body()))
            return Response(status_code=204)

        return app

    async def start(self) -> None:
        self._stop = contextlib.AsyncExitStack()
        await self._stop.enter_async_context(serving(self.app(), self.port))

    async def stop(self) -> None:
        assert self._stop is not None
        await self._stop.aclose()
        self._stop = None

    def for_customer(self, customer_id: str) -> list[dict[str, Any]]:
        return [each.event for each in self.received if each.event["customer_id"] == customer_id]

    async def until(self, customer_id: str, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [each for each in self.received if each.event["customer_id"] == customer_id]
            if len(found) >= count:
                return sorted(found, key=lambda each: int(each.event["sequence"]))
            await asyncio.sleep(0.1)
        raise AssertionError(f"{len(self.for_customer(customer_id))} events, expected {count}")
