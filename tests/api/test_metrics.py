"""Operators scrape the worker and the API, and see the signups move."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from temporalio.client import Client

from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from runtime.temporal import connect, metrics_runtime
from starter.api.app import create_app
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import (
    WhiteLabelFixture,
    customer_request,
    free_port,
    in_process,
    make_white_label,
)
from tests.support.self_serve_helpers import signed
from worker import build_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Scrape:
    samples: list[tuple[str, dict[str, str], float]]

    def value(self, name: str, **labels: str) -> float:
        """The sum over the samples of that name whose labels include these."""
        return sum(
            value
            for sample_name, sample_labels, value in self.samples
            if sample_name == name and labels.items() <= sample_labels.items()
        )

    def names(self) -> set[str]:
        return {name for name, _, _ in self.samples}


async def scrape(url: str) -> Scrape:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200, response.text
    return Scrape(
        [
            (sample.name, dict(sample.labels), sample.value)
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        ]
    )


@pytest_asyncio.fixture(loop_scope="session")
async def measured_worker(
    settings: Settings, sessions: SessionFactory
) -> AsyncIterator[tuple[Settings, str]]:
    """A worker of its own, with the Prometheus endpoint `python worker.py` serves."""
    address = f"127.0.0.1:{free_port()}"
    own = settings.model_copy(
        update={"temporal_task_queue": f"metrics-{uuid.uuid4()}", "worker_metrics_address": address}
    )
    client = await connect(own, runtime=metrics_runtime(own))
    async with build_worker(client, own, sessions):
        yield own, f"http://{address}/metrics"


async def test_the_worker_endpoint_counts_signups_by_path_and_white_label_and_emails(
    measured_worker: tuple[Settings, str], sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    own, url = measured_worker
    client = await connect(own)
    service = SignupService(client, sessions, own)
    poor = await make_white_label(sessions, credit_limit=Decimal("10.00"))
    request = CreateCustomerRequest.model_validate(customer_request())

    completed = await service.create(white_label.caller, request)
    refused = await service.create(
        poor.caller, CreateCustomerRequest.model_validate(customer_request())
    )
    metrics = await scrape(url)

    assert completed.failure is None
    assert refused.failure is not None
    mine = {"path": "wl_managed", "white_label_id": str(white_label.id)}
    theirs = {"path": "wl_managed", "white_label_id": str(poor.id)}
    assert metrics.value("signups_started_total", **mine) == 1
    assert metrics.value("signups_completed_total", **mine) == 1
    assert metrics.value("signups_failed_total", **mine) == 0
    assert metrics.value("signups_started_total", **theirs) == 1
    assert metrics.value("signups_failed_total", **theirs) == 1
    assert metrics.value("signup_seconds_to_active_count", **mine) == 1
    assert metrics.value("emails_sent_total", kind="wl_confirmation") >= 1
    assert "temporal_workflow_completed_total" in metrics.names()


async def test_the_api_endpoint_counts_requests_signups_and_webhooks(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    async def metrics() -> Scrape:
        return await scrape(f"{api.base_url}/metrics")

    before = await metrics()
    created = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    forged = await api.post(
        "/webhooks/stripe", content=b"{}", headers=signed(b"{}", secret="whsec_x")
    )
    after = await metrics()

    assert created.status_code == 201
    assert forged.status_code == 400
    route = {"method": "POST", "route": "/v1/customers", "status": "201"}
    assert (
        after.value("api_request_duration_seconds_count", **route)
        == before.value("api_request_duration_seconds_count", **route) + 1
    )
    assert (
        after.value("signups_requested_total", path="wl_managed")
        == before.value("signups_requested_total", path="wl_managed") + 1
    )
    assert (
        after.value("stripe_webhooks_total", outcome="rejected")
        == before.value("stripe_webhooks_total", outcome="rejected") + 1
    )
    assert not [labels for _, labels, _ in after.samples if "white_label_id" in labels]


async def test_with_a_metrics_token_the_api_answers_only_a_scraper_that_sends_it(
    settings: Settings, sessions: SessionFactory, client: Client
) -> None:
    """The figures tell an outsider how busy the service is (issue 18, item 6)."""
    token = "metrics-" + "x" * 32
    guarded = settings.model_copy(update={"metrics_token": SecretStr(token)})
    app = create_app(guarded, sessions, client)
    async with in_process(app) as http:
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer metrics-wrong"})
        scraper = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})

    assert anonymous.status_code == wrong.status_code == 401
    assert "api_request_duration_seconds" not in anonymous.text
    assert scraper.status_code == 200
    assert "api_request_duration_seconds" in scraper.text
