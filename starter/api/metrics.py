"""`GET /metrics`: what the API process sees, for Prometheus.

Each app has its own registry, so several apps in one process (the tests) count apart. The
labels are routes, methods, statuses and outcomes only: no white label ids, so the endpoint
tells nobody about another reseller's business. Per-WL signup counts come from the worker's
endpoint (`WORKER_METRICS_ADDRESS`). With `METRICS_TOKEN` set, only a scraper that sends it as a
bearer token gets an answer: the figures tell an outsider how busy the service is.
"""

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "api_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "stripe_webhooks",
            "Stripe webhooks received, by what became of them",
            ["outcome"],
            registry=self.registry,
        )
        self.signups_requested = Counter(
            "signups_requested",
            "POST /v1/customers calls that started (or found) a signup",
            ["path"],
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_seconds.labels(method, route, str(status)).observe(seconds)


router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    services = request.app.state.services
    token = services.settings.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}".encode()
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(
                "a valid metrics token is required",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    found: ApiMetrics = services.metrics
    return Response(generate_latest(found.registry), media_type=CONTENT_TYPE_LATEST)
