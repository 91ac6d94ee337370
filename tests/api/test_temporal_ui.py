"""What an operator sees of a signup in Temporal: found by status and WL, and self-explaining."""

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client

from devstack.mailsink import MailSink
from devstack.signup_announcer import announce_new_signups
from domain.settings import Settings
from domain.signup import workflow_id_for
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, in_process
from tests.support.self_serve_helpers import mails_to, start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")
TEMPORAL = Path(sys.executable).parent / "temporal"


async def temporal_cli(client: Client, *arguments: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(TEMPORAL),
        *arguments,
        "--address",
        client.service_client.config.target_host,
        "--output",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_the_temporal_cli_finds_waiting_signups_by_status_and_white_label(
    api: httpx.AsyncClient, client: Client, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)
    query = f"SignupStatus='awaiting_activation' AND WhiteLabelId='{white_label.id}'"

    listed: list[str] = []
    deadline = time.monotonic() + 15
    while not listed and time.monotonic() < deadline:  # visibility is eventually consistent
        output = await temporal_cli(client, "workflow", "list", "--query", query)
        listed = [row["execution"]["workflowId"] for row in json.loads(output or "[]")]
        await asyncio.sleep(0.2)

    assert listed == [f"customer-{signup.customer_id}"]


async def test_a_waiting_signup_says_what_it_waits_for_and_until_when(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    signup = await start_signup(api, white_label)
    await mails_to(mail_sink, signup.email, 1)
    handle = client.get_workflow_handle(workflow_id_for(uuid.UUID(signup.customer_id)))

    details = ""
    deadline = time.monotonic() + 15
    while not details.startswith("**Waiting") and time.monotonic() < deadline:
        # The email goes out just before the workflow starts to wait and says so.
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        details = metadata.current_details
        await asyncio.sleep(0.1)
    summary = await (await handle.describe()).static_summary()
    history = await handle.fetch_history()
    # Sealed like every payload: the Web UI shows them through the codec server.
    summaries = [
        event.user_metadata.summary
        for event in history.events
        if event.HasField("timer_started_event_attributes")
    ]
    timers = await client.data_converter.decode(summaries, [str] * len(summaries))
    expires = signup.view["activation_expires_at"][:16].replace("T", " ")

    assert details.startswith("**Waiting for activation** until ")
    assert f"until {expires} UTC" in details
    assert "reminder 0 sent" in details
    tag = white_label.admin_email.split("@")[0].removeprefix("admin-")
    assert summary == f"Self-serve signup · plan business · Reseller {tag}"
    assert [timer for timer in timers if "until" in timer] == timers
    assert timers


async def test_make_run_prints_the_temporal_ui_link_of_each_new_signup(
    api: httpx.AsyncClient, settings: Settings, white_label: WhiteLabelFixture
) -> None:
    said: list[str] = []
    announcer = asyncio.create_task(announce_new_signups(settings, said.append))
    try:
        await asyncio.sleep(0.1)
        signup = await start_signup(api, white_label)
        link = settings.temporal_ui_link(f"customer-{signup.customer_id}")
        deadline = time.monotonic() + 10
        while not any(link in line for line in said) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # another poll, which must not repeat it
    finally:
        announcer.cancel()

    assert [line for line in said if signup.customer_id in line] == [
        f"new self_serve signup {signup.customer_id}: {link}"
    ]


async def test_a_customer_view_links_the_temporal_ui_only_where_the_operator_set_its_url(
    api: httpx.AsyncClient,
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
) -> None:
    """A reseller need not learn an internal host from a default (issue 18, item 6)."""
    signup = await start_signup(api, white_label)
    unset = Settings(**settings.model_dump(exclude={"temporal_ui_url"}))
    async with in_process(create_app(unset, sessions, client)) as without_ui:
        plain = await without_ui.get(
            f"/v1/customers/{signup.customer_id}", headers=white_label.headers
        )
    linked = await api.get(f"/v1/customers/{signup.customer_id}", headers=white_label.headers)

    assert plain.status_code == linked.status_code == 200
    assert plain.json()["workflow"]["id"] == workflow_id_for(uuid.UUID(signup.customer_id))
    assert plain.json()["workflow"]["temporal_ui_url"] is None
    assert linked.json()["workflow"]["temporal_ui_url"].startswith("http://localhost:8233/")
