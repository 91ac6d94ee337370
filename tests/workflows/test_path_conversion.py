"""A WL administrator takes a pending self-serve signup over: it becomes WL-managed at once."""

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.signup import workflow_id_for
from store.engine import SessionFactory
from store.schema import AuditEntry, PhoneNumber, WebhookEvent, WlLedgerEntry
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.histories_helpers import assert_replays
from tests.support.self_serve_helpers import (
    CARD_3DS,
    CARD_OK,
    activated_signup,
    customer,
    emailed_link,
    intents_of,
    mails_to,
    pay,
    start_signup,
    text_of,
    until_status,
)
from workflows import search_attributes

pytestmark = pytest.mark.asyncio(loop_scope="session")


def convert_url(customer_id: str) -> str:
    return f"/v1/customers/{customer_id}/convert-to-wl-managed"


async def test_admin_converts_a_pending_self_serve_signup_to_wl_managed(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    client: Client,
) -> None:
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)

    response = await api.post(
        convert_url(signup.customer_id),
        json={"numbers": {"count": 2}, "pbx_settings": {"timezone": "Pacific/Auckland"}},
        headers=white_label.headers,
    )

    assert response.status_code == 200, response.text
    view = response.json()
    assert view["path"] == "wl_managed"
    assert view["status"] == "active"
    assert view["account_administrators"] == [
        {"email": white_label.admin_email, "kind": "wl_administrator"}
    ]
    assert view["billing"] == {
        "mode": "wl_account",
        "charged": "74.00",
        "currency": "NZD",
        "balance": None,
    }
    assert len(view["numbers"]) == 2
    assert view["pbx_settings"]["outbound_caller_id"] == view["numbers"][0]
    assert view["activation_expires_at"] is None
    assert view["activated_at"] is not None

    page = await api.get(link.path, params={"token": link.token})
    assert page.status_code == 404
    assert "not valid" in page.text
    pressed = await api.post(link.path, data={"token": link.token})
    assert pressed.status_code == 404

    customer_mails = await mails_to(mail_sink, signup.email, 2)
    assert "no longer works" in text_of(customer_mails[1])
    [confirmation] = await mails_to(mail_sink, white_label.admin_email, 1)
    assert confirmation["Subject"].startswith("Customer account active")

    handle = client.get_workflow_handle(workflow_id_for(uuid.UUID(signup.customer_id)))
    assert (await handle.result())["status"] == "active"
    described = await handle.describe()
    attributes = described.typed_search_attributes
    assert attributes.get(search_attributes.SIGNUP_PATH) == "wl_managed"
    assert attributes.get(search_attributes.SIGNUP_STATUS) == "active"
    await assert_replays(await handle.fetch_history(), "self_serve_converted")

    async with sessions() as session:
        converted = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.customer_id == uuid.UUID(signup.customer_id),
                AuditEntry.action == "customer.converted",
            )
        )
        events = list(
            await session.scalars(
                select(WebhookEvent.type)
                .where(WebhookEvent.customer_id == uuid.UUID(signup.customer_id))
                .order_by(WebhookEvent.sequence)
            )
        )
    assert converted is not None
    assert converted.actor == f"wl_user:{white_label.admin_user_id}"
    assert converted.detail == {"path": "wl_managed", "from_status": "awaiting_activation"}
    assert events[-2:] == ["customer.converted", "customer.active"]


async def test_conversion_refused_for_unavailable_numbers_changes_nothing_and_the_link_still_works(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)
    wanted = [white_label.numbers[0], "+6499999999"]

    response = await api.post(
        convert_url(signup.customer_id),
        json={"numbers": {"numbers": wanted}},
        headers=white_label.headers,
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "NumbersUnavailable"
    assert "+6499999999" in error["message"]
    view = await customer(api, white_label, signup.customer_id)
    assert (view["path"], view["status"]) == ("self_serve", "awaiting_activation")
    assert view["account_administrators"] == []
    assert view["numbers"] == []
    async with sessions() as session:
        charges = list(
            await session.scalars(
                select(WlLedgerEntry).where(
                    WlLedgerEntry.customer_id == uuid.UUID(signup.customer_id)
                )
            )
        )
        first_number = await session.scalar(
            select(PhoneNumber).where(PhoneNumber.e164 == white_label.numbers[0])
        )
    assert charges == []
    assert first_number is not None
    assert first_number.customer_id is None

    activated = await api.post(link.path, data={"token": link.token})
    assert activated.status_code == 200
    assert "card-element" in activated.text


async def test_conversion_over_the_credit_limit_is_refused_with_the_reason(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    poor = await make_white_label(sessions, credit_limit=Decimal("50.00"))
    signup = await start_signup(api, poor)

    response = await api.post(convert_url(signup.customer_id), headers=poor.headers)

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "CreditLimitExceeded"
    assert (await customer(api, poor, signup.customer_id))["status"] == "awaiting_activation"


async def test_converting_while_the_customer_pays_cancels_the_open_card_payment(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    answer = await pay(api, localstripe, link, CARD_3DS)
    assert answer["status"] == "requires_action"

    response = await api.post(convert_url(signup.customer_id), headers=white_label.headers)

    assert response.status_code == 200, response.text
    assert response.json()["billing"]["mode"] == "wl_account"
    status = await api.post(f"{link.path}/status", json={"token": link.token})
    assert status.status_code == 404
    await until_status(api, white_label, signup.customer_id, "active")
    for _ in range(100):
        intents = await intents_of(localstripe, signup.customer_id)
        if intents and all(intent.status == "canceled" for intent in intents):
            break
        await asyncio.sleep(0.1)
    assert [intent.status for intent in intents] == ["canceled"]


async def test_a_signup_the_customer_paid_for_cannot_be_converted(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    assert (await pay(api, localstripe, link, CARD_OK))["status"] == "succeeded"
    await until_status(api, white_label, signup.customer_id, "active")

    response = await api.post(convert_url(signup.customer_id), headers=white_label.headers)

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "SignupNotPending"
    view = await customer(api, white_label, signup.customer_id)
    assert view["billing"]["mode"] == "customer_card"


async def test_staff_cannot_convert_a_signup(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)

    response = await api.post(convert_url(signup.customer_id), headers=white_label.staff_headers)

    assert response.status_code == 403
    assert (await customer(api, white_label, signup.customer_id))["path"] == "self_serve"


async def test_a_wl_managed_customer_cannot_be_converted_again(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)
    first = await api.post(convert_url(signup.customer_id), headers=white_label.headers)
    assert first.status_code == 200

    again = await api.post(convert_url(signup.customer_id), headers=white_label.headers)

    assert again.status_code == 409
    assert again.json()["error"]["type"] == "SignupNotPending"
    charged = (await customer(api, white_label, signup.customer_id))["billing"]["charged"]
    assert charged == "74.00"
