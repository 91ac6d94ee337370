"""Secrets stay where they belong: emailed link tokens, API keys and configured secrets."""

import logging
import uuid

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from temporalio.client import Client

from devstack.mailsink import MailSink
from domain.handover import handover_workflow_id
from domain.settings import Settings, describe_validation_error
from domain.signup import workflow_id_for
from store.engine import SessionFactory
from store.schema import Base
from tests.conftest import WhiteLabelFixture
from tests.support.handover_helpers import invitations_to, managed_customer
from tests.support.self_serve_helpers import activated_signup, pay, until_status

ASYNC = pytest.mark.asyncio(loop_scope="session")


async def every_stored_value(sessions: SessionFactory) -> str:
    """Every row of every table, as text: what a database dump would show."""
    rows: list[str] = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in (await session.execute(select(table))).all())
    return "\n".join(rows)


async def everything_temporal_keeps(client: Client, workflow_id: str) -> str:
    handle = client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    history = await handle.fetch_history()
    return "\n".join(
        [
            history.to_json(),
            repr(description.raw_description),
            repr(description.typed_search_attributes),
            str(await description.static_summary()),
            str(await description.static_details()),
        ]
    )


def service_logs(caplog: pytest.LogCaptureFixture, api_url: str) -> str:
    """What the service logged; the test's own HTTP client (the customer's browser) logs the
    link it opens, as any browser history would."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if not (record.name == "httpx" and api_url in record.getMessage())
    )


@ASYNC
async def test_the_activation_token_is_nowhere_after_a_full_signup(
    api: httpx.AsyncClient,
    api_url: str,
    client: Client,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="api")
    caplog.set_level(logging.INFO)
    signup, link = await activated_signup(api, white_label, mail_sink)
    page = await api.get(link.path, params={"token": link.token})
    await pay(api, localstripe, link)
    await until_status(api, white_label, signup.customer_id, "active")
    mac = link.token.split(".", 1)[1]

    places: dict[str, str] = {
        "temporal": await everything_temporal_keeps(
            client, workflow_id_for(uuid.UUID(signup.customer_id))
        ),
        "database": await every_stored_value(sessions),
        "api": (
            await api.get(f"/v1/customers/{signup.customer_id}", headers=white_label.headers)
        ).text
        + (await api.get("/v1/customers", headers=white_label.headers)).text,
        "logs": service_logs(caplog, api_url),
    }

    assert link.token in page.text  # the page itself must carry it, to post it back
    assert signup.email in places["database"]  # the searches can find what is there
    assert f"/activate/{signup.customer_id}" in places["logs"]
    assert {place: mac in text for place, text in places.items()} == {
        place: False for place in places
    }


@ASYNC
async def test_the_invitation_token_is_nowhere_after_a_hand_over(
    api: httpx.AsyncClient,
    api_url: str,
    client: Client,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="api")
    caplog.set_level(logging.INFO)
    customer_id, contact = await managed_customer(api, white_label)
    invited = await api.post(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)
    [invitation] = await invitations_to(mail_sink, contact, 1)
    page = await api.get(invitation.path, params={"token": invitation.token})
    accepted = await api.post(invitation.path, data={"token": invitation.token})
    assert (invited.status_code, page.status_code, accepted.status_code) == (202, 200, 200)
    mac = invitation.token.split(".", 1)[1]

    places: dict[str, str] = {
        "temporal": await everything_temporal_keeps(
            client, handover_workflow_id(uuid.UUID(customer_id))
        ),
        "database": await every_stored_value(sessions),
        "api": invited.text
        + (await api.get(f"/v1/customers/{customer_id}/handover", headers=white_label.headers)).text
        + (await api.get(f"/v1/customers/{customer_id}", headers=white_label.headers)).text,
        "logs": service_logs(caplog, api_url),
    }

    assert invitation.token in page.text  # the page carries it, to post it back
    assert f"/handover/{customer_id}" in places["logs"]
    assert {place: mac in text for place, text in places.items()} == {
        place: False for place in places
    }


@ASYNC
async def test_api_keys_reach_no_log_and_no_answer(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="api")
    caplog.set_level(logging.INFO)
    wrong_key = "wlk_" + "Z" * 43

    accepted = await api.get("/v1/customers", headers=white_label.headers)
    refused = await api.get("/v1/customers", headers={"Authorization": f"Bearer {wrong_key}"})

    logged = service_logs(caplog, api_url)
    assert accepted.status_code == 200
    assert refused.status_code == 401
    assert "GET /v1/customers 401" in logged
    for key in (white_label.admin_key, wrong_key):
        assert key not in logged
        assert key not in accepted.text + refused.text


SECRETS: dict[str, str] = {
    "activation_secret": "activation-secret-" + "a" * 32,
    "stripe_secret_key": "sk_test_do-not-print-me",
    "stripe_webhook_secret": "whsec_do-not-print-me",
    "stripe_webhook_previous_secret": "whsec_old-do-not-print-me",
    "smtp_password": "smtp-password-do-not-print-me",
}


def test_settings_never_show_a_secret() -> None:
    settings = Settings(**SECRETS)  # type: ignore[arg-type]

    shown = [repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())]

    for text in shown:
        for secret in SECRETS.values():
            assert secret not in text
    assert settings.required_activation_secret() == SECRETS["activation_secret"].encode()


@pytest.mark.parametrize("too_short", ["tiny-secret", "a" * 31])
def test_an_activation_secret_under_32_bytes_is_refused_without_echoing_it(
    too_short: str,
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(activation_secret=too_short)  # type: ignore[arg-type]

    message = describe_validation_error(refused.value)
    assert message.startswith("configuration error: ACTIVATION_SECRET: ")
    assert "at least 32 bytes" in message
    assert too_short not in message
