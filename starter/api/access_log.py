"""Access log lines without query strings (an activation token must never reach a log), and
the request latency metric, measured in one place.

A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware
runs every request through an extra task and memory stream, a cost the benchmark showed on
every create.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starter.api.metrics import ApiMetrics

log = logging.getLogger("api.access")


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, seconds * 1000)
            # The route's template, never the path: ids and random paths would explode the
            # series.
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(scope["method"], route, status, seconds)
