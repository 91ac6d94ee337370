"""Stripe unreachable (localstripe killed) when a payment is created or a refund is due.

The step is retried with backoff while Stripe is away and completes once it is back, with one
PaymentIntent and one refund: nothing created twice. Each test runs its own localstripe, API
and worker, so killing Stripe here leaves the rest of the suite alone.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.enums import CustomerStatus
from domain.settings import Settings
from domain.signup import SignupResult, workflow_id_for
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, free_port, send_webhooks_to
from tests.support.holdings import holdings_of
from tests.support.private_stack import PrivateStack, private_stack
from tests.support.self_serve_helpers import (
    activated_signup,
    intents_of,
    pay,
    refunded_intents,
    saved_card,
    until_status,
)
from tests.support.step_history import retrying_step

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]


@pytest_asyncio.fixture(loop_scope="session")
async def stack(
    client: Client, settings: Settings, sessions: SessionFactory, tmp_path: Path
) -> AsyncIterator[PrivateStack]:
    async with private_stack(client, settings, sessions, tmp_path) as own:
        yield own


async def test_a_payment_submitted_while_stripe_is_down_goes_through_once_it_is_back(
    client: Client,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    stack: PrivateStack,
) -> None:
    signup, link = await activated_signup(stack.api, white_label, mail_sink)
    card = await saved_card(stack.api, stack.localstripe, link, "4242424242424242")
    workflow_id = workflow_id_for(signup.customer_id)

    await stack.stop_stripe()
    paying = asyncio.create_task(
        stack.api.post(f"{link.path}/payment", json={"token": link.token, "payment_method": card})
    )
    _, failure = await retrying_step(client, workflow_id, step="start_payment_attempt")
    await stack.start_stripe()
    answer = await paying

    assert "APIConnectionError" in failure
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "succeeded"}
    view = await until_status(stack.api, white_label, signup.customer_id, "active")
    assert view["billing"]["balance"] == "100.00"
    assert len(await intents_of(stack.localstripe, signup.customer_id)) == 1
    held = await holdings_of(sessions, uuid.UUID(signup.customer_id))
    assert held.payment_attempts == 1
    assert len(held.payments) == 1


async def test_a_refund_due_while_stripe_is_down_is_made_once_it_is_back(
    client: Client,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    stack: PrivateStack,
) -> None:
    signup, link = await activated_signup(stack.api, white_label, mail_sink)
    workflow_id = workflow_id_for(signup.customer_id)
    # Stripe's verdict does not reach the signup before it is cancelled: the card is charged
    # and the cancellation owes the customer a refund.
    await send_webhooks_to(stack.localstripe, f"http://127.0.0.1:{free_port()}")
    assert await pay(stack.api, stack.localstripe, link) == {"status": "succeeded"}
    [intent] = await intents_of(stack.localstripe, signup.customer_id)

    await stack.stop_stripe()
    cancelled = await stack.api.post(
        f"/v1/customers/{signup.customer_id}/cancel", headers=white_label.headers
    )
    _, failure = await retrying_step(client, workflow_id, step="cancel_open_payments")
    await stack.start_stripe()
    handle = client.get_workflow_handle(workflow_id, result_type=SignupResult)
    result = await asyncio.wait_for(handle.result(), timeout=60)

    assert cancelled.status_code == 200, cancelled.text
    assert "APIConnectionError" in failure
    assert result.status is CustomerStatus.CANCELLED
    assert (await refunded_intents(stack.localstripe)).count(intent.id) == 1
    assert len(await intents_of(stack.localstripe, signup.customer_id)) == 1
    view = await until_status(stack.api, white_label, signup.customer_id, "cancelled")
    assert view["billing"]["charged"] == "0.00"
