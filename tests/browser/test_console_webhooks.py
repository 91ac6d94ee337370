"""Webhooks from the console in a real browser: add an endpoint (a real receiver on loopback),
create a customer, see the delivery listed as delivered, replay it and see it arrive again."""

import time

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from domain.webhooks import verify_signature
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_administrator_adds_an_endpoint_sees_a_delivery_and_replays_it(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
    dispatcher: None,
    receiver: Receiver,
) -> None:
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_label("URL").fill(receiver.url)
    await page.get_by_label("customer.created").check()
    await page.get_by_role("button", name="Add endpoint").click()
    secret = (await page.locator("#new-secret").text_content() or "").strip()

    created = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    customer_id = created.json()["customer_id"]
    [first] = await receiver.until(customer_id, 1)
    await page.get_by_role("link", name=receiver.url).click()
    row = page.get_by_role("row").filter(has_text="customer.created")
    deadline = time.monotonic() + 30
    while "Delivered" not in (await row.first.text_content() or ""):
        assert time.monotonic() < deadline, "the delivery was never shown as delivered"
        await page.reload()
    await expect(row.first).to_contain_text("204")
    await row.first.get_by_role("button", name="Replay").click()
    await expect(page.get_by_role("status")).to_have_text("The event is being sent again.")
    received = await receiver.until(customer_id, 2)
    await expect(page.get_by_role("row").filter(has_text="(replay 1)")).to_have_count(1)
    await page.get_by_role("button", name="Send a test event").click()
    await expect(page.get_by_role("status")).to_have_text(
        "The test event was delivered: your endpoint answered 204."
    )
    assert receiver.received[-1].event["type"] == "webhook.test"

    assert verify_signature(secret, first.body, first.headers["webhook-signature"])
    assert [each.event["id"] for each in received] == [first.event["id"]] * 2
    assert page_errors == []
