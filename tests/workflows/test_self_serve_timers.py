"""Reminders and expiry over days, on the time-skipping test server (seconds of real time).

The Java time-skipping server has no Updates, so these tests only exercise timers; the
activities are the real ones, against the real database and SMTP server.
"""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus
from domain.self_serve import SelfServeSignupInput
from domain.settings import Settings
from domain.signup import workflow_id_for
from store.engine import SessionFactory
from store.schema import Customer, WebhookEvent
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.histories_helpers import assert_replays
from tests.support.self_serve_helpers import text_of
from worker import build_worker
from workflows.self_serve import SelfServeSignupWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")


def signup_input(white_label: WhiteLabelFixture, **overrides: object) -> SelfServeSignupInput:
    body = customer_request(path="self_serve")
    values: dict[str, object] = {
        "customer_id": uuid.uuid4(),
        "white_label_id": white_label.id,
        "requested_by_user_id": white_label.admin_user_id,
        "request": CreateCustomerRequest.model_validate(body),
        "activation_ttl": timedelta(days=7),
        "reminders": [timedelta(hours=24), timedelta(hours=72)],
        "payment_ttl": timedelta(hours=48),
        **overrides,
    }
    return SelfServeSignupInput.model_validate(values)


async def test_nobody_activates_so_two_reminders_go_out_then_the_signup_expires(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    sessions: SessionFactory,
    mail_sink: MailSink,
    white_label: WhiteLabelFixture,
) -> None:
    data = signup_input(white_label)
    task_queue = f"timers-{uuid.uuid4()}"
    client = time_skipping.client

    async with build_worker(client, settings, sessions, task_queue=task_queue):
        handle = await client.start_workflow(
            SelfServeSignupWorkflow.run,
            data,
            id=workflow_id_for(data.customer_id),
            task_queue=task_queue,
        )
        result = await handle.result()

    assert result.status is CustomerStatus.EXPIRED
    contact = data.request.contact.email
    subjects = [mail["Subject"] for mail in mail_sink.to(contact)]
    assert len(subjects) == 4
    assert subjects[0].startswith("Activate your")
    assert all(subject.startswith("Reminder: activate your") for subject in subjects[1:3])
    assert subjects[3].endswith("activation link has expired")
    assert "No payment was taken." in text_of(mail_sink.to(contact)[3])
    notices = [mail["Subject"] for mail in mail_sink.to(white_label.admin_email)]
    assert notices == [f"Signup expired: {data.request.business.name}"]
    async with sessions() as session:
        stored = await session.get_one(Customer, data.customer_id)
        outbox = list(
            await session.execute(
                select(WebhookEvent.type, WebhookEvent.payload)
                .where(WebhookEvent.customer_id == data.customer_id)
                .order_by(WebhookEvent.sequence)
            )
        )
    assert stored.status == "expired"
    # What the WL's endpoints are told, written with each change (the outbox).
    assert [(kind, payload.get("kind", payload.get("status"))) for kind, payload in outbox] == [
        ("customer.created", None),
        ("customer.activation_email_sent", "activation"),
        ("customer.activation_email_sent", "activation_reminder"),
        ("customer.activation_email_sent", "activation_reminder"),
        ("customer.expired", "expired"),
    ]
    events = [event async for event in handle.fetch_history_events()]
    started = events[0].event_time.ToDatetime()
    fire_offsets = [
        event.event_time.ToDatetime()
        + event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        - started
        for event in events
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]
    # Reminders at 24 h and 72 h after creation, expiry at 7 days (to the second).
    assert [round(offset.total_seconds()) for offset in fire_offsets] == [
        24 * 3600,
        72 * 3600,
        7 * 24 * 3600,
    ]
    await assert_replays(await handle.fetch_history(), "self_serve_expired_with_notice")


async def test_a_cancelled_signup_sends_no_reminders(
    time_skipping: WorkflowEnvironment,
    settings: Settings,
    sessions: SessionFactory,
    mail_sink: MailSink,
    white_label: WhiteLabelFixture,
) -> None:
    data = signup_input(white_label)
    task_queue = f"timers-{uuid.uuid4()}"
    client = time_skipping.client

    async with build_worker(client, settings, sessions, task_queue=task_queue):
        handle = await client.start_workflow(
            SelfServeSignupWorkflow.run,
            data,
            id=workflow_id_for(data.customer_id),
            task_queue=task_queue,
        )
        await handle.signal(SelfServeSignupWorkflow.cancel)
        result = await handle.result()

    assert result.status is CustomerStatus.CANCELLED
    assert len(mail_sink.to(data.request.contact.email)) <= 1
    notices = [mail["Subject"] for mail in mail_sink.to(white_label.admin_email)]
    assert notices == [f"Signup cancelled: {data.request.business.name}"]
