"""The console's Webhooks pages: add an endpoint (secret once, a resent form adds nothing),
disable, enable, rotate, delete; staff look but cannot change; mistakes beside their fields."""

import re

import httpx
import pytest

from devstack.mailsink import MailSink
from tests.conftest import WhiteLabelFixture
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")
FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')


async def _add(console: httpx.AsyncClient, url: str) -> tuple[dict[str, object], httpx.Response]:
    page = await console.get("/console/webhooks")
    form_id = FORM_ID.search(page.text)
    assert form_id is not None
    form = {
        "csrf_token": form_token_in(page.text),
        "form_id": form_id.group(1),
        "url": url,
        "event_types": ["customer.created", "customer.active"],
    }
    return form, await console.post("/console/webhooks", data=form)


async def test_an_endpoint_is_added_once_with_its_secret_shown_once(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        form, added = await _add(console, "http://127.0.0.1:9/hooks")
        again = await console.post("/console/webhooks", data=form)
    listed = await api.get("/v1/webhook-endpoints", headers=white_label.headers)

    secret = re.search(r'<code id="new-secret">(whsec_[^<]+)</code>', added.text)
    assert added.status_code == 200
    assert secret is not None
    assert "This form was sent before" in again.text
    assert secret.group(1) not in again.text
    [endpoint] = listed.json()["endpoints"]
    assert endpoint["url"] == "http://127.0.0.1:9/hooks"
    assert endpoint["event_types"] == ["customer.created", "customer.active"]


async def test_a_form_without_url_or_events_says_so_beside_each(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/webhooks")
        empty = await console.post(
            "/console/webhooks", data={"csrf_token": form_token_in(page.text)}
        )

    assert empty.status_code == 422
    assert 'id="f-url-error">Enter the URL of your endpoint' in empty.text
    assert "Choose at least one event" in empty.text


async def test_an_administrator_disables_enables_tests_rotates_and_deletes(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        _, added = await _add(console, "http://127.0.0.1:9/hooks")
        link = re.search(r'href="(/console/webhooks/[0-9a-f-]{36})"', added.text)
        assert link is not None
        page = await console.get(link.group(1))
        token = form_token_in(page.text)
        disabled = await console.get(
            (await console.post(f"{link.group(1)}/disable", data={"csrf_token": token})).headers[
                "location"
            ]
        )
        enabled = await console.get(
            (await console.post(f"{link.group(1)}/enable", data={"csrf_token": token})).headers[
                "location"
            ]
        )
        tested = await console.post(f"{link.group(1)}/test", data={"csrf_token": token})
        rotate_page = await console.get(f"{link.group(1)}/rotate-secret")
        rotated = await console.post(f"{link.group(1)}/rotate-secret", data={"csrf_token": token})
        deleted = await console.post(f"{link.group(1)}/delete", data={"csrf_token": token})
        gone = await console.get(link.group(1))
    listed = await api.get("/v1/webhook-endpoints", headers=white_label.headers)

    assert "Disabled since" in disabled.text
    assert "The endpoint is enabled" in enabled.text
    assert "Not done: the test event was not delivered (connection failed)." in tested.text
    assert "signed with both the old and the new secret" in rotate_page.text
    assert 'id="new-secret">whsec_' in rotated.text
    assert "Signs too until" in rotated.text
    assert deleted.status_code == 303
    assert gone.status_code == 404
    assert listed.json()["endpoints"] == []


async def test_staff_see_the_endpoints_but_change_nothing(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    created = await api.post(
        "/v1/webhook-endpoints",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["customer.created"]},
        headers=white_label.headers,
    )
    endpoint_id = created.json()["id"]
    async with signed_in_client(api_url, mail_sink, staff_email(white_label.admin_email)) as staff:
        listed = await staff.get("/console/webhooks")
        page = await staff.get(f"/console/webhooks/{endpoint_id}")
        refused = await staff.post(
            f"/console/webhooks/{endpoint_id}/disable",
            data={"csrf_token": form_token_in(page.text)},
        )
    after = await api.get("/v1/webhook-endpoints", headers=white_label.headers)

    assert listed.status_code == 200
    assert "Add an endpoint" not in listed.text
    assert ">Disable</button>" not in page.text
    assert refused.status_code == 403
    assert after.json()["endpoints"][0]["disabled_at"] is None
