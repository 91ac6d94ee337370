"""Outbound webhooks reach only public addresses, and only over https (issue 18, item 1).

Proven without connecting anywhere but loopback: the API and the delivery activity are given
a resolver that answers chosen addresses, and the addresses they refuse are never dialled.
"""

import asyncio
import ipaddress
import uuid

import httpx
import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.webhooks import WebhookActivities
from domain.addresses import IPAddress
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus, UserRole
from domain.settings import Settings
from domain.webhooks import DeliverWebhookInput, delivery_task_queue
from runtime.webhook_deliveries import start_delivery_workflows
from starter.auth import Caller
from starter.signups import SignupService
from store.engine import SessionFactory
from store.schema import Customer, WebhookDelivery
from tests.conftest import WhiteLabelFixture, customer_request, free_port
from tests.support.webhook_targets import production_api
from tests.workflows.test_webhook_outage_over_days import delivery_row, pending_delivery
from worker import build_delivery_worker, build_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/wl",
        "https://127.0.0.1/wl",
        "https://127.1/wl",
        "https://0x7f000001/wl",
        "https://2130706433/wl",
        "https://017700000001/wl",
        "https://[::1]/wl",
        "https://[::ffff:127.0.0.1]/wl",
        "https://10.1.2.3/wl",
        "https://100.64.0.1/wl",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/wl",
        "https://internal.example.com/wl",
        "https://mixed.example.com/wl",
        "https://localhost./wl",
    ],
)
async def test_registering_an_endpoint_that_is_not_public_https_is_a_422_naming_url(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
    url: str,
) -> None:
    async with production_api(settings, sessions, client) as api:
        answer = await api.post(
            "/v1/webhook-endpoints",
            json={"url": url, "event_types": ["customer.created"]},
            headers=white_label.headers,
        )

    assert answer.status_code == 422, answer.text
    assert [field["path"] for field in answer.json()["error"]["fields"]] == ["url"]


async def test_a_public_https_endpoint_is_registered_up_to_the_limit_per_white_label(
    settings: Settings, sessions: SessionFactory, client: Client, white_label: WhiteLabelFixture
) -> None:
    body = {"url": "https://hooks.example.com/wl", "event_types": ["customer.created"]}
    async with production_api(settings, sessions, client, webhook_max_endpoints_per_wl=2) as api:
        answers = [
            await api.post("/v1/webhook-endpoints", json=body, headers=white_label.headers)
            for _ in range(3)
        ]

    assert [answer.status_code for answer in answers] == [201, 201, 409]
    assert answers[2].json()["error"]["type"] == "WebhookEndpointLimit"


async def test_a_name_that_resolves_elsewhere_at_delivery_is_refused_and_not_retried(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    """Registered while it resolved to a public address; at delivery it answers loopback."""
    delivery_id = await pending_delivery(sessions, white_label, "https://rebound.example.com/wl")

    async def rebound(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    activities = WebhookActivities(sessions, resolver=rebound, allow_private_targets=False)
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(
            activities.deliver_webhook, DeliverWebhookInput(delivery_id=delivery_id)
        )

    assert refused.value.type == "WebhookTargetNotAllowed"
    assert refused.value.non_retryable
    row = await delivery_row(sessions, delivery_id)
    assert row.status == "failed"
    assert row.last_error == "target address not allowed"
    assert row.attempts == 1


async def test_the_delivery_list_says_connection_failed_and_never_the_raw_error(
    api: httpx.AsyncClient, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    closed_port = free_port()  # nothing listens there: loopback answers with a refusal
    delivery_id = await pending_delivery(sessions, white_label, f"http://127.0.0.1:{closed_port}/")
    activities = WebhookActivities(sessions, allow_private_targets=True)

    with pytest.raises(ApplicationError):
        await ActivityEnvironment().run(
            activities.deliver_webhook, DeliverWebhookInput(delivery_id=delivery_id)
        )
    listed = await api.get("/v1/webhook-deliveries", headers=white_label.headers)

    row = await delivery_row(sessions, delivery_id)
    assert row.last_error == "connection failed"
    assert row.status == "pending"
    [shown] = [each for each in listed.json()["deliveries"] if each["id"] == str(delivery_id)]
    assert shown["last_error"] == "connection failed"
    assert "ConnectError" not in listed.text
    assert str(closed_port) not in (shown["last_error"] or "")


async def _silent_server() -> tuple[asyncio.Server, list[asyncio.StreamWriter]]:
    """Accepts connections on loopback and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    return await asyncio.start_server(hold, "127.0.0.1", 0), held


async def test_fifty_deliveries_hanging_on_a_silent_endpoint_leave_signups_their_slots(
    client: Client, settings: Settings, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    """The main worker has 20 activity slots here; 50 hung deliveries would take them all
    for 10 s each if they ran on its queue. On their own queue they take only its 5."""
    queue = f"isolation-{uuid.uuid4()}"
    own = settings.model_copy(
        update={
            "temporal_task_queue": queue,
            "api_wait_seconds": 8,
            "webhook_delivery_concurrency": 5,
        }
    )
    server, held = await _silent_server()
    port = server.sockets[0].getsockname()[1]
    deliveries = []
    for _ in range(50):
        delivery_id = await pending_delivery(sessions, white_label, f"http://127.0.0.1:{port}/")
        async with sessions() as session:
            deliveries.append(await session.get_one(WebhookDelivery, delivery_id))
    signups = SignupService(client, sessions, own)
    caller = Caller(
        user_id=white_label.admin_user_id,
        white_label_id=white_label.id,
        role=UserRole.ADMINISTRATOR,
    )
    try:
        async with (
            build_worker(client, own, sessions, max_concurrent_activities=20),
            build_delivery_worker(client, own, sessions),
        ):
            await start_delivery_workflows(client, deliveries, delivery_task_queue(queue), 1.0)
            async with asyncio.timeout(30):
                while len(held) < 5:  # the delivery worker's slots are all hanging
                    await asyncio.sleep(0.05)
            request = CreateCustomerRequest.model_validate(customer_request())
            outcome = await signups.create(caller, request)
            hanging = len(held)
    finally:
        server.close()
        for writer in held:
            writer.close()

    assert outcome.finished, "the signup did not finish while deliveries were hanging"
    assert outcome.failure is None
    assert hanging == 5  # the delivery worker's slots, and no more, held by the silent endpoint
    async with sessions() as session:
        customer = await session.get_one(Customer, outcome.customer_id)
    assert customer.status == CustomerStatus.ACTIVE.value
