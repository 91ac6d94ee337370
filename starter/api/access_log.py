"""Access log lines without query strings (an activation token must never reach a log), and
the request latency metric, measured in one place."""

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from starter.api.metrics import ApiMetrics

log = logging.getLogger("api.access")


def install_access_log(app: FastAPI, metrics: ApiMetrics) -> None:
    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        seconds = time.perf_counter() - started
        log.info(
            "%s %s %d %.1fms",
            request.method,
            request.url.path,
            response.status_code,
            seconds * 1000,
        )
        # The route's template, never the path: ids and random paths would explode the series.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.observe_request(request.method, route, response.status_code, seconds)
        return response
