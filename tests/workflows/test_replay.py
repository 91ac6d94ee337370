"""Workflow histories replay on the current code, so a non-deterministic change fails here.

`RECORD_HISTORIES=1 make pytest` saves fresh histories to tests/histories/; commit them when
a workflow change is meant to be incompatible (and version the workflow instead, if runs of
the old shape may still be open in production).
"""

import uuid

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory

from devstack.mailsink import MailSink
from domain.console import console_sign_in_workflow_id
from tests.conftest import WhiteLabelFixture, api_client, customer_request
from tests.support.console_helpers import ask_for_link, sign_in_link
from tests.support.histories_helpers import HISTORIES, assert_replays, replayer
from tests.support.self_serve_helpers import (
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    activated_signup,
    pay,
    until_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
SAVED = {
    # Recorded before the "undo-the-failing-step-too" patch: they prove old runs still replay.
    "wl_managed_active",
    "wl_managed_compensated",
    # Recorded before database steps became local activities: they prove those runs replay.
    "wl_managed_active_patched",
    "wl_managed_compensated_patched",
    "self_serve_active",
    "self_serve_declined_then_paid",
    "self_serve_expired",
    "self_serve_cancelled",
    # Current WL-managed runs, with local database steps.
    "wl_managed_active_local",
    "wl_managed_compensated_local",
    # Self-serve runs with local database steps, started before the API used update-with-start.
    "self_serve_active_local",
    "self_serve_declined_then_paid_local",
    "self_serve_expired_local",
    "self_serve_cancelled_local",
    # Current self-serve runs: started with update-with-start.
    "self_serve_active_with_start",
    "self_serve_declined_then_paid_with_start",
    "self_serve_expired_with_start",
    "self_serve_cancelled_with_start",
    # Expired runs that also tell the customer (the "tell-the-customer-on-expiry" patch).
    "self_serve_expired_with_notice",
    # An outbound webhook retried while its endpoint was down, then delivered.
    "webhook_delivery_retried",
    # The outbox dispatcher, mid-run (it never ends: it continues as new).
    "outbox_dispatch_running",
    # A pending self-serve signup the WL administrator converted to WL-managed.
    "self_serve_converted",
    # A WL-managed account's administration handed over to the customer by invitation.
    "handover_accepted",
    # A console sign-in link emailed to a WL user.
    "console_sign_in_sent",
    # A test event sent to a webhook endpoint on request.
    "webhook_test_sent",
}


async def test_saved_histories_replay_on_the_current_workflow_code() -> None:
    files = sorted(HISTORIES.glob("*.json"))
    assert {file.stem for file in files} >= SAVED

    for file in files:
        history = WorkflowHistory.from_json(file.stem, file.read_text())
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"


@pytest.mark.parametrize(
    ("name", "overrides", "status_code"),
    [
        (
            "wl_managed_active_local",
            {"numbers": {"count": 2}, "pbx_settings": {"timezone": "Pacific/Auckland"}},
            201,
        ),
        ("wl_managed_compensated_local", {"numbers": {"count": 99}}, 422),
    ],
)
async def test_fresh_histories_replay(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    name: str,
    overrides: dict[str, object],
    status_code: int,
) -> None:
    response = await api.post(
        "/v1/customers", json=customer_request(**overrides), headers=white_label.headers
    )
    assert response.status_code == status_code, response.text
    listed = await api.get("/v1/customers", headers=white_label.headers)
    [customer] = listed.json()["customers"]
    history = await client.get_workflow_handle(customer["workflow"]["id"]).fetch_history()

    await assert_replays(history, name)


@pytest.mark.parametrize(
    ("name", "cards"),
    [
        ("self_serve_active_with_start", [CARD_OK]),
        ("self_serve_declined_then_paid_with_start", [CARD_DECLINED_ON_CHARGE, CARD_OK]),
    ],
)
async def test_fresh_self_serve_histories_replay(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    name: str,
    cards: list[str],
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    for card in cards:
        await pay(api, localstripe, link, card)
    view = await until_status(api, white_label, signup.customer_id, "active")
    handle = client.get_workflow_handle(view["workflow"]["id"])
    await handle.result()

    await assert_replays(await handle.fetch_history(), name)


async def test_a_fresh_cancelled_self_serve_history_replays(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    declined = await pay(api, localstripe, link, CARD_DECLINED_ON_CHARGE)
    assert declined["status"] == "declined"
    cancelled = await api.post(
        f"/v1/customers/{signup.customer_id}/cancel", headers=white_label.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    handle = client.get_workflow_handle(f"customer-{signup.customer_id}")
    await handle.result()

    await assert_replays(await handle.fetch_history(), "self_serve_cancelled_with_start")


async def test_a_fresh_console_sign_in_history_replays(
    api_url: str, client: Client, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with api_client(api_url) as browser:
        asked = await ask_for_link(browser, white_label.admin_email)
    assert asked.status_code == 200, asked.text
    link = await sign_in_link(mail_sink, white_label.admin_email)
    handle = client.get_workflow_handle(console_sign_in_workflow_id(uuid.UUID(link.sign_in_id)))
    await handle.result()

    await assert_replays(await handle.fetch_history(), "console_sign_in_sent")
