"""A WL administrator creates a customer on the customer's behalf, through the API."""

import asyncio
import dataclasses
import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus, NumberStatus
from domain.settings import Settings
from starter.signups import SignupService
from store.engine import SessionFactory
from store.schema import (
    AccountAdministrator,
    AuditEntry,
    Customer,
    CustomerPbxSettings,
    PhoneNumber,
    WlLedgerEntry,
)
from tests.conftest import (
    WhiteLabelFixture,
    customer_request,
    make_white_label,
    start_temporal,
)
from workflows.wl_managed import WlManagedSignupWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def ledger_balance(sessions: SessionFactory, white_label_id: uuid.UUID) -> Decimal:
    async with sessions() as session:
        entries = list(
            await session.scalars(
                select(WlLedgerEntry.amount).where(WlLedgerEntry.white_label_id == white_label_id)
            )
        )
    return sum(entries, Decimal("0.00"))


async def free_numbers(sessions: SessionFactory, white_label_id: uuid.UUID) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).where(
                PhoneNumber.white_label_id == white_label_id,
                PhoneNumber.status == NumberStatus.AVAILABLE.value,
            )
        )
    return int(count or 0)


async def test_wl_managed_signup_provisions_an_active_customer(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    sessions: SessionFactory,
    mail_sink: MailSink,
) -> None:
    body = customer_request(
        numbers={"count": 2},
        pbx_settings={
            "timezone": "Pacific/Auckland",
            "language": "en-NZ",
            "voicemail": True,
            "call_recording": True,
            "extensions": [
                {"number": "100", "name": "Reception", "email": "desk@customer.example.com"},
                {"number": "101", "name": "Workshop"},
            ],
        },
    )

    response = await api.post("/v1/customers", json=body, headers=white_label.headers)

    assert response.status_code == 201, response.text
    view = response.json()
    customer_id = uuid.UUID(view["customer_id"])
    assert view["status"] == "active"
    assert view["path"] == "wl_managed"
    assert view["white_label_id"] == str(white_label.id)
    assert view["numbers"] == white_label.numbers[:2]
    assert view["account_administrators"] == [
        {"email": white_label.admin_email, "kind": "wl_administrator"}
    ]
    assert view["billing"] == {
        "mode": "wl_account",
        "charged": "74.00",
        "currency": "NZD",
        "balance": None,
    }
    assert view["service_address"] == view["address"]
    assert view["pbx_settings"]["outbound_caller_id"] == white_label.numbers[0]
    assert view["activated_at"] is not None
    assert view["failure"] is None
    assert view["workflow"]["id"] == f"customer-{customer_id}"
    assert view["workflow"]["temporal_ui_url"].endswith(f"/workflows/customer-{customer_id}")

    async with sessions() as session:
        customer = await session.get_one(Customer, customer_id)
        assert customer.status == "active"
        assert customer.contact is not None
        assert customer.contact["email"] == body["contact"]["email"]  # type: ignore[index]
        entries = list(
            await session.scalars(
                select(WlLedgerEntry).where(WlLedgerEntry.customer_id == customer_id)
            )
        )
        assert [(entry.amount, entry.currency) for entry in entries] == [(Decimal("74.00"), "NZD")]
        admins = list(
            await session.scalars(
                select(AccountAdministrator).where(AccountAdministrator.customer_id == customer_id)
            )
        )
        assert [(admin.email, admin.wl_user_id) for admin in admins] == [
            (white_label.admin_email, white_label.admin_user_id)
        ]
        assigned = list(
            await session.scalars(
                select(PhoneNumber.e164)
                .where(PhoneNumber.customer_id == customer_id)
                .order_by(PhoneNumber.e164)
            )
        )
        assert assigned == white_label.numbers[:2]
        pbx = await session.get_one(CustomerPbxSettings, customer_id)
        assert pbx.settings["timezone"] == "Pacific/Auckland"
        assert [extension["number"] for extension in pbx.settings["extensions"]] == ["100", "101"]
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.customer_id == customer_id)
                .order_by(AuditEntry.created_at)
            )
        )
    assert actions[0] == "customer.created"
    assert {"wl_ledger.debited", "numbers.allocated", "customer.active", "email.sent"} <= set(
        actions
    )

    mails = mail_sink.to(white_label.admin_email)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == f"Customer account active: {body['business']['name']}"  # type: ignore[index]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "74.00 NZD" in text
    assert white_label.numbers[0] in text
    assert mail.get_body(preferencelist=("html",)) is not None


async def test_explicitly_listed_numbers_are_assigned(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    wanted = [white_label.numbers[5], white_label.numbers[3]]
    body = customer_request(
        numbers={"numbers": wanted},
        pbx_settings={"timezone": "Pacific/Auckland", "outbound_caller_id": wanted[0]},
    )

    response = await api.post("/v1/customers", json=body, headers=white_label.headers)

    assert response.status_code == 201, response.text
    assert response.json()["numbers"] == sorted(wanted)
    assert response.json()["pbx_settings"]["outbound_caller_id"] == wanted[0]


async def test_credit_limit_exceeded_fails_the_signup_and_charges_nothing(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    white_label = await make_white_label(sessions, credit_limit=Decimal("100.00"))
    first = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    assert first.status_code == 201, first.text

    second = await api.post(
        "/v1/customers",
        json=customer_request(numbers={"count": 1}),
        headers=white_label.headers,
    )

    assert second.status_code == 422
    error = second.json()["error"]
    assert error["type"] == "CreditLimitExceeded"
    assert "148.00" in error["message"]
    assert "100.00" in error["message"]
    assert await ledger_balance(sessions, white_label.id) == Decimal("74.00")
    assert await free_numbers(sessions, white_label.id) == len(white_label.numbers)
    failed = await api.get("/v1/customers?status=failed", headers=white_label.headers)
    [customer] = failed.json()["customers"]
    assert customer["failure"]["type"] == "CreditLimitExceeded"
    assert customer["numbers"] == []
    assert customer["account_administrators"] == []
    assert customer["billing"]["charged"] == "0.00"


async def test_numbers_unavailable_undoes_the_charge_and_the_administrator(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    body = customer_request(numbers={"count": len(white_label.numbers) + 1})

    response = await api.post("/v1/customers", json=body, headers=white_label.headers)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "NumbersUnavailable"
    assert f"{len(white_label.numbers)} available" in error["message"]
    assert await ledger_balance(sessions, white_label.id) == Decimal("0.00")
    assert await free_numbers(sessions, white_label.id) == len(white_label.numbers)
    [customer] = (await api.get("/v1/customers?status=failed", headers=white_label.headers)).json()[
        "customers"
    ]
    assert customer["status"] == "failed"
    assert customer["failure"] == error
    assert customer["account_administrators"] == []
    async with sessions() as session:
        reversal = await session.scalar(
            select(func.count()).where(
                WlLedgerEntry.customer_id == uuid.UUID(customer["customer_id"]),
                WlLedgerEntry.amount < 0,
            )
        )
    assert reversal == 1


async def test_a_number_of_another_customer_is_unavailable(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    taken = white_label.numbers[0]
    first = await api.post(
        "/v1/customers",
        json=customer_request(numbers={"numbers": [taken]}),
        headers=white_label.headers,
    )
    assert first.status_code == 201, first.text

    second = await api.post(
        "/v1/customers",
        json=customer_request(numbers={"numbers": [taken, white_label.numbers[1]]}),
        headers=white_label.headers,
    )

    assert second.status_code == 422
    assert second.json()["error"]["type"] == "NumbersUnavailable"
    assert taken in second.json()["error"]["message"]
    assert await free_numbers(sessions, white_label.id) == len(white_label.numbers) - 1


async def test_unknown_plan_is_refused_before_anything_starts(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    response = await api.post(
        "/v1/customers",
        json=customer_request(plan_code="platinum"),
        headers=white_label.headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "PlanUnknown"
    assert "plan_code" in response.json()["error"]["message"]
    listed = await api.get("/v1/customers", headers=white_label.headers)
    assert listed.json()["customers"] == []


async def test_staff_user_cannot_create_customers(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    response = await api.post(
        "/v1/customers", json=customer_request(), headers=white_label.staff_headers
    )

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "Forbidden"
    assert (await api.get("/v1/customers", headers=white_label.headers)).json()["customers"] == []


async def test_staff_user_can_read_customers(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    created = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    customer_id = created.json()["customer_id"]

    response = await api.get(f"/v1/customers/{customer_id}", headers=white_label.staff_headers)

    assert response.status_code == 200
    assert response.json()["status"] == "active"


async def test_another_white_labels_customer_is_invisible(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    other = await make_white_label(sessions)
    created = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    customer_id = created.json()["customer_id"]

    direct = await api.get(f"/v1/customers/{customer_id}", headers=other.headers)
    listed = await api.get("/v1/customers", headers=other.headers)

    assert direct.status_code == 404
    assert direct.json()["error"]["type"] == "NotFound"
    assert listed.json()["customers"] == []


async def test_numbers_of_another_white_label_cannot_be_taken(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    other = await make_white_label(sessions)

    response = await api.post(
        "/v1/customers",
        json=customer_request(numbers={"numbers": [other.numbers[0]]}),
        headers=white_label.headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "NumbersUnavailable"
    assert await free_numbers(sessions, other.id) == len(other.numbers)


def contact(**fields: str) -> dict[str, str]:
    return {
        "first_name": "Aroha",
        "last_name": "Ngata",
        "email": "aroha@customer.example.com",
        "phone": "+64211234567",
        **fields,
    }


ADDRESS_IN_NOWHERE = {"line1": "1 St", "city": "Akl", "postal_code": "1", "country": "XX"}
LISTED_NUMBER = {"numbers": ["+6492000100"]}
OTHER_CALLER_ID = {"timezone": "UTC", "outbound_caller_id": "+6492000101"}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"contact": contact(email="nope")}, "contact.email"),
        ({"contact": contact(phone="12")}, "contact.phone"),
        ({"contact": contact(first_name=" ")}, "contact.first_name"),
        ({"address": ADDRESS_IN_NOWHERE}, "address.country"),
        ({"path": "self_serve", "numbers": {"count": 1}}, "numbers"),
        ({"numbers": {"count": 0}}, "numbers.count"),
        ({"pbx_settings": {"timezone": "Mars/Olympus"}}, "pbx_settings.timezone"),
        ({"numbers": LISTED_NUMBER, "pbx_settings": OTHER_CALLER_ID}, "pbx_settings"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_validation_errors_name_the_field(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    change: dict[str, object],
    path: str,
) -> None:
    response = await api.post(
        "/v1/customers", json=customer_request(**change), headers=white_label.headers
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "ValidationError"
    assert path in [field["path"] for field in error["fields"]]
    assert (await api.get("/v1/customers", headers=white_label.headers)).json()["customers"] == []


async def test_same_idempotency_key_and_body_returns_the_same_customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, sessions: SessionFactory
) -> None:
    body = customer_request(numbers={"count": 1})
    headers = {**white_label.headers, "Idempotency-Key": "crm-order-4711"}

    first = await api.post("/v1/customers", json=body, headers=headers)
    second = await api.post("/v1/customers", json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert first.json()["customer_id"] == second.json()["customer_id"]
    assert await ledger_balance(sessions, white_label.id) == Decimal("74.00")
    assert (
        len((await api.get("/v1/customers", headers=white_label.headers)).json()["customers"]) == 1
    )

    changed = await api.post(
        "/v1/customers", json={**body, "business": {"name": "Another business"}}, headers=headers
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["type"] == "IdempotencyKeyReused"


async def test_a_create_repeated_after_temporal_forgot_its_run_answers_from_the_store(
    client: Client,
    worker: Worker,
    settings: Settings,
    white_label: WhiteLabelFixture,
    sessions: SessionFactory,
) -> None:
    """Temporal deletes a closed run after the namespace's retention period (or loses it with
    its database); the key still names the customer, and a repeat must not start the signup
    again. A second, empty Temporal server stands for the one that forgot."""
    request = CreateCustomerRequest.model_validate(customer_request(numbers={"count": 1}))
    key = f"crm-{uuid.uuid4()}"
    first = await SignupService(client, sessions, settings).create(white_label.caller, request, key)
    assert first.finished
    assert first.failure is None

    async with await start_temporal() as forgetful:
        again = await SignupService(forgetful.client, sessions, settings).create(
            white_label.caller, request, key
        )
        runs = [run async for run in forgetful.client.list_workflows()]

    assert again == dataclasses.replace(first, repeated=True)
    assert runs == []
    assert await ledger_balance(sessions, white_label.id) == Decimal("74.00")


async def test_requests_without_a_valid_api_key_are_unauthorized(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    for headers in ({}, {"Authorization": "Bearer wlk_not-a-key"}, {"Authorization": "Basic x"}):
        response = await api.post("/v1/customers", json=customer_request(), headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "Unauthorized"
        listed = await api.get("/v1/customers", headers=headers)
        assert listed.status_code == 401


async def test_operators_find_the_signup_in_temporal_by_status_and_white_label(
    api: httpx.AsyncClient, client: Client, white_label: WhiteLabelFixture
) -> None:
    created = await api.post("/v1/customers", json=customer_request(), headers=white_label.headers)
    customer_id = created.json()["customer_id"]
    query = (
        f"SignupStatus='active' AND WhiteLabelId='{white_label.id}' "
        f"AND SignupPath='wl_managed' AND CustomerId='{customer_id}'"
    )

    found: list[str] = []
    for _ in range(50):  # visibility is eventually consistent
        found = [execution.id async for execution in client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.1)

    assert found == [f"customer-{customer_id}"]
    handle = client.get_workflow_handle_for(WlManagedSignupWorkflow.run, found[0])
    progress = await handle.query(WlManagedSignupWorkflow.status)
    assert progress is not None
    assert progress.status is CustomerStatus.ACTIVE
    summary = await (await handle.describe()).static_summary()
    assert summary is not None
    assert "plan business" in summary
    assert is_free_of_personal_data(summary)


def is_free_of_personal_data(text: str) -> bool:
    return "@" not in text and "Aroha" not in text and "+64" not in text
