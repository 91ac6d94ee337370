"""The New Customer: activation email, activation page, card funding, Stripe's webhook."""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from starter.signups import SignupService
from store.engine import SessionFactory
from store.schema import AuditEntry, CustomerBalanceEntry, Payment
from tests.conftest import (
    WhiteLabelFixture,
    customer_request,
    free_port,
    in_process,
    make_white_label,
    send_webhooks_to,
)
from tests.support.self_serve_helpers import (
    CARD_3DS,
    CARD_DECLINED_ON_CHARGE,
    CARD_OK,
    activated_signup,
    customer,
    delivered_event,
    intent_event,
    intents_of,
    link_in,
    mails_to,
    pay,
    refunded_intents,
    signed,
    start_signup,
    text_of,
    until_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_self_serve_customer_activates_and_funds_the_account_by_card(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
) -> None:
    signup = await start_signup(api, white_label)
    assert signup.view["status"] == "awaiting_activation"
    assert signup.view["activation_expires_at"] is not None
    assert signup.view["account_administrators"] == []

    [email] = await mails_to(mail_sink, signup.email, 1)
    text = text_of(email)
    assert email["Subject"].startswith("Activate your Reseller")
    assert "100.00 NZD" in text
    assert "Business" in text
    assert "works until" in text
    assert text_of(email, "html")
    link = link_in(email)
    assert link.customer_id == signup.customer_id

    page = await api.get(link.path, params={"token": link.token})
    assert page.status_code == 200
    assert "Activate my account" in page.text
    assert signup.view["business"]["name"] in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert (await customer(api, white_label, signup.customer_id))["status"] == (
        "awaiting_activation"
    )

    activated = await api.post(link.path, data={"token": link.token})
    assert activated.status_code == 200
    assert "card-element" in activated.text
    assert "100.00 NZD" in activated.text
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"

    answer = await pay(api, localstripe, link)
    assert answer == {"status": "succeeded"}

    view = await until_status(api, white_label, signup.customer_id, "active")
    assert view["billing"] == {
        "mode": "customer_card",
        "charged": "100.00",
        "currency": "NZD",
        "balance": "100.00",
    }
    assert view["account_administrators"] == [{"email": signup.email, "kind": "customer_contact"}]
    assert view["activated_at"] is not None
    welcome = await mails_to(mail_sink, signup.email, 2)
    assert welcome[1]["Subject"].startswith("Welcome to Reseller")
    notices = await mails_to(mail_sink, white_label.admin_email, 1)
    assert notices[0]["Subject"].startswith("Customer active")
    async with sessions() as session:
        payments = await session.scalar(
            select(func.count()).where(Payment.customer_id == uuid.UUID(signup.customer_id))
        )
        credits = list(
            await session.scalars(
                select(CustomerBalanceEntry.amount).where(
                    CustomerBalanceEntry.customer_id == uuid.UUID(signup.customer_id)
                )
            )
        )
    assert payments == 1
    assert [str(amount) for amount in credits] == ["100.00"]
    again = await api.post(link.path, data={"token": link.token})
    assert again.status_code == 200
    assert "Your account is active" in again.text


async def test_a_declined_card_can_be_retried_with_another_card(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)

    declined = await pay(api, localstripe, link, CARD_DECLINED_ON_CHARGE)

    assert declined["status"] == "declined"
    assert "declined" in declined["message"]
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"
    status = await api.post(f"{link.path}/status", json={"token": link.token})
    assert status.json()["status"] == "awaiting_payment"

    succeeded = await pay(api, localstripe, link, CARD_OK)

    assert succeeded == {"status": "succeeded"}
    view = await until_status(api, white_label, signup.customer_id, "active")
    assert view["billing"]["charged"] == "100.00"
    mine = await intents_of(localstripe, signup.customer_id)
    assert sorted(intent.status for intent in mine) == ["canceled", "succeeded"]


async def test_a_card_needing_3d_secure_is_confirmed_by_the_page(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)

    answer = await pay(api, localstripe, link, CARD_3DS)

    assert answer["status"] == "requires_action"
    intent_id = answer["client_secret"].split("_secret_")[0]
    # What Stripe.js's confirmCardPayment does once the customer passes 3-D Secure:
    async with httpx.AsyncClient() as http:
        authenticated = await http.post(
            f"{localstripe}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true"},
            json={"key": "pk_test_localstripe", "client_secret": answer["client_secret"]},
        )
    assert authenticated.status_code == 200, authenticated.text
    await until_status(api, white_label, signup.customer_id, "active")


async def test_the_same_webhook_delivered_five_times_records_one_payment(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    await pay(api, localstripe, link)
    await until_status(api, white_label, signup.customer_id, "active")
    event = await delivered_event(localstripe, signup.customer_id, "payment_intent.succeeded")

    outcomes = []
    for _ in range(5):
        body = json.dumps(event).encode()
        response = await api.post("/webhooks/stripe", content=body, headers=signed(body))
        outcomes.append(response.json()["outcome"])

    assert outcomes == ["duplicate"] * 5
    async with sessions() as session:
        payments = await session.scalar(
            select(func.count()).where(Payment.customer_id == uuid.UUID(signup.customer_id))
        )
    assert payments == 1
    await mails_to(mail_sink, signup.email, 2)
    assert len(mail_sink.to(signup.email)) == 2  # activation and welcome, nothing more


async def test_a_webhook_for_an_intent_never_created_here_is_ignored(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    intent = {
        "id": "pi_not_from_this_service",
        "object": "payment_intent",
        "amount": 10000,
        "currency": "nzd",
        "status": "succeeded",
        "metadata": {"customer_id": signup.customer_id, "white_label_id": str(white_label.id)},
    }
    body = intent_event("payment_intent.succeeded", intent)

    response = await api.post("/webhooks/stripe", content=body, headers=signed(body))

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    view = await customer(api, white_label, signup.customer_id)
    assert view["status"] == "awaiting_activation"
    assert view["billing"]["charged"] == "0.00"


@pytest.mark.parametrize(
    "forgery", ["wrong_secret", "tampered_body", "no_header", "stale", "future_dated"]
)
async def test_a_webhook_that_stripe_did_not_sign_is_refused(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    forgery: str,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    answer = await pay(api, localstripe, link, CARD_3DS)  # stays requires_action: no webhook
    intent = {
        "id": answer["client_secret"].split("_secret_")[0],
        "object": "payment_intent",
        "amount": 10000,
        "currency": "nzd",
        "status": "succeeded",
        "metadata": {"customer_id": signup.customer_id, "white_label_id": str(white_label.id)},
    }
    body = intent_event("payment_intent.succeeded", intent)
    headers = {
        "wrong_secret": signed(body, secret="whsec_someone_else"),
        "tampered_body": signed(body.replace(b"10000", b"99")),
        "no_header": {"Content-Type": "application/json"},
        "stale": signed(body, at=int(time.time()) - 3600),
        "future_dated": signed(body, at=int(time.time()) + 3600),
    }[forgery]

    response = await api.post("/webhooks/stripe", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "BadSignature"
    await asyncio.sleep(0.3)
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"


async def test_the_token_of_another_customer_opens_nothing(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    first = await start_signup(api, white_label)
    second = await start_signup(api, white_label)
    [email] = await mails_to(mail_sink, second.email, 1)
    other_token = link_in(email).token

    page = await api.get(f"/activate/{first.customer_id}", params={"token": other_token})
    posted = await api.post(f"/activate/{first.customer_id}", data={"token": other_token})
    garbage = await api.get(f"/activate/{first.customer_id}", params={"token": "v1.nonsense"})
    unknown = await api.get(f"/activate/{uuid.uuid4()}", params={"token": other_token})

    assert page.status_code == posted.status_code == garbage.status_code == 404
    assert unknown.status_code == 404
    assert page.text == posted.text == garbage.text == unknown.text
    assert "This link is not valid" in page.text
    assert (await customer(api, white_label, first.customer_id))["status"] == (
        "awaiting_activation"
    )


async def test_a_resent_link_supersedes_the_old_one(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    [first_email] = await mails_to(mail_sink, signup.email, 1)
    old = link_in(first_email)

    resent = await api.post(
        f"/v1/customers/{signup.customer_id}/activation-email", headers=white_label.headers
    )

    assert resent.status_code == 202, resent.text
    emails = await mails_to(mail_sink, signup.email, 2)
    new = link_in(emails[1])
    assert new.token != old.token
    stale_page = await api.get(old.path, params={"token": old.token})
    stale_post = await api.post(old.path, data={"token": old.token})
    assert stale_page.status_code == stale_post.status_code == 404
    assert (await api.get(new.path, params={"token": new.token})).status_code == 200
    assert (await api.post(new.path, data={"token": new.token})).status_code == 200
    assert (await customer(api, white_label, signup.customer_id))["status"] == "awaiting_payment"


@pytest.mark.load
async def test_activating_again_or_concurrently_is_harmless(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    signup = await start_signup(api, white_label)
    [email] = await mails_to(mail_sink, signup.email, 1)
    link = link_in(email)

    answers = await asyncio.gather(
        *(api.post(link.path, data={"token": link.token}) for _ in range(20))
    )
    again = await api.post(link.path, data={"token": link.token})

    assert [answer.status_code for answer in answers] == [200] * 20
    assert again.status_code == 200
    assert "card-element" in again.text
    async with sessions() as session:
        activations = await session.scalar(
            select(func.count()).where(
                AuditEntry.customer_id == uuid.UUID(signup.customer_id),
                AuditEntry.action == "customer.awaiting_payment",
            )
        )
    assert activations == 1


async def test_a_wl_administrator_cancels_a_pending_signup(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    signup = await start_signup(api, white_label)
    [email] = await mails_to(mail_sink, signup.email, 1)
    link = link_in(email)

    cancelled = await api.post(
        f"/v1/customers/{signup.customer_id}/cancel", headers=white_label.headers
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert (await api.get(link.path, params={"token": link.token})).status_code == 404
    assert (await api.post(link.path, data={"token": link.token})).status_code == 404
    [notice] = await mails_to(mail_sink, white_label.admin_email, 1)
    assert notice["Subject"].startswith("Signup cancelled")
    again = await api.post(
        f"/v1/customers/{signup.customer_id}/cancel", headers=white_label.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "SignupNotPending"


async def test_a_wl_user_has_no_way_to_activate_or_pay_for_the_customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, settings: Settings
) -> None:
    signup = await start_signup(api, white_label)
    base = f"/v1/customers/{signup.customer_id}"

    for path in (f"{base}/activate", f"{base}/payment", f"{base}/activation-link"):
        response = await api.post(path, headers=white_label.headers)
        assert response.status_code in {404, 405}
    view = await customer(api, white_label, signup.customer_id)
    assert "token" not in json.dumps(view)
    staff_resend = await api.post(f"{base}/activation-email", headers=white_label.staff_headers)
    staff_cancel = await api.post(f"{base}/cancel", headers=white_label.staff_headers)
    assert staff_resend.status_code == staff_cancel.status_code == 403
    schema = (await api.get("/openapi.json")).json()
    v1_routes = [path for path in schema["paths"] if path.startswith("/v1")]
    assert not [path for path in v1_routes if "activate" in path or "pay" in path]


async def test_a_white_label_without_a_payment_gateway_cannot_start_self_serve(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    white_label = await make_white_label(sessions, payment_gateway=False)

    response = await api.post(
        "/v1/customers", json=customer_request(path="self_serve"), headers=white_label.headers
    )

    assert response.status_code == 422
    assert response.json()["error"]["type"] == "PaymentGatewayMissing"
    listed = await api.get("/v1/customers", headers=white_label.headers)
    assert listed.json()["customers"] == []


async def test_a_payment_landing_after_cancellation_is_refunded(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    client: Client,
) -> None:
    signup, link = await activated_signup(api, white_label, mail_sink)
    async with stripe_webhooks_paused(localstripe, api_url):
        answer = await pay(api, localstripe, link)
        assert answer == {"status": "succeeded"}
        cancelled = await api.post(
            f"/v1/customers/{signup.customer_id}/cancel", headers=white_label.headers
        )
        assert cancelled.json()["status"] == "cancelled"
    event = await delivered_event(localstripe, signup.customer_id, "payment_intent.succeeded")
    body = json.dumps(event).encode()

    late = await api.post("/webhooks/stripe", content=body, headers=signed(body))

    assert late.json()["outcome"] == "refunding"
    intent_id = event["data"]["object"]["id"]
    await client.get_workflow_handle(f"late-payment-{intent_id}").result()
    assert (await refunded_intents(localstripe)).count(intent_id) == 1
    subjects = [mail["Subject"] for mail in mail_sink.to(white_label.admin_email)]
    assert sorted(subjects) == [
        f"Late payment refunded: {signup.view['business']['name']}",
        f"Signup cancelled: {signup.view['business']['name']}",
    ]
    view = await customer(api, white_label, signup.customer_id)
    assert view["status"] == "cancelled"
    assert view["billing"]["charged"] == "0.00"


@contextlib.asynccontextmanager
async def stripe_webhooks_paused(localstripe: str, api_url: str) -> AsyncIterator[None]:
    """localstripe delivers to a closed port meanwhile, as if our endpoint were down."""
    await send_webhooks_to(localstripe, f"http://127.0.0.1:{free_port()}")
    try:
        yield
        await asyncio.sleep(1.5)  # localstripe sends about a second late
    finally:
        await send_webhooks_to(localstripe, api_url)


async def test_an_expired_link_gets_the_generic_page_and_the_signup_expires(
    api: httpx.AsyncClient,
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
) -> None:
    brief = settings.model_copy(
        update={"activation_ttl": timedelta(seconds=2), "activation_reminders": []}
    )
    body = customer_request(path="self_serve")
    outcome = await SignupService(client, sessions, brief).create(
        white_label.caller, CreateCustomerRequest.model_validate(body)
    )
    [email] = await mails_to(mail_sink, body["contact"]["email"], 1)  # type: ignore[index]
    link = link_in(email)

    view = await until_status(api, white_label, str(outcome.customer_id), "expired")

    assert view["status"] == "expired"
    page = await api.get(link.path, params={"token": link.token})
    posted = await api.post(link.path, data={"token": link.token})
    assert page.status_code == posted.status_code == 404
    assert "This link is not valid" in posted.text
    [notice] = await mails_to(mail_sink, white_label.admin_email, 1)
    assert notice["Subject"].startswith("Signup expired")


async def test_a_self_serve_signup_not_yet_written_in_time_is_answered_202_with_where_to_look(
    client: Client, settings: Settings, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    """No worker serves this queue, so the account is never written within the API's wait."""
    from starter.api.app import create_app

    idle = settings.model_copy(
        update={"api_wait_seconds": 0.5, "temporal_task_queue": f"unserved-{uuid.uuid4()}"}
    )
    async with in_process(create_app(idle, sessions, client), timeout=30) as api:
        response = await api.post(
            "/v1/customers", json=customer_request(path="self_serve"), headers=white_label.headers
        )

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "provisioning"
    handle = client.get_workflow_handle(answer["workflow"]["id"])
    assert (await handle.describe()).status is not None
    await handle.terminate("test over: nobody serves its queue")


async def test_a_self_serve_create_is_answered_from_the_workflow_task_that_starts_it(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, client: Client
) -> None:
    signup = await start_signup(api, white_label)
    assert signup.view["status"] == "awaiting_activation"

    history = await client.get_workflow_handle(signup.view["workflow"]["id"]).fetch_history()
    kinds = [event.WhichOneof("attributes") for event in history.events]
    # Update-with-start: the worker gets the start and the API's question in one task.
    first_task_done = kinds.index("workflow_task_completed_event_attributes")
    accepted = kinds.index("workflow_execution_update_accepted_event_attributes")
    assert "workflow_task_started_event_attributes" not in kinds[first_task_done:accepted]


async def test_a_self_serve_create_replayed_after_the_signup_ended_starts_nothing_new(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, client: Client
) -> None:
    body = customer_request(path="self_serve")
    headers = {**white_label.headers, "Idempotency-Key": f"crm-{uuid.uuid4()}"}
    first = await api.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == 202, first.text
    customer_id = first.json()["customer_id"]
    again_while_running = await api.post("/v1/customers", json=body, headers=headers)
    assert again_while_running.json()["customer_id"] == customer_id
    cancelled = await api.post(f"/v1/customers/{customer_id}/cancel", headers=white_label.headers)
    assert cancelled.status_code == 200, cancelled.text
    handle = client.get_workflow_handle(f"customer-{customer_id}")
    await handle.result()

    replayed = await api.post("/v1/customers", json=body, headers=headers)

    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["customer_id"] == customer_id
    assert replayed.json()["status"] == "cancelled"
    runs = [run async for run in client.list_workflows(f"WorkflowId = 'customer-{customer_id}'")]
    assert len(runs) == 1
