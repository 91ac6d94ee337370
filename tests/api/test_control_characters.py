"""Free text carries no control characters or bidi overrides (issue 18, item 5): refused where
it comes in, naming the field; text stored before that refusal fails its email at once."""

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.mailer import SmtpMailer, SmtpSettings
from domain.self_serve import WlNotice, WlNoticeInput
from domain.settings import Settings
from store.engine import SessionFactory
from store.schema import Customer
from tests.activities.test_activities import create_account
from tests.conftest import WhiteLabelFixture, customer_request

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER_INJECTION = "Evil Ltd\r\nBcc: victim@example.com"
NOT_PRINTABLE = [
    HEADER_INJECTION,
    "Escape \x1b[2J",
    "Next line \x85 (C1)",
    "Evil\u202emoc.lapyap",
    "Isolated \u2067name\u2069",
]


def _with(path: str, value: str) -> dict[str, Any]:
    """A valid customer request with `value` at the dotted `path`."""
    body: dict[str, Any] = customer_request()
    body["pbx_settings"] = {
        "timezone": "Pacific/Auckland",
        "extensions": [{"number": "100", "name": "Front desk"}],
    }
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    target[last] = value
    return body


@pytest.mark.parametrize("value", NOT_PRINTABLE)
async def test_a_control_character_in_the_business_name_is_a_422_naming_the_field(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, value: str
) -> None:
    answer = await api.post(
        "/v1/customers", json=_with("business.name", value), headers=white_label.headers
    )

    assert answer.status_code == 422
    [field] = answer.json()["error"]["fields"]
    assert field["path"] == "business.name"
    assert "control characters" in field["message"]


@pytest.mark.parametrize(
    "path",
    [
        "contact.first_name",
        "contact.last_name",
        "business.registration_number",
        "business.industry",
        "address.line1",
        "address.city",
        "address.postal_code",
        "pbx_settings.extensions.0.name",
    ],
)
async def test_every_free_text_field_of_a_customer_refuses_control_characters(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, path: str
) -> None:
    answer = await api.post(
        "/v1/customers", json=_with(path, "Front\u202edesk\n"), headers=white_label.headers
    )

    assert answer.status_code == 422
    assert [field["path"] for field in answer.json()["error"]["fields"]] == [path]


async def test_a_bulk_row_with_a_control_character_is_refused_on_that_row_and_field(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    rows = [customer_request(), _with("address.line2", "Suite 1\r\nX-Injected: yes")]

    answer = await api.post(
        "/v1/customers/bulk", json={"rows": rows, "dry_run": True}, headers=white_label.headers
    )

    assert answer.status_code == 200
    report = answer.json()["rows"]
    assert report[0]["outcome"] == "would_create"
    assert report[1]["outcome"] == "invalid"
    assert [error["path"] for error in report[1]["errors"]] == ["address.line2"]


async def test_a_brand_name_with_a_bidi_override_is_refused(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    answer = await api.patch(
        "/v1/white-label/brand",
        json={"email_sender_name": "Support\u202e"},
        headers=white_label.headers,
    )

    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["path"] == "email_sender_name"


async def test_an_email_that_cannot_be_built_fails_at_once_and_is_not_retried(
    sessions: SessionFactory, white_label: WhiteLabelFixture, settings: Settings
) -> None:
    """Text stored before the refusal existed: the email names the problem, never retries."""
    customer_id = await create_account(sessions, white_label)
    async with sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(business={"name": HEADER_INJECTION})
        )
    mailer = SmtpMailer(SmtpSettings(host=settings.smtp_host, port=settings.smtp_port))
    email = EmailActivities(sessions, mailer, settings.mail_from)

    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(
            email.send_wl_notice,
            WlNoticeInput(customer_id=customer_id, kind=WlNotice.SIGNUP_EXPIRED),
        )

    assert refused.value.type == "EmailNotBuildable"
    assert refused.value.non_retryable
    assert "victim" not in refused.value.message
