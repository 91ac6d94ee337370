"""`make run`'s own stack: it seals customer data in Temporal's history and its Web UI still
shows it decoded; and its demo administrator signs in to the console from its mailbox.

The stack is `python -m starter dev` with its own defaults (only the ports differ): the payload
key is the one it generated in `.data/dev-secrets.json`, and the dev server's Web UI asks the
API's codec server to open payloads. The Web UI's screenshot goes to the test's temporary
directory; with UPDATE_SCREENSHOTS=1 (`make screenshots`) to docs/screenshots/.
"""

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from google.protobuf.json_format import MessageToDict
from playwright.async_api import Page, expect
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client

from runtime.payload_codec import AesGcmCodec
from tests.conftest import customer_request
from tests.support.dev_stack import DevStack, dev_stack

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class StartedSignup:
    customer_id: str
    body: dict[str, object]

    @property
    def workflow_id(self) -> str:
        return f"customer-{self.customer_id}"

    @property
    def email(self) -> str:
        return self.contact["email"]

    @property
    def contact(self) -> dict[str, str]:
        contact = self.body["contact"]
        assert isinstance(contact, dict)
        return contact

    def personal_data(self) -> list[str]:
        business = self.body["business"]
        assert isinstance(business, dict)
        return [
            self.contact["email"],
            self.contact["first_name"] + '"',  # the name as a JSON value, not as in "Aroha's"
            self.contact["phone"],
            business["name"],
        ]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevStack]:
    async with dev_stack(tmp_path_factory.mktemp("make-run")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def signup(stack: DevStack) -> StartedSignup:
    body = customer_request(path="self_serve", plan_code=stack.plan_code)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        created = await http.post("/v1/customers", json=body, headers=stack.admin_headers)
    assert created.status_code == 202, created.text
    return StartedSignup(created.json()["customer_id"], body)


async def input_payloads(stack: DevStack, signup: StartedSignup) -> list[Payload]:
    """The signup's input as Temporal holds it, read without any codec."""
    plain = await Client.connect(stack.temporal_address)
    history = await plain.get_workflow_handle(signup.workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    return list(started.input.payloads)


def as_bytes(payloads: list[Payload]) -> bytes:
    return b"".join(payload.SerializeToString() for payload in payloads)


async def test_under_make_run_temporal_holds_none_of_the_customers_data_in_clear(
    stack: DevStack, signup: StartedSignup
) -> None:
    sealed = await input_payloads(stack, signup)
    secrets = json.loads((stack.folder / ".data" / "dev-secrets.json").read_text())
    key = base64.b64decode(secrets["TEMPORAL_ENCRYPTION_KEY"])
    opened = as_bytes(await AesGcmCodec(key).decode(sealed))

    assert [text for text in signup.personal_data() if text.encode() in as_bytes(sealed)] == []
    assert all(payload.metadata["encoding"] == b"binary/encrypted" for payload in sealed)
    # The same search finds every item in the opened input: the check can fail.
    assert [text for text in signup.personal_data() if text.encode() in opened] == (
        signup.personal_data()
    )


async def test_make_runs_codec_server_opens_payloads_for_its_web_ui_and_no_other_origin(
    stack: DevStack, signup: StartedSignup
) -> None:
    sealed = MessageToDict(Payloads(payloads=await input_payloads(stack, signup)))
    async with httpx.AsyncClient(base_url=stack.api_url) as http:
        for_ui = await http.post("/codec/decode", json=sealed, headers={"Origin": stack.ui_url})
        elsewhere = await http.post(
            "/codec/decode", json=sealed, headers={"Origin": "http://localhost:1"}
        )

    assert for_ui.status_code == 200, for_ui.text
    assert for_ui.headers["Access-Control-Allow-Origin"] == stack.ui_url
    opened = b"".join(base64.b64decode(each["data"]) for each in for_ui.json()["payloads"])
    assert signup.email.encode() in opened
    assert elsewhere.status_code == 403
    assert signup.email not in elsewhere.text


async def test_the_web_ui_of_make_run_shows_the_signup_input_decoded(
    stack: DevStack, signup: StartedSignup, page: Page, screenshots: Path
) -> None:
    await page.goto(f"{stack.ui_url}/namespaces/default/workflows/{signup.workflow_id}")

    await expect(page.get_by_text(signup.email).first).to_be_visible()
    await page.screenshot(path=screenshots / "temporal-ui-decoded-input-1280x800.png")


async def test_the_demo_administrator_of_make_run_signs_in_to_the_console_from_the_mailbox(
    stack: DevStack, page: Page
) -> None:
    await page.goto(stack.console_url)
    await page.get_by_label("Email").fill(stack.admin_email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    mailbox = stack.console_url.removesuffix("/console") + "/dev/mail"
    link = page.get_by_role("link", name="/console/sign-in/")
    for _ in range(30):  # the email is sent by the worker, a moment later
        await page.goto(mailbox)
        if await link.count():
            break
        await page.wait_for_timeout(500)

    await link.first.click()
    await page.get_by_role("button", name="Sign in", exact=True).click()

    await expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    await expect(page.get_by_text(stack.admin_email)).to_be_visible()
