"""A worker process SIGKILLed at the worst instant: the step's effect is done, unreported.

A new `python worker.py` takes over. Temporal retries the step whose worker died (after the
step's heartbeat timeout), the step finds its own earlier effect, and the signup finishes with
everything written once.
"""

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus
from domain.settings import Settings
from domain.signup import SignupResult
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.holdings import holdings_of
from tests.support.self_serve_helpers import (
    activate_from_email,
    intents_of,
    mails_to,
    pay,
    until_status,
)
from tests.support.step_history import attempts_of, local_step_completions
from tests.support.worker_processes import kill, start_worker, stop, wait_for_file

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]


def own_queue(settings: Settings) -> Settings:
    return settings.model_copy(update={"temporal_task_queue": f"killed-{uuid.uuid4()}"})


async def finished(client: Client, workflow_id: str) -> SignupResult:
    handle = client.get_workflow_handle(workflow_id, result_type=SignupResult)
    result = await asyncio.wait_for(handle.result(), timeout=90)
    assert result.status is CustomerStatus.ACTIVE
    return result


async def start_self_serve(
    client: Client, sessions: SessionFactory, queue: Settings, white_label: WhiteLabelFixture
) -> tuple[uuid.UUID, str]:
    """Starts a self-serve signup on the queue's workers; its customer id and contact email."""
    body = customer_request(path="self_serve")
    outcome = await SignupService(client, sessions, queue).create(
        white_label.caller, CreateCustomerRequest.model_validate(body)
    )
    return outcome.customer_id, str(body["contact"]["email"])  # type: ignore[index]


async def test_a_wl_managed_signup_killed_after_its_debit_is_finished_by_a_new_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    queue = own_queue(settings)
    tripped = tmp_path / "tripped"
    doomed = await start_worker(queue, trip_after="debit_signup_charges", tripped=tripped)
    service = SignupService(client, sessions, queue)
    request = CreateCustomerRequest.model_validate(customer_request(numbers={"count": 2}))
    creating = asyncio.create_task(service.create(white_label.caller, request))

    workflow_id = await wait_for_file(tripped, doomed, timeout=60)
    await kill(doomed)
    successor = await start_worker(queue)
    try:
        result = await finished(client, workflow_id)
        await creating
    finally:
        await stop(successor)

    # The debit is a local step: the killed worker did it (the tripwire fired after it) and never
    # reported it, so the one completion in history is the new worker's second run.
    assert await local_step_completions(client, workflow_id, "debit_signup_charges") == 1
    held = await holdings_of(sessions, result.customer_id)
    assert len(held.ledger) == 1
    assert held.audit["wl_ledger.debited"] == 1
    assert held.numbers == white_label.numbers[:2]
    assert held.audit["numbers.allocated"] == 1
    assert held.administrators == 1
    assert len(await mails_to(mail_sink, white_label.admin_email, 1)) == 1


async def test_a_self_serve_signup_killed_after_its_activation_email_is_finished_by_a_new_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    api: httpx.AsyncClient,
    localstripe: str,
    tmp_path: Path,
) -> None:
    queue = own_queue(settings)
    tripped = tmp_path / "tripped"
    doomed = await start_worker(queue, trip_after="send_activation", tripped=tripped)
    customer_id, contact = await start_self_serve(client, sessions, queue, white_label)

    workflow_id = await wait_for_file(tripped, doomed, timeout=60)
    await kill(doomed)
    successor = await start_worker(queue)
    try:
        link = await activate_from_email(api, mail_sink, contact)
        assert await pay(api, localstripe, link) == {"status": "succeeded"}
        await finished(client, workflow_id)
    finally:
        await stop(successor)

    assert await attempts_of(client, workflow_id, "send_activation") == 2
    mails = await mails_to(mail_sink, contact, 2)
    subjects = [mail["Subject"].split(" ")[0] for mail in mails]
    assert subjects == ["Activate", "Welcome"]  # the retried activation email was not resent
    held = await holdings_of(sessions, customer_id)
    assert held.payment_attempts == 1
    assert len(held.payments) == 1


async def test_a_self_serve_signup_killed_after_its_payment_intent_is_finished_by_a_new_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    api: httpx.AsyncClient,
    localstripe: str,
    tmp_path: Path,
) -> None:
    queue = own_queue(settings)
    tripped = tmp_path / "tripped"
    doomed = await start_worker(queue, trip_after="start_payment_attempt", tripped=tripped)
    customer_id, contact = await start_self_serve(client, sessions, queue, white_label)
    link = await activate_from_email(api, mail_sink, contact)
    paying = asyncio.create_task(pay(api, localstripe, link))

    workflow_id = await wait_for_file(tripped, doomed, timeout=60)
    await kill(doomed)
    successor = await start_worker(queue)
    try:
        # The customer's request waits while the step is retried on the new worker.
        assert await paying == {"status": "succeeded"}
        await finished(client, workflow_id)
        view = await until_status(api, white_label, str(customer_id), "active")
    finally:
        await stop(successor)

    assert await attempts_of(client, workflow_id, "start_payment_attempt") == 2
    assert len(await intents_of(localstripe, str(customer_id))) == 1
    held = await holdings_of(sessions, customer_id)
    assert held.payment_attempts == 1
    assert len(held.payments) == 1
    assert len(held.balance) == 1
    assert view["billing"]["balance"] == "100.00"
    assert [mail["Subject"].split(" ")[0] for mail in mail_sink.to(contact)] == [
        "Activate",
        "Welcome",
    ]
