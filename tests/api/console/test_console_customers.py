"""The console's customer pages and the create form, as a browser without JavaScript uses them:
sessions, CSRF, roles, tenant isolation, validation and the form's idempotency."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select, update

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import AuditEntry, ConsoleSession, Customer
from tests.conftest import WhiteLabelFixture, customer_request, make_white_label
from tests.support.console_forms import create_through_the_form, flat_fields, post_step
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _customers_of(sessions: SessionFactory, white_label: WhiteLabelFixture) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).where(Customer.white_label_id == white_label.id)
            )
            or 0
        )


async def test_an_administrator_creates_a_customer_through_the_five_steps(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    body = customer_request(numbers={"count": 2})
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        created, _ = await create_through_the_form(console, body)
        shown = await console.get(created.headers["location"])

    assert created.status_code == 303
    assert shown.status_code == 200
    assert "Your new customer has been successfully created!" in shown.text
    assert "Active" in shown.text
    assert body["business"]["name"] in shown.text  # type: ignore[index]
    assert shown.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in shown.headers["content-security-policy"]
    customer_id = uuid.UUID(created.headers["location"].split("/")[3].split("?")[0])
    async with sessions() as session:
        reads = await session.scalar(
            select(func.count()).where(
                AuditEntry.customer_id == customer_id, AuditEntry.action == "customer.read"
            )
        )
    assert reads
    assert reads >= 1


async def test_posting_the_last_step_twice_creates_one_customer(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        first, review = await create_through_the_form(console, customer_request())
        again = await post_step(console, review, 5, [], action="create")

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert await _customers_of(sessions, white_label) == 1


async def test_errors_show_beside_their_fields_with_the_apis_messages(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    body = customer_request()
    body["contact"]["email"] = "not-an-email"  # type: ignore[index]
    api_answer = await api.post("/v1/customers", json=body, headers=white_label.headers)
    [api_error] = [
        field["message"]
        for field in api_answer.json()["error"]["fields"]
        if field["path"] == "contact.email"
    ]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/customers/new")
        step_one = await post_step(console, page.text, 1, [("path", "wl_managed")])
        step_two = await post_step(
            console,
            step_one.text,
            2,
            [
                ("contact.first_name", "Aroha"),
                ("contact.last_name", "Ngata"),
                ("contact.email", "not-an-email"),
                ("contact.phone", "+64211234567"),
                ("business.name", "Ngata Plumbing"),
            ],
        )

    assert step_two.status_code == 422
    assert 'id="f-contact-email" name="contact.email"' in step_two.text
    assert 'aria-invalid="true"' in step_two.text
    assert f'id="f-contact-email-error">{api_error}</p>' in step_two.text.replace("&#39;", "'")
    assert "Step 2 of 5" in step_two.text
    assert await _customers_of(sessions, white_label) == 0


async def test_staff_see_no_create_link_and_are_refused_if_they_post(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    staff = staff_email(white_label.admin_email)
    async with signed_in_client(api_url, mail_sink, staff) as console:
        customers = await console.get("/console/customers")
        form = await console.get("/console/customers/new")
        posted = await console.post(
            "/console/customers/new",
            data={"csrf_token": form_token_in(customers.text), "step": "5", "action": "create"},
        )

    assert customers.status_code == 200
    assert "Create new customer" not in customers.text
    assert form.status_code == posted.status_code == 403
    assert "Only Administrators can create New Customers" in posted.text
    assert await _customers_of(sessions, white_label) == 0


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        no_token = await console.post("/console/customers/new", data={"step": "1"})
        wrong = await console.post(
            "/console/customers/new", data={"step": "1", "csrf_token": "x" * 43}
        )
        sign_out = await console.post("/console/sign-out", data={})
        still_in = await console.get("/console/customers")

    assert no_token.status_code == wrong.status_code == sign_out.status_code == 403
    assert still_in.status_code == 200


async def test_another_white_labels_customer_is_not_found(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
) -> None:
    other = await make_white_label(sessions)
    theirs = await api.post("/v1/customers", json=customer_request(), headers=other.headers)
    their_id = theirs.json()["customer_id"]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get(f"/console/customers/{their_id}")
        progress = await console.get(f"/console/customers/{their_id}/progress")
        listed = await console.get("/console/customers")

    assert page.status_code == progress.status_code == 404
    assert theirs.json()["business"]["name"] not in page.text + listed.text


async def test_the_list_filters_by_status_and_searches_names_emails_and_numbers(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    managed = customer_request(numbers={"numbers": [white_label.numbers[3]]})
    pending = customer_request(path="self_serve")
    for body in (managed, pending):
        answer = await api.post("/v1/customers", json=body, headers=white_label.headers)
        assert answer.status_code in {201, 202}, answer.text
    managed_name = managed["business"]["name"]  # type: ignore[index]
    pending_name = pending["business"]["name"]  # type: ignore[index]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        everyone = await console.get("/console/customers")
        active = await console.get("/console/customers", params={"status": "active"})
        by_name = await console.get("/console/customers", params={"search": pending_name.upper()})
        by_email = await console.get(
            "/console/customers",
            params={"search": managed["contact"]["email"]},  # type: ignore[index]
        )
        by_number = await console.get(
            "/console/customers", params={"search": white_label.numbers[3][-6:]}
        )
        nothing = await console.get("/console/customers", params={"search": "no such 100%_"})

    assert managed_name in everyone.text
    assert pending_name in everyone.text
    assert everyone.text.index(pending_name) < everyone.text.index(managed_name)  # newest first
    assert managed_name in active.text
    assert pending_name not in active.text
    assert pending_name in by_name.text
    assert managed_name not in by_name.text
    assert managed_name in by_email.text
    assert pending_name not in by_email.text
    assert managed_name in by_number.text
    assert pending_name not in by_number.text
    assert "No customers match." in nothing.text


async def test_a_session_ends_when_idle_too_long_when_too_old_and_on_sign_out(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    async def after(change: dict[str, datetime]) -> int:
        async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
            async with sessions.begin() as session:
                await session.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.ended_at.is_(None))
                    .where(ConsoleSession.user_id == white_label.admin_user_id)
                    .values(**change)
                )
            answer = await console.get("/console/customers")
            return answer.status_code

    now = datetime.now(UTC)
    idle = await after({"last_seen_at": now - timedelta(minutes=31)})
    busy_but_old = await after({"created_at": now - timedelta(hours=12, minutes=1)})
    recent = await after({"last_seen_at": now - timedelta(minutes=29)})
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/customers")
        cookie = console.cookies.get("console_session")
        signed_out = await console.post(
            "/console/sign-out", data={"csrf_token": form_token_in(page.text)}
        )
    async with httpx.AsyncClient(
        base_url=api_url, cookies={"console_session": cookie or ""}
    ) as old:
        replayed = await old.get("/console/customers")

    assert idle == busy_but_old == 303
    assert recent == 200
    assert signed_out.status_code == 303
    assert replayed.status_code == 303


async def test_without_a_payment_gateway_the_new_customer_option_is_disabled_with_the_reason(
    api_url: str, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    no_cards = await make_white_label(sessions, payment_gateway=False)
    async with signed_in_client(api_url, mail_sink, no_cards.admin_email) as console:
        page = await console.get("/console/customers/new")
        posted = await post_step(console, page.text, 1, [("path", "self_serve")])

    assert 'value="self_serve" disabled' in page.text
    assert "your white label has no payment gateway" in page.text
    assert posted.status_code == 422
    assert 'id="f-path-error"' in posted.text


async def test_a_refusal_shows_on_the_review_and_the_failed_customer_stays_listed(
    api_url: str, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    poor = await make_white_label(sessions, credit_limit=Decimal("10.00"))
    body = customer_request()
    async with signed_in_client(api_url, mail_sink, poor.admin_email) as console:
        refused, _ = await create_through_the_form(console, body)
        listed = await console.get("/console/customers", params={"status": "failed"})

    assert refused.status_code == 422
    assert "The customer was not created:" in refused.text
    assert "credit limit" in refused.text
    assert "Step 5 of 5" in refused.text
    assert body["business"]["name"] in listed.text  # type: ignore[index]


async def test_extension_rows_are_added_and_removed_without_javascript(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/customers/new")
        html = page.text
        for step in (1, 2, 3):
            answer = await post_step(console, html, step, flat_fields(customer_request()))
            html = answer.text
        first = [
            ("pbx_settings.extensions.0.number", "100"),
            ("pbx_settings.extensions.0.name", "Reception"),
        ]
        added = await post_step(console, html, 4, first, action="add_extension")
        second = [
            *first,
            ("pbx_settings.extensions.1.number", "101"),
            ("pbx_settings.extensions.1.name", "Sales"),
        ]
        removed = await post_step(console, added.text, 4, second, action="remove_extension:0")

    assert added.text.count(">Extension number</label>") == 2
    assert 'name="pbx_settings.extensions.0.number" value="100"' in added.text
    assert removed.text.count(">Extension number</label>") == 1
    assert 'name="pbx_settings.extensions.0.number" value="101"' in removed.text
    assert "Reception" not in removed.text


async def test_a_separate_service_address_is_kept(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    service = {"line1": "5 Wharf Road", "city": "Nelson", "postal_code": "7010", "country": "NZ"}
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        created, _ = await create_through_the_form(
            console, customer_request(service_address=service)
        )
    customer_id = created.headers["location"].split("/")[3].split("?")[0]
    view = await api.get(f"/v1/customers/{customer_id}", headers=white_label.headers)

    assert view.json()["service_address"]["city"] == "Nelson"
    assert view.json()["address"]["city"] == "Auckland"


async def test_a_later_step_with_an_earlier_error_goes_back_to_that_step_and_its_errors(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    body = customer_request()
    body["contact"]["email"] = "not-an-email"  # type: ignore[index]
    body["address"]["city"] = ""  # type: ignore[index]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        page = await console.get("/console/customers/new")
        # Everything at once, as a re-posted old form would send it, straight to step 3.
        answer = await post_step(console, page.text, 3, flat_fields(body))

    assert answer.status_code == 422
    assert "Step 2 of 5" in answer.text
    assert 'id="f-contact-email-error"' in answer.text
    assert "f-address-city-error" not in answer.text
