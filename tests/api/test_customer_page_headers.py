"""Every page and call behind the activation link carries the same protective headers."""

import uuid

import httpx
import pytest

from devstack.mailsink import MailSink
from tests.conftest import WhiteLabelFixture
from tests.support.self_serve_helpers import activated_signup, pay, until_status

pytestmark = pytest.mark.asyncio(loop_scope="session")


def protective_headers_missing(response: httpx.Response) -> list[str]:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    expected = {
        "Referrer-Policy": headers.get("Referrer-Policy") == "no-referrer",
        "Cache-Control": headers.get("Cache-Control") == "no-store",
        "X-Frame-Options": headers.get("X-Frame-Options") == "DENY",
        "X-Content-Type-Options": headers.get("X-Content-Type-Options") == "nosniff",
        "CSP default-src": "default-src 'self'" in policy,
        "CSP frame-ancestors": "frame-ancestors 'none'" in policy,
        "CSP object-src": "object-src 'none'" in policy,
    }
    return [name for name, present in expected.items() if not present]


async def test_every_customer_page_and_call_sends_the_protective_headers(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    token = {"token": link.token}
    answers = {
        "payment page": await api.get(link.path, params=token),
        "payment page again (POST)": await api.post(link.path, data=token),
        "status call": await api.post(f"{link.path}/status", json=token),
        "card setup call": await api.post(f"{link.path}/card-setup", json=token),
        "invalid link page": await api.get(link.path, params={"token": "v1.wrong"}),
        "invalid link call": await api.post(f"{link.path}/status", json={"token": "v1.wrong"}),
        "unknown customer": await api.get(f"/activate/{uuid.uuid4()}", params=token),
    }
    await pay(api, localstripe, link)
    await until_status(api, white_label, signup.customer_id, "active")
    answers["active page"] = await api.get(link.path, params=token)

    assert {name: response.status_code for name, response in answers.items()} == {
        "payment page": 200,
        "payment page again (POST)": 200,
        "status call": 200,
        "card setup call": 200,
        "invalid link page": 404,
        "invalid link call": 404,
        "unknown customer": 404,
        "active page": 200,
    }
    assert {name: protective_headers_missing(response) for name, response in answers.items()} == {
        name: [] for name in answers
    }
