"""The console's Users and Account pages: administrators invite, re-role and remove users
through the same service as /v1/users; anyone signs themselves out everywhere."""

import re
import uuid

import httpx
import pytest

from devstack.mailsink import MailSink
from tests.conftest import WhiteLabelFixture, api_client
from tests.support.console_helpers import (
    form_token_in,
    sign_in_link,
    signed_in_client,
    staff_email,
    use_link,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _user_link(page: str, email: str) -> str:
    match = re.search(r'href="(/console/users/[0-9a-f-]{36})">' + re.escape(email), page)
    assert match is not None, f"no link to {email}"
    return match.group(1)


async def test_an_administrator_invites_a_user_who_signs_in_from_the_email(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    email = f"desk-{uuid.uuid4().hex[:6]}@reseller.example.com"
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        form = await console.get("/console/users/invite")
        sent = await console.post(
            "/console/users/invite",
            data={"csrf_token": form_token_in(form.text), "email": email, "role": "staff"},
        )
        listed = await console.get(sent.headers["location"])
    link = await sign_in_link(mail_sink, email)
    async with api_client(api_url) as newcomer:
        signed_in = await use_link(newcomer, link)
        customers = await newcomer.get("/console/customers")
        users = await newcomer.get("/console/users")

    assert form.status_code == 200
    assert sent.status_code == 303
    assert "The invitation was sent." in listed.text
    assert email in listed.text
    assert "Invited, link works until" in listed.text
    assert signed_in.status_code == 303
    assert customers.status_code == 200
    assert 'href="/console/users"' not in customers.text  # staff see no Users page
    assert users.status_code == 403


async def test_an_invitation_form_shows_each_mistake_beside_its_field(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        form = await console.get("/console/users/invite")
        token = form_token_in(form.text)
        empty = await console.post("/console/users/invite", data={"csrf_token": token})
        taken = await console.post(
            "/console/users/invite",
            data={"csrf_token": token, "email": white_label.admin_email, "role": "staff"},
        )
        forged = await console.post(
            "/console/users/invite", data={"email": "x@example.com", "role": "staff"}
        )

    assert empty.status_code == 422
    assert 'id="f-email-error">Enter the email address to invite' in empty.text
    assert "Choose Administrator or Staff" in empty.text
    assert 'href="#f-email"' in empty.text
    assert taken.status_code == 409
    assert "is already a user" in taken.text
    assert forged.status_code == 403


async def test_the_last_administrator_is_told_why_they_cannot_step_down(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        users = await console.get("/console/users")
        me = _user_link(users.text, white_label.admin_email)
        page = await console.get(me)
        refused = await console.post(
            f"{me}/role", data={"csrf_token": form_token_in(page.text), "role": "staff"}
        )
        removal = await console.post(
            f"{me}/remove", data={"csrf_token": form_token_in(page.text), "action": "confirm"}
        )

    assert refused.status_code == 409
    assert "Not done:</strong> the last administrator cannot be made staff" in refused.text
    assert removal.status_code == 409
    assert "cannot be removed" in removal.text


async def test_removing_a_user_ends_their_sessions_at_once(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    async with (
        signed_in_client(api_url, mail_sink, staff) as staff_console,
        signed_in_client(api_url, mail_sink, white_label.admin_email) as console,
    ):
        user_page = _user_link((await console.get("/console/users")).text, staff)
        confirm = await console.get(f"{user_page}/remove")
        removed = await console.post(
            f"{user_page}/remove",
            data={"csrf_token": form_token_in(confirm.text), "action": "confirm"},
        )
        listed = await console.get(removed.headers["location"])
        staff_after = await staff_console.get("/console/customers", follow_redirects=False)

    assert "can no longer sign in" in confirm.text
    assert removed.status_code == 303
    assert "The user was removed" in listed.text
    assert staff not in listed.text
    assert staff_after.status_code == 303
    assert staff_after.headers["location"] == "/console/sign-in"


async def test_anyone_signs_themselves_out_everywhere_from_their_account(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    staff = staff_email(white_label.admin_email)
    async with (
        signed_in_client(api_url, mail_sink, staff) as laptop,
        signed_in_client(api_url, mail_sink, staff) as phone,
    ):
        account = await phone.get("/console/account")
        out = await phone.post(
            "/console/account/sign-out-everywhere",
            data={"csrf_token": form_token_in(account.text)},
        )
        answers = [
            await browser.get("/console/customers", follow_redirects=False)
            for browser in (laptop, phone)
        ]

    assert account.status_code == 200
    assert "Open sessions</dt><dd>2" in account.text
    assert out.status_code == 303
    assert [answer.headers["location"] for answer in answers] == ["/console/sign-in"] * 2


async def test_an_administrator_makes_a_key_sees_it_once_and_revokes_it(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/api-keys")
        form_id = re.search(r'name="form_id" value="([^"]+)"', page.text)
        assert form_id is not None
        form = {
            "csrf_token": form_token_in(page.text),
            "form_id": form_id.group(1),
            "name": "CRM sync",
            "role": "staff",
        }
        made = await console.post("/console/api-keys", data=form)
        sent_again = await console.post("/console/api-keys", data=form)
        match = re.search(r'<code id="new-key">(wlk_[^<]+)</code>', made.text)
        assert match is not None
        secret = match.group(1)
        works = await api.get("/v1/customers", headers={"Authorization": f"Bearer {secret}"})
        listed = await console.get("/console/api-keys")
        revoke_link = re.search(r'href="(/console/api-keys/[0-9a-f-]{36}/revoke)"', listed.text)
        assert revoke_link is not None
        confirm = await console.get(revoke_link.group(1))
        revoked = await console.post(
            revoke_link.group(1),
            data={"csrf_token": form_token_in(confirm.text), "action": "confirm"},
        )
        after = await console.get(revoked.headers["location"])
    refused = await api.get("/v1/customers", headers={"Authorization": f"Bearer {secret}"})

    assert made.status_code == 200
    assert "the only time it is shown" in made.text
    assert "This form was sent before" in sent_again.text
    assert 'id="new-key"' not in sent_again.text
    assert listed.text.count('<td data-label="Name">CRM sync</td>') == 1
    assert works.status_code == 200
    assert "CRM sync" in listed.text
    assert secret not in listed.text
    assert "Revoked" in after.text
    assert refused.status_code == 401


async def test_a_key_form_names_what_is_missing_and_staff_are_refused(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/api-keys")
        empty = await console.post(
            "/console/api-keys", data={"csrf_token": form_token_in(page.text), "name": " "}
        )
    async with signed_in_client(api_url, mail_sink, staff_email(white_label.admin_email)) as staff:
        refused = await staff.get("/console/api-keys")

    assert empty.status_code == 422
    assert "Give the key a name" in empty.text
    assert "Choose Administrator or Staff" in empty.text
    assert refused.status_code == 403
    assert "Only Administrators can manage API keys." in refused.text
