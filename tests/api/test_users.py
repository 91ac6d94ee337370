"""`/v1/users`: administrators invite, re-role and remove the white label's users; the last
administrator stays; a removed user is out at once, in the console and the API."""

import uuid

import httpx
import pytest

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, api_client, make_white_label
from tests.support.console_helpers import sign_in_link, signed_in_client, staff_email, use_link

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _invitee() -> str:
    return f"new-{uuid.uuid4().hex[:8]}@reseller.example.com"


async def _user_id(api: httpx.AsyncClient, white_label: WhiteLabelFixture, email: str) -> str:
    listed = await api.get("/v1/users", headers=white_label.headers)
    assert listed.status_code == 200, listed.text
    [found] = [user for user in listed.json()["users"] if user["email"] == email]
    return str(found["id"])


async def test_an_invited_user_signs_in_once_from_the_emailed_link(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    email = _invitee()
    invited = await api.post(
        "/v1/users", json={"email": email, "role": "staff"}, headers=white_label.headers
    )
    link = await sign_in_link(mail_sink, email)
    [message] = mail_sink.to(email)
    async with api_client(api_url) as browser:
        signed_in = await use_link(browser, link)
        customers = await browser.get("/console/customers")
        again = await browser.get(link.path_and_query)
    listed = await api.get("/v1/users", headers=white_label.headers)

    assert invited.status_code == 201, invited.text
    assert invited.json()["state"] == "invited"
    assert invited.json()["role"] == "staff"
    assert invited.json()["invitation_expires_at"] is not None
    assert "invited" in message["Subject"]
    assert signed_in.status_code == 303
    assert customers.status_code == 200
    assert "Create new customer" not in customers.text  # staff
    assert again.status_code == 404  # single use
    [user] = [user for user in listed.json()["users"] if user["email"] == email]
    assert user["state"] == "active"
    assert user["last_signed_in_at"] is not None
    assert user["invitation_expires_at"] is None


async def test_only_administrators_manage_users(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    some_id = white_label.admin_user_id
    answers = [
        await api.get("/v1/users", headers=white_label.staff_headers),
        await api.post(
            "/v1/users",
            json={"email": _invitee(), "role": "administrator"},
            headers=white_label.staff_headers,
        ),
        await api.patch(
            f"/v1/users/{some_id}", json={"role": "staff"}, headers=white_label.staff_headers
        ),
        await api.delete(f"/v1/users/{some_id}", headers=white_label.staff_headers),
        await api.post(f"/v1/users/{some_id}/sessions/end", headers=white_label.staff_headers),
    ]

    assert [answer.status_code for answer in answers] == [403] * 5
    assert all(answer.json()["error"]["type"] == "Forbidden" for answer in answers)


async def test_an_invitation_names_the_field_it_refuses(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    taken = await api.post(
        "/v1/users",
        json={"email": white_label.admin_email, "role": "staff"},
        headers=white_label.headers,
    )
    bad_email = await api.post(
        "/v1/users", json={"email": "not-an-address", "role": "staff"}, headers=white_label.headers
    )
    bad_role = await api.post(
        "/v1/users", json={"email": _invitee(), "role": "owner"}, headers=white_label.headers
    )

    assert taken.status_code == 409
    assert taken.json()["error"]["type"] == "UserExists"
    assert bad_email.status_code == 422
    assert bad_email.json()["error"]["fields"][0]["path"] == "email"
    assert bad_role.status_code == 422
    assert bad_role.json()["error"]["fields"][0]["path"] == "role"


async def test_the_last_administrator_can_be_neither_removed_nor_made_staff(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    me = white_label.admin_user_id
    demoted = await api.patch(
        f"/v1/users/{me}", json={"role": "staff"}, headers=white_label.headers
    )
    removed = await api.delete(f"/v1/users/{me}", headers=white_label.headers)
    second = await api.post(
        "/v1/users",
        json={"email": _invitee(), "role": "administrator"},
        headers=white_label.headers,
    )
    # With a second administrator, the first may step down; then the second is the last one.
    stepped_down = await api.patch(
        f"/v1/users/{me}", json={"role": "staff"}, headers=white_label.headers
    )

    assert demoted.status_code == 409
    assert demoted.json()["error"]["type"] == "LastAdministrator"
    assert removed.status_code == 409
    assert removed.json()["error"]["type"] == "LastAdministrator"
    assert second.status_code == 201
    assert stepped_down.status_code == 200
    assert stepped_down.json()["role"] == "staff"
    # The role applies at once: the key is staff's now.
    refused = await api.patch(
        f"/v1/users/{second.json()['id']}", json={"role": "staff"}, headers=white_label.headers
    )
    assert refused.status_code == 403


async def test_a_removed_user_is_out_of_the_console_and_the_api_at_once(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    staff_id = await _user_id(api, white_label, staff)
    async with signed_in_client(api_url, mail_sink, staff) as browser:
        before = await browser.get("/console/customers")
        removed = await api.delete(f"/v1/users/{staff_id}", headers=white_label.headers)
        after = await browser.get("/console/customers", follow_redirects=False)
    key = await api.get("/v1/customers", headers=white_label.staff_headers)
    listed = await api.get("/v1/users", headers=white_label.headers)
    trail = await api.get(
        "/v1/audit",
        params={"since": "2000-01-01T00:00:00Z", "action": "user.removed"},
        headers=white_label.headers,
    )

    assert before.status_code == 200
    assert removed.status_code == 204
    assert after.status_code == 303
    assert after.headers["location"] == "/console/sign-in"
    assert key.status_code == 401
    assert staff not in [user["email"] for user in listed.json()["users"]]
    [entry] = trail.json()["events"]
    assert entry["actor"] == f"wl_user:{white_label.admin_user_id}"


async def test_a_removed_user_can_be_invited_back(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    staff_id = await _user_id(api, white_label, staff)
    await api.delete(f"/v1/users/{staff_id}", headers=white_label.headers)
    back = await api.post(
        "/v1/users", json={"email": staff, "role": "administrator"}, headers=white_label.headers
    )
    link = await sign_in_link(mail_sink, staff)

    assert back.status_code == 201
    assert back.json()["id"] == staff_id
    assert back.json()["role"] == "administrator"
    assert link.sign_in_id


async def test_another_white_labels_user_is_not_found(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    other = await make_white_label(sessions)
    target = white_label.admin_user_id
    answers = [
        await api.patch(f"/v1/users/{target}", json={"role": "staff"}, headers=other.headers),
        await api.delete(f"/v1/users/{target}", headers=other.headers),
        await api.post(f"/v1/users/{target}/sessions/end", headers=other.headers),
    ]
    still = await api.get("/v1/customers", headers=white_label.headers)

    assert [answer.status_code for answer in answers] == [404] * 3
    assert still.status_code == 200


async def test_ending_a_users_sessions_signs_them_out_everywhere(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    staff_id = await _user_id(api, white_label, staff)
    async with (
        signed_in_client(api_url, mail_sink, staff) as first,
        signed_in_client(api_url, mail_sink, staff) as second,
    ):
        ended = await api.post(f"/v1/users/{staff_id}/sessions/end", headers=white_label.headers)
        answers = [
            await browser.get("/console/customers", follow_redirects=False)
            for browser in (first, second)
        ]
    key_still_works = await api.get("/v1/customers", headers=white_label.staff_headers)

    assert ended.status_code == 200
    assert ended.json()["sessions_ended"] == 2
    assert [answer.status_code for answer in answers] == [303, 303]
    assert key_still_works.status_code == 200
