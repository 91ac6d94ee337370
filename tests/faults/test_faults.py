"""Faults an operator meets: a mail server that is down, or one that refuses for good."""

import asyncio
import time
import uuid
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from devstack.mailsink import MailSink, start_sink
from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from domain.signup import workflow_id_for
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request, free_port
from tests.support.step_history import failure_message, retrying_step
from worker import build_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_activation_email_waits_for_the_mail_server_to_come_back(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
) -> None:
    smtp_port = free_port()  # nothing listens here yet: the mail server is down
    down = settings.model_copy(
        update={"smtp_port": smtp_port, "temporal_task_queue": f"smtp-down-{uuid.uuid4()}"}
    )
    body = customer_request(path="self_serve")
    contact = body["contact"]["email"]  # type: ignore[index]

    async with build_worker(client, down, sessions):
        outcome = await SignupService(client, sessions, down).create(
            white_label.caller, CreateCustomerRequest.model_validate(body)
        )
        workflow_id = workflow_id_for(outcome.customer_id)
        await retrying_step(client, workflow_id, attempts=2, step="send_activation")

        sink = MailSink()
        controller = start_sink("127.0.0.1", smtp_port, sink)
        try:
            deadline = time.monotonic() + 30
            while not sink.to(contact):
                assert time.monotonic() < deadline, "the email never arrived"
                await asyncio.sleep(0.2)
        finally:
            controller.stop()

    assert len(sink.to(contact)) == 1
    assert sink.to(contact)[0]["Subject"].startswith("Activate your")
    started_attempts = [
        event.activity_task_started_event_attributes.attempt
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert max(started_attempts) >= 2  # the first attempt met a closed port


class RefusingServer:
    async def handle_RCPT(
        self, _server: Any, _session: Any, _envelope: Any, _address: str, _options: Any
    ) -> str:
        return "550 5.1.1 no such mailbox"


async def test_a_permanent_refusal_fails_the_email_step_once_with_a_reason(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
) -> None:
    controller = Controller(RefusingServer(), hostname="127.0.0.1", port=free_port())
    controller.start()
    refusing = settings.model_copy(
        update={
            "smtp_port": controller.port,
            "temporal_task_queue": f"smtp-refuses-{uuid.uuid4()}",
        }
    )
    try:
        async with build_worker(client, refusing, sessions):
            outcome = await SignupService(client, sessions, refusing).create(
                white_label.caller,
                CreateCustomerRequest.model_validate(customer_request(path="self_serve")),
            )
            handle = client.get_workflow_handle(workflow_id_for(outcome.customer_id))
            failures: list[Any] = []
            deadline = time.monotonic() + 20
            while not failures:
                assert time.monotonic() < deadline, "the email step did not fail"
                failures = [
                    event.activity_task_failed_event_attributes
                    async for event in handle.fetch_history_events()
                    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
                ]
                await asyncio.sleep(0.2)
            progress = await handle.query("status")
    finally:
        controller.stop()

    [failure] = failures
    assert failure.failure.application_failure_info.type == "EmailRejected"
    assert failure.failure.application_failure_info.non_retryable
    assert "550" in await failure_message(client, failure.failure)
    assert progress["status"] == "awaiting_activation"
