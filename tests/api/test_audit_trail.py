"""The audit trail: every action on a customer, who took it, and who read the customer's data."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete, select, update

from devstack.mailsink import MailSink
from store.audit import AuditTrailIsAppendOnly
from store.engine import SessionFactory
from store.schema import AuditEntry
from tests.conftest import WhiteLabelFixture, customer_request, make_white_label
from tests.support.self_serve_helpers import (
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    activated_signup,
    pay,
    start_signup,
    until_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def events_of(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str
) -> list[dict[str, object]]:
    response = await api.get(f"/v1/customers/{customer_id}/events", headers=white_label.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, object]] = response.json()["events"]
    return events


async def test_a_wl_managed_customers_events_tell_who_did_what_in_order(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    created = await api.post(
        "/v1/customers",
        json=customer_request(numbers={"count": 1}),
        headers=white_label.headers,
    )
    assert created.status_code == 201, created.text

    events = await events_of(api, white_label, created.json()["customer_id"])

    actions = [event["action"] for event in events]
    assert actions[0] == "customer.created"
    assert events[0]["actor"] == f"wl_user:{white_label.admin_user_id}"
    for step in (
        "wl_ledger.debited",
        "account_administrator.added",
        "numbers.allocated",
        "customer.active",
        "email.sent",
    ):
        assert step in actions, actions
    assert actions.index("customer.active") < actions.index("email.sent")
    times = [str(event["at"]) for event in events]
    assert times == sorted(times)


async def test_a_self_serve_signup_records_its_resend_and_cancel_by_the_administrator(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    path = f"/v1/customers/{signup.customer_id}"
    resent = await api.post(f"{path}/activation-email", headers=white_label.headers)
    assert resent.status_code == 202
    cancelled = await api.post(f"{path}/cancel", headers=white_label.headers)
    assert cancelled.status_code == 200
    await until_status(api, white_label, signup.customer_id, "cancelled")

    events = await events_of(api, white_label, signup.customer_id)

    by_action = {str(event["action"]): event for event in events}
    admin = f"wl_user:{white_label.admin_user_id}"
    assert by_action["activation.resend_requested"]["actor"] == admin
    assert by_action["signup.cancel_requested"]["actor"] == admin
    assert by_action["customer.cancelled"]["actor"] == "system:workflow"
    assert "email.sent" in by_action


async def test_activation_a_declined_card_and_the_payment_are_on_the_trail(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink, localstripe: str
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    assert (await pay(api, localstripe, link, CARD_DECLINED_ON_CHARGE))["status"] == "declined"
    assert (await pay(api, localstripe, link, CARD_OK))["status"] == "succeeded"
    await until_status(api, white_label, signup.customer_id, "active")

    actions = [event["action"] for event in await events_of(api, white_label, signup.customer_id)]

    expected = [
        "customer.created",
        "customer.awaiting_payment",
        "payment.attempted",
        "payment.declined",
        "payment.attempted",
        "payment.received",
        "customer.active",
    ]
    assert [action for action in actions if action in expected] == expected


async def test_reading_a_customer_records_who_was_shown_its_contact_data(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)
    await api.get(f"/v1/customers/{signup.customer_id}", headers=white_label.staff_headers)
    await api.get("/v1/customers", headers=white_label.headers)

    reads = [
        event
        for event in await events_of(api, white_label, signup.customer_id)
        if event["action"] == "customer.read"
    ]

    assert [read["detail"] for read in reads] == [
        {"route": "GET /v1/customers/{id}"},
        {"route": "GET /v1/customers"},
    ]
    staff, admin = (str(read["actor"]) for read in reads)
    assert staff.startswith("wl_user:")
    assert staff != f"wl_user:{white_label.admin_user_id}"
    assert admin == f"wl_user:{white_label.admin_user_id}"


async def test_an_action_answering_with_the_customer_records_the_read_too(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)
    resent = await api.post(
        f"/v1/customers/{signup.customer_id}/activation-email", headers=white_label.headers
    )
    converted = await api.post(
        f"/v1/customers/{signup.customer_id}/convert-to-wl-managed", headers=white_label.headers
    )
    assert (resent.status_code, converted.status_code) == (202, 200)
    assert converted.json()["contact"]["email"] == signup.email

    events = await events_of(api, white_label, signup.customer_id)

    reads = [event["detail"] for event in events if event["action"] == "customer.read"]
    assert reads == [
        {"route": "POST /v1/customers/{id}/activation-email"},
        {"route": "POST /v1/customers/{id}/convert-to-wl-managed"},
    ]
    actions = [event["action"] for event in events]
    assert actions.index("signup.conversion_requested") < actions.index("customer.converted")
    converted_by = next(event for event in events if event["action"] == "customer.converted")
    assert converted_by["actor"] == f"wl_user:{white_label.admin_user_id}"


async def test_the_trail_pages_from_a_time_and_shows_only_the_callers_white_label(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    mine = await make_white_label(sessions)
    theirs = await make_white_label(sessions)
    since = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    for white_label in (mine, theirs, mine):
        response = await api.post(
            "/v1/customers", json=customer_request(), headers=white_label.headers
        )
        assert response.status_code == 201

    whole = await api.get("/v1/audit", params={"since": since, "limit": 1000}, headers=mine.headers)
    paged: list[dict[str, object]] = []
    params: dict[str, str | int] = {"since": since, "limit": 3}
    while True:
        page = (await api.get("/v1/audit", params=params, headers=mine.headers)).json()
        paged += page["events"]
        if page["next"] is None:
            break
        params = {"after": page["next"], "limit": 3}

    events = whole.json()["events"]
    assert paged == events
    assert len({event["id"] for event in events}) == len(events)
    created = [event for event in events if event["action"] == "customer.created"]
    assert len(created) == 2
    assert {event["actor"] for event in created} == {f"wl_user:{mine.admin_user_id}"}


async def test_a_cursor_the_api_did_not_give_out_is_refused_naming_the_field(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    response = await api.get(
        "/v1/audit", params={"after": "bm90LWEtY3Vyc29y"}, headers=white_label.headers
    )

    assert response.status_code == 422
    assert [field["path"] for field in response.json()["error"]["fields"]] == ["after"]


async def test_audit_rows_cannot_be_changed_or_deleted_through_the_app(
    api: httpx.AsyncClient, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    signup = await start_signup(api, white_label)
    customer_id = uuid.UUID(signup.customer_id)
    async with sessions() as session:
        before = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.customer_id == customer_id))
        )

    async def change_one() -> None:
        async with sessions.begin() as session:
            entry = await session.get_one(AuditEntry, before[0].id)
            entry.action = "customer.nothing_happened"

    async def delete_one() -> None:
        async with sessions.begin() as session:
            await session.delete(await session.get_one(AuditEntry, before[0].id))

    async def rewrite_all() -> None:
        async with sessions.begin() as session:
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.customer_id == customer_id)
                .values(actor="someone else")
            )

    async def delete_all() -> None:
        async with sessions.begin() as session:
            await session.execute(delete(AuditEntry).where(AuditEntry.customer_id == customer_id))

    for attempt in (change_one, delete_one, rewrite_all, delete_all):
        with pytest.raises(AuditTrailIsAppendOnly):
            await attempt()

    async with sessions() as session:
        after = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.customer_id == customer_id))
        )
    # Rows may have been added since (the activation email), never changed or removed.
    kept = {row.id: (row.actor, row.action) for row in after}
    assert {row.id: kept.get(row.id) for row in before} == {
        row.id: (row.actor, row.action) for row in before
    }
