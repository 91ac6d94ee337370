"""A WL administrator hands a WL-managed account's administration to the customer by invitation."""

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.activation import LinkPurpose, activation_token
from domain.handover import HandoverState, handover_workflow_id
from domain.settings import Settings
from starter.handover import Handovers
from store.engine import SessionFactory
from store.schema import AuditEntry, WebhookEvent
from tests.conftest import WhiteLabelFixture
from tests.support.handover_helpers import invitation_in, invitations_to, managed_customer
from tests.support.histories_helpers import assert_replays
from tests.support.self_serve_helpers import customer, emailed_link, mails_to, start_signup, text_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def invite(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str
) -> httpx.Response:
    return await api.post(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)


async def handover_of(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str
) -> dict[str, object]:
    response = await api.get(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)
    assert response.status_code == 200, response.text
    view: dict[str, object] = response.json()
    return view


async def until_handover(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str, state: str
) -> dict[str, object]:
    deadline = time.monotonic() + 20
    view: dict[str, object] = {}
    while time.monotonic() < deadline:
        view = await handover_of(api, white_label, customer_id)
        if view["state"] == state:
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"hand-over is {view.get('state')}, expected {state}")


async def test_customer_accepts_the_invitation_and_becomes_account_administrator(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    client: Client,
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    assert (await handover_of(api, white_label, customer_id))["state"] == "not_invited"

    invited = await invite(api, white_label, customer_id)

    assert invited.status_code == 202, invited.text
    assert invited.json()["state"] == "invited"
    assert invited.json()["expires_at"] is not None
    [email] = await mails_to(mail_sink, contact, 1)
    assert email["Subject"].startswith("Take over the administration of your Reseller")
    assert "works once" in text_of(email)
    invitation = invitation_in(email)
    assert invitation.customer_id == customer_id

    page = await api.get(invitation.path, params={"token": invitation.token})
    assert page.status_code == 200
    assert "Accept and administer my account" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    still = await customer(api, white_label, customer_id)
    assert still["account_administrators"] == [
        {"email": white_label.admin_email, "kind": "wl_administrator"}
    ]

    accepted = await api.post(invitation.path, data={"token": invitation.token})

    assert accepted.status_code == 200, accepted.text
    assert "You are now the Account Administrator" in accepted.text
    view = await customer(api, white_label, customer_id)
    assert view["account_administrators"] == [{"email": contact, "kind": "customer_contact"}]
    assert view["billing"]["mode"] == "wl_account"
    assert (await until_handover(api, white_label, customer_id, "accepted"))["state"] == "accepted"

    again = await api.post(invitation.path, data={"token": invitation.token})
    assert again.status_code == 404
    reopened = await api.get(invitation.path, params={"token": invitation.token})
    assert reopened.status_code == 404
    assert "invitation link" in reopened.text

    welcome = await mails_to(mail_sink, contact, 2)
    assert welcome[1]["Subject"].startswith("You now administer your Reseller")
    notices = await mails_to(mail_sink, white_label.admin_email, 2)
    assert notices[1]["Subject"].startswith("Administration handed over")

    async with sessions() as session:
        handed = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.customer_id == uuid.UUID(customer_id),
                AuditEntry.action == "account_administrator.handed_over",
            )
        )
        events = list(
            await session.scalars(
                select(WebhookEvent.type).where(WebhookEvent.customer_id == uuid.UUID(customer_id))
            )
        )
    assert handed is not None
    assert handed.actor == "customer:contact"
    assert "customer.handed_over" in events

    once_more = await invite(api, white_label, customer_id)
    assert once_more.status_code == 409
    assert once_more.json()["error"]["type"] == "AlreadyHandedOver"

    handle = client.get_workflow_handle(handover_workflow_id(uuid.UUID(customer_id)))
    assert (await handle.result())["state"] == "accepted"
    await assert_replays(await handle.fetch_history(), "handover_accepted")


async def test_a_new_invitation_replaces_the_last_link(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    assert (await invite(api, white_label, customer_id)).status_code == 202
    [first] = await invitations_to(mail_sink, contact, 1)

    assert (await invite(api, white_label, customer_id)).status_code == 202
    second = (await invitations_to(mail_sink, contact, 2))[1]

    assert second.token != first.token
    assert (await api.get(first.path, params={"token": first.token})).status_code == 404
    assert (await api.post(first.path, data={"token": first.token})).status_code == 404
    assert (await api.get(second.path, params={"token": second.token})).status_code == 200
    view = await until_handover(api, white_label, customer_id, "invited")
    assert view["invitations_sent"] == 2


async def test_an_activation_token_opens_no_invitation_nor_the_other_way_round(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    settings: Settings,
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    assert (await invite(api, white_label, customer_id)).status_code == 202
    [invitation] = await invitations_to(mail_sink, contact, 1)
    secret = settings.required_activation_secret()
    version = int(invitation.token[1:].split(".")[0])
    activation_kind = activation_token(secret, uuid.UUID(customer_id), version)
    assert activation_token(secret, uuid.UUID(customer_id), version, LinkPurpose.HANDOVER) == (
        invitation.token
    )
    tampered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")

    for token in (activation_kind, tampered, "v1.x"):
        page = await api.get(invitation.path, params={"token": token})
        pressed = await api.post(invitation.path, data={"token": token})
        assert (page.status_code, pressed.status_code) == (404, 404)
    at_activation = await api.get(f"/activate/{customer_id}", params={"token": invitation.token})
    assert at_activation.status_code == 404
    view = await customer(api, white_label, customer_id)
    assert [admin["kind"] for admin in view["account_administrators"]] == ["wl_administrator"]


async def test_a_withdrawn_invitation_stops_working_and_the_wl_stays_administrator(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    assert (await invite(api, white_label, customer_id)).status_code == 202
    [invitation] = await invitations_to(mail_sink, contact, 1)

    cancelled = await api.post(
        f"/v1/customers/{customer_id}/handover/cancel", headers=white_label.headers
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert (await api.post(invitation.path, data={"token": invitation.token})).status_code == 404
    view = await customer(api, white_label, customer_id)
    assert [admin["kind"] for admin in view["account_administrators"]] == ["wl_administrator"]
    async with sessions() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.customer_id == uuid.UUID(customer_id))
                .order_by(AuditEntry.id)
            )
        )
    assert "handover.cancel_requested" in actions
    assert "handover.cancelled" in actions
    again = await api.post(
        f"/v1/customers/{customer_id}/handover/cancel", headers=white_label.headers
    )
    assert again.status_code == 409


async def test_an_invitation_nobody_accepts_expires_the_wl_is_told_and_may_invite_again(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    settings: Settings,
) -> None:
    customer_id, contact = await managed_customer(api, white_label)
    short = Handovers(
        client, sessions, settings.model_copy(update={"handover_ttl": timedelta(seconds=2)})
    )

    await short.invite(white_label.caller, uuid.UUID(customer_id))
    [expired_link] = await invitations_to(mail_sink, contact, 1)
    handle = client.get_workflow_handle(handover_workflow_id(uuid.UUID(customer_id)))
    assert (await handle.result())["state"] == HandoverState.EXPIRED.value

    assert (
        await api.get(expired_link.path, params={"token": expired_link.token})
    ).status_code == 404
    notices = await mails_to(mail_sink, white_label.admin_email, 2)
    assert notices[1]["Subject"].startswith("Invitation to administer expired")
    assert (await handover_of(api, white_label, customer_id))["state"] == "expired"

    renewed = await invite(api, white_label, customer_id)

    assert renewed.status_code == 202
    assert renewed.json()["state"] == "invited"
    fresh = (await invitations_to(mail_sink, contact, 2))[1]
    assert fresh.token != expired_link.token
    assert (
        await api.post(expired_link.path, data={"token": expired_link.token})
    ).status_code == 404
    assert (await api.post(fresh.path, data={"token": fresh.token})).status_code == 200
    view = await customer(api, white_label, customer_id)
    assert view["account_administrators"] == [{"email": contact, "kind": "customer_contact"}]


async def test_a_pending_self_serve_signup_cannot_be_handed_over(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)

    response = await invite(api, white_label, signup.customer_id)

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "AccountNotHandoverable"


async def test_a_converted_signup_is_handed_back_to_the_customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    activation = await emailed_link(mail_sink, signup.email)
    converted = await api.post(
        f"/v1/customers/{signup.customer_id}/convert-to-wl-managed", headers=white_label.headers
    )
    assert converted.status_code == 200, converted.text

    assert (await invite(api, white_label, signup.customer_id)).status_code == 202
    [invitation] = await invitations_to(mail_sink, signup.email, 3)
    accepted = await api.post(invitation.path, data={"token": invitation.token})

    assert accepted.status_code == 200
    view = await customer(api, white_label, signup.customer_id)
    assert view["path"] == "wl_managed"
    assert view["billing"]["mode"] == "wl_account"
    assert view["account_administrators"] == [{"email": signup.email, "kind": "customer_contact"}]
    old = await api.post(activation.path, data={"token": activation.token})
    assert old.status_code == 404
