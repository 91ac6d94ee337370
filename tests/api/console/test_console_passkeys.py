"""Passkeys through the console's routes, with a software authenticator: a user registers one
and signs in with it; replayed, expired, foreign and removed passkeys sign nobody in."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import PasskeyChallenge
from tests.conftest import WhiteLabelFixture, api_client
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email
from tests.support.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.asyncio(loop_scope="session")


def authenticator(api_url: str) -> SoftAuthenticator:
    return SoftAuthenticator(origin=api_url, rp_id=urlsplit(api_url).hostname or "")


async def register(
    console: httpx.AsyncClient, device: SoftAuthenticator, name: str = "Laptop"
) -> httpx.Response:
    page = await console.get("/console/account")
    csrf = re.search(r'data-passkey-register data-csrf-token="([^"]+)"', page.text)
    assert csrf is not None
    started = await console.post(
        "/console/account/passkeys/options", json={"csrf_token": csrf.group(1)}
    )
    assert started.status_code == 200, started.text
    body = started.json()
    return await console.post(
        "/console/account/passkeys",
        json={
            "csrf_token": csrf.group(1),
            "challenge_id": body["challenge_id"],
            "name": name,
            "credential": device.create(body["options"]),
        },
    )


async def sign_in_options(browser: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    page = await browser.get("/console/sign-in")
    token = form_token_in(page.text)
    started = await browser.post("/console/sign-in/passkey/options", json={"csrf_token": token})
    assert started.status_code == 200, started.text
    return token, started.json()


async def answer(
    browser: httpx.AsyncClient, token: str, started: dict[str, Any], credential: object
) -> httpx.Response:
    return await browser.post(
        "/console/sign-in/passkey",
        json={
            "csrf_token": token,
            "challenge_id": started["challenge_id"],
            "credential": credential,
        },
    )


async def test_a_user_registers_a_passkey_and_signs_in_with_it(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    device = authenticator(api_url)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        registered = await register(console, device, "Work laptop")
        account = await console.get("/console/account")
    async with api_client(api_url) as browser:
        token, started = await sign_in_options(browser)
        signed_in = await answer(browser, token, started, device.get(started["options"]))
        customers = await browser.get("/console/customers")
        listed = await browser.get("/console/account")

    assert registered.status_code == 201, registered.text
    assert "Work laptop" in account.text
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"location": "/console/customers"}
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert customers.status_code == 200
    assert "<h1>Customers</h1>" in customers.text
    assert white_label.admin_email in listed.text
    assert "Never" not in listed.text.split("Work laptop", 1)[1].split("</tr>", 1)[0]


async def test_a_replayed_assertion_signs_nobody_in(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    device = authenticator(api_url)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        await register(console, device)
    async with api_client(api_url) as first, api_client(api_url) as attacker:
        token, started = await sign_in_options(first)
        assertion = device.get(started["options"])
        used = await answer(first, token, started, assertion)
        attacker_token, _ = await sign_in_options(attacker)
        replayed = await answer(attacker, attacker_token, started, assertion)
        still_out = await attacker.get("/console/customers", follow_redirects=False)

    assert used.status_code == 200
    assert replayed.status_code == 400
    assert "did not sign you in" in replayed.json()["error"]
    assert still_out.status_code == 303


async def test_a_failed_answer_spends_its_challenge_and_an_old_one_is_refused(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    device = authenticator(api_url)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        await register(console, device)
    async with api_client(api_url) as browser:
        token, started = await sign_in_options(browser)
        forged = device.get(started["options"])
        forged["response"]["signature"] = forged["response"]["signature"][::-1]
        refused = await answer(browser, token, started, forged)
        honest_after = await answer(browser, token, started, device.get(started["options"]))
        token, old = await sign_in_options(browser)
        async with sessions.begin() as session:
            await session.execute(
                update(PasskeyChallenge)
                .where(PasskeyChallenge.id == uuid.UUID(str(old["challenge_id"])))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        expired = await answer(browser, token, old, device.get(old["options"]))

    assert refused.status_code == 400
    assert honest_after.status_code == 400  # that challenge is spent
    assert expired.status_code == 400


async def test_a_passkey_answering_for_another_user_or_of_a_removed_user_is_refused(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    staff_device = authenticator(api_url)
    async with signed_in_client(api_url, mail_sink, staff) as console:
        await register(console, staff_device)
    users = await api.get("/v1/users", headers=white_label.headers)
    [staff_user] = [user for user in users.json()["users"] if user["email"] == staff]
    async with api_client(api_url) as browser:
        token, started = await sign_in_options(browser)
        as_admin = staff_device.get(
            started["options"],
            user_handle=white_label.admin_user_id.bytes,
        )
        impersonating = await answer(browser, token, started, as_admin)
        await api.delete(f"/v1/users/{staff_user['id']}", headers=white_label.headers)
        token, started = await sign_in_options(browser)
        removed = await answer(browser, token, started, staff_device.get(started["options"]))
        unknown = authenticator(api_url)
        unknown.user_handle = white_label.admin_user_id.bytes
        token, started = await sign_in_options(browser)
        never_registered = await answer(browser, token, started, unknown.get(started["options"]))

    assert impersonating.status_code == 400
    assert removed.status_code == 400
    assert never_registered.status_code == 400


async def test_a_passkey_from_another_origin_is_not_registered_and_one_can_be_removed(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    phishing = SoftAuthenticator(origin="http://127.0.0.1:1", rp_id="127.0.0.1")
    device = authenticator(api_url)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        refused = await register(console, phishing)
        await register(console, device, "Tablet in the office")
        page = await console.get("/console/account")
        remove = re.search(r'action="(/console/account/passkeys/[0-9a-f-]{36}/remove)"', page.text)
        assert remove is not None
        removed = await console.post(remove.group(1), data={"csrf_token": form_token_in(page.text)})
        after = await console.get(removed.headers["location"])
    async with api_client(api_url) as browser:
        token, started = await sign_in_options(browser)
        gone = await answer(browser, token, started, device.get(started["options"]))

    assert refused.status_code == 400
    assert "The passkey was removed." in after.text
    assert "Tablet in the office" not in after.text
    assert gone.status_code == 400
