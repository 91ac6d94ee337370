"""What an administrator does to one customer from its console page: each action asks first,
then calls the API's own service; refusals give the API's reason; staff cannot act."""

import httpx
import pytest

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email
from tests.support.handover_helpers import invitations_to, managed_customer
from tests.support.self_serve_helpers import customer, mails_to, start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def act(
    console: httpx.AsyncClient, customer_id: str, slug: str, **fields: str
) -> tuple[httpx.Response, httpx.Response]:
    """Opens the action's page and confirms it; returns both answers."""
    page = await console.get(f"/console/customers/{customer_id}/actions/{slug}")
    data = {"csrf_token": form_token_in(page.text), "action": "confirm", **fields}
    done = await console.post(f"/console/customers/{customer_id}/actions/{slug}", data=data)
    return page, done


async def test_resending_the_activation_email_sends_a_new_link(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    await mails_to(mail_sink, signup.email, 1)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        shown = await console.get(f"/console/customers/{signup.customer_id}")
        page, done = await act(console, signup.customer_id, "resend-activation")
        after = await console.get(done.headers["location"])

    assert ">Resend activation email</a>" in shown.text
    assert "the link sent before stops working" in page.text
    assert done.status_code == 303
    assert "A new activation email was sent." in after.text
    assert "The administrator asked to resend the activation email" in after.text
    await mails_to(mail_sink, signup.email, 2)


async def test_cancelling_a_pending_signup_ends_it(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        _, done = await act(console, signup.customer_id, "cancel-signup")
        after = await console.get(done.headers["location"])

    assert done.status_code == 303
    assert "The signup was cancelled." in after.text
    assert (await customer(api, white_label, signup.customer_id))["status"] == "cancelled"
    assert ">Cancel signup</a>" not in after.text


async def test_converting_asks_for_numbers_with_the_apis_messages_then_charges_the_wl(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page, refused = await act(console, signup.customer_id, "convert", **{"numbers.count": "0"})
        _, done = await act(console, signup.customer_id, "convert", **{"numbers.count": "2"})

    assert "74.00 NZD" in page.text
    assert refused.status_code == 422
    assert 'id="f-numbers-count-error">Input should be greater than or equal to 1</p>' in (
        refused.text
    )
    assert done.status_code == 303
    view = await customer(api, white_label, signup.customer_id)
    assert view["status"] == "active"
    assert view["path"] == "wl_managed"
    assert len(view["numbers"]) == 2
    assert view["billing"]["charged"] == "74.00"


async def test_inviting_the_customer_to_administer_and_withdrawing_it(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        _, invited = await act(console, customer_id, "invite")
        after_invite = await console.get(invited.headers["location"])
        _, withdrawn = await act(console, customer_id, "cancel-invitation")
        after_withdraw = await console.get(withdrawn.headers["location"])

    assert invited.status_code == withdrawn.status_code == 303
    assert len(await invitations_to(mail_sink, contact, 1)) == 1
    assert ">Cancel invitation</a>" in after_invite.text
    assert "The invitation was withdrawn." in after_withdraw.text
    assert "The administrator withdrew the invitation to administer" in after_withdraw.text
    state = await api.get(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)
    assert state.json()["state"] == "cancelled"


async def test_an_action_the_customer_is_not_in_for_says_so_with_the_apis_reason(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    customer_id, _ = await managed_customer(api, white_label)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page, refused = await act(console, customer_id, "resend-activation")
        shown = await console.get(f"/console/customers/{customer_id}")

    assert page.status_code == 409
    assert "not possible for this customer now" in page.text
    assert refused.status_code == 409
    assert "cannot resend the activation email: the signup is wl_managed, active" in refused.text
    assert ">Resend activation email</a>" not in shown.text


async def test_staff_see_no_actions_and_cannot_act(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    signup = await start_signup(api, white_label)
    async with signed_in_client(
        api_url, mail_sink, staff_email(white_label.admin_email)
    ) as console:
        shown = await console.get(f"/console/customers/{signup.customer_id}")
        page = await console.get(f"/console/customers/{signup.customer_id}/actions/cancel-signup")
        posted = await console.post(
            f"/console/customers/{signup.customer_id}/actions/cancel-signup",
            data={"csrf_token": form_token_in(shown.text), "action": "confirm"},
        )

    assert shown.status_code == 200
    assert 'aria-label="Actions"' not in shown.text
    assert page.status_code == posted.status_code == 403
    assert (await customer(api, white_label, signup.customer_id))["status"] == (
        "awaiting_activation"
    )


async def test_another_white_labels_customer_and_a_form_without_its_token_are_refused(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    other = await make_white_label(sessions)
    theirs = await start_signup(api, other)
    mine = await start_signup(api, white_label)
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        foreign = await console.get(
            f"/console/customers/{theirs.customer_id}/actions/cancel-signup"
        )
        tokenless = await console.post(
            f"/console/customers/{mine.customer_id}/actions/cancel-signup",
            data={"action": "confirm"},
        )

    assert foreign.status_code == 404
    assert tokenless.status_code == 403
    assert (await customer(api, other, theirs.customer_id))["status"] == "awaiting_activation"
    assert (await customer(api, white_label, mine.customer_id))["status"] == "awaiting_activation"
