"""A white label's endpoint down for hours, or for good, with the production retry schedule.

On the time-skipping server the real schedule (10 s, doubling to one hour between attempts, for
three days) passes in seconds, against a real HTTP receiver and the real database: an endpoint
down for more than an hour loses nothing, and one down for three days ends `failed`.
"""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.settings import Settings
from domain.webhooks import RETRY_INITIAL_SECONDS, WebhookDeliveryInput, verify_signature
from store.engine import SessionFactory
from store.schema import WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from tests.conftest import WhiteLabelFixture
from tests.support.webhook_receiver import Receiver
from worker import build_worker
from workflows.webhook_delivery import WebhookDeliveryWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "whsec_outage_test_secret"


async def pending_delivery(
    sessions: SessionFactory, white_label: WhiteLabelFixture, url: str
) -> uuid.UUID:
    """An event already dispatched to one endpoint: what the outbox dispatcher leaves behind."""
    customer_id = uuid.uuid4()
    async with sessions.begin() as session:
        endpoint = WebhookEndpoint(
            white_label_id=white_label.id,
            url=url,
            event_types=["customer.created"],
            signing_secret=SECRET,
        )
        event = WebhookEvent(
            white_label_id=white_label.id,
            customer_id=customer_id,
            type="customer.created",
            sequence=1,
            payload={"customer_id": str(customer_id), "path": "wl_managed"},
            dispatched_at=utcnow(),
        )
        session.add_all([endpoint, event])
        await session.flush()
        delivery = WebhookDelivery(
            event_id=event.id, endpoint_id=endpoint.id, replay=0, status="pending"
        )
        session.add(delivery)
        await session.flush()
        return delivery.id


async def delivery_row(sessions: SessionFactory, delivery_id: uuid.UUID) -> WebhookDelivery:
    async with sessions() as session:
        return await session.get_one(WebhookDelivery, delivery_id)


async def until_attempts(sessions: SessionFactory, delivery_id: uuid.UUID, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (await delivery_row(sessions, delivery_id)).attempts >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} attempts")


async def workflow_time(handle: WorkflowHandle[WebhookDeliveryWorkflow, str]) -> timedelta:
    """From start to finish as the workflow saw it (skipped time included)."""
    events = (await handle.fetch_history()).events
    return events[-1].event_time.ToDatetime() - events[0].event_time.ToDatetime()


async def start_delivery(
    environment: WorkflowEnvironment, delivery_id: uuid.UUID, task_queue: str
) -> WorkflowHandle[WebhookDeliveryWorkflow, str]:
    return await environment.client.start_workflow(
        WebhookDeliveryWorkflow.run,
        WebhookDeliveryInput(delivery_id=delivery_id),
        id=f"webhook-outage-{delivery_id}",
        task_queue=task_queue,
    )


async def test_an_endpoint_down_for_over_an_hour_gets_the_event_once_it_is_back(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
) -> None:
    receiver = Receiver()
    delivery_id = await pending_delivery(sessions, white_label, receiver.url)
    task_queue = f"outage-{uuid.uuid4()}"
    assert RETRY_INITIAL_SECONDS == 10  # the production schedule, not a test's shortcut

    async with build_worker(time_skipping.client, settings, sessions, task_queue=task_queue):
        handle = await start_delivery(time_skipping, delivery_id, task_queue)
        outcome = asyncio.create_task(handle.result())  # lets the server skip time
        # 10 refused attempts: 10 s + 20 s + ... + 2560 s of backoff, over 85 minutes.
        await until_attempts(sessions, delivery_id, 10)
        await receiver.start()
        try:
            assert await outcome == "delivered"
        finally:
            await receiver.stop()

    row = await delivery_row(sessions, delivery_id)
    assert row.status == "delivered"
    assert row.attempts >= 11
    assert row.delivered_at is not None
    [received] = receiver.received
    assert received.event["type"] == "customer.created"
    assert verify_signature(SECRET, received.body, received.headers["webhook-signature"])
    assert await workflow_time(handle) > timedelta(hours=1)


async def test_an_endpoint_down_for_three_days_ends_failed_with_every_attempt_counted(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
) -> None:
    never_up = Receiver()
    delivery_id = await pending_delivery(sessions, white_label, never_up.url)
    task_queue = f"outage-{uuid.uuid4()}"

    async with build_worker(time_skipping.client, settings, sessions, task_queue=task_queue):
        handle = await start_delivery(time_skipping, delivery_id, task_queue)
        outcome = await handle.result()

    assert outcome == "failed"
    row = await delivery_row(sessions, delivery_id)
    assert row.status == "failed"
    assert row.delivered_at is None
    assert row.last_error == "connection failed"  # generic: the detail is in the worker's log
    # Doubling from 10 s reaches the one-hour cap after 9 attempts; the rest are hourly.
    assert 70 <= row.attempts <= 82
    # It gives up at the last attempt inside the three days: the next one would start after.
    elapsed = await workflow_time(handle)
    assert timedelta(days=3) - timedelta(hours=1) <= elapsed <= timedelta(days=3)
