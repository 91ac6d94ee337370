"""With TEMPORAL_ENCRYPTION_KEY set, Temporal holds no readable customer data."""

import asyncio
import base64
import dataclasses
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from google.protobuf.json_format import MessageToDict
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus
from domain.settings import ConfigurationError, Settings, describe_validation_error
from domain.signup import SignupResult, workflow_id_for
from runtime.payload_codec import (
    AesGcmCodec,
    UndecryptablePayload,
    codec_for,
    data_converter_for,
    key_id,
)
from starter.api.app import create_app
from starter.api.codec import ui_origin
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import (
    WhiteLabelFixture,
    customer_request,
    free_port,
    in_process,
    make_white_label,
    serving,
)
from tests.support.self_serve_helpers import activate_from_email, until_status

ASYNC = pytest.mark.asyncio(loop_scope="session")
OPERATOR_KEY = "operator-" + "k" * 40
UI_ORIGIN = "https://temporal-ui.example.com"


def new_key() -> bytes:
    return os.urandom(32)


def encoded(key: bytes) -> str:
    return base64.b64encode(key).decode()


def plain_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


@ASYNC
async def test_a_sealed_payload_opens_to_the_original_and_shows_nothing_of_it() -> None:
    codec = AesGcmCodec(new_key())
    original = plain_payload("aroha@customer.example.com")

    [sealed] = await codec.encode([original])
    [opened] = await codec.decode([sealed])

    assert b"aroha" not in sealed.SerializeToString()
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert opened == original


@ASYNC
async def test_after_a_rotation_payloads_sealed_with_the_previous_key_still_open() -> None:
    old, new = new_key(), new_key()
    [sealed_before] = await AesGcmCodec(old).encode([plain_payload("before")])

    rotated = AesGcmCodec(new, previous_keys=[old])
    [sealed_after] = await rotated.encode([plain_payload("after")])

    assert await rotated.decode([sealed_before, sealed_after]) == [
        plain_payload("before"),
        plain_payload("after"),
    ]
    assert sealed_before.metadata["encryption-key-id"] == key_id(old).encode()
    assert sealed_after.metadata["encryption-key-id"] == key_id(new).encode()


@ASYNC
async def test_a_payload_of_an_unknown_key_or_tampered_with_does_not_open() -> None:
    stranger = new_key()
    [foreign] = await AesGcmCodec(stranger).encode([plain_payload("x")])
    codec = AesGcmCodec(new_key())
    [mine] = await codec.encode([plain_payload("x")])
    tampered = Payload(
        metadata=dict(mine.metadata), data=mine.data[:-1] + bytes([mine.data[-1] ^ 1])
    )

    with pytest.raises(UndecryptablePayload, match=key_id(stranger)):
        await codec.decode([foreign])
    with pytest.raises(UndecryptablePayload, match="fails authentication"):
        await codec.decode([tampered])


@ASYNC
async def test_payloads_written_before_encryption_was_turned_on_pass_through() -> None:
    unsealed = plain_payload("written before")

    assert await AesGcmCodec(new_key()).decode([unsealed]) == [unsealed]


@pytest.fixture(scope="session")
def operator_settings(settings: Settings) -> Settings:
    """The test stack's settings (sealed, as every stack is by default), with an operator key
    for the codec server and a Temporal UI of its own origin."""
    return settings.model_copy(
        update={"operator_api_key": SecretStr(OPERATOR_KEY), "temporal_ui_url": UI_ORIGIN}
    )


@pytest.fixture(scope="session")
def unsealed(client: Client) -> Client:
    """Temporal as anyone with access to it reads it: without the service's codec."""
    config = client.config()
    config["data_converter"] = pydantic_data_converter
    return Client(**config)


def personal_data(request: CreateCustomerRequest) -> list[str]:
    contact = request.contact
    return [
        contact.email,
        contact.first_name,
        contact.last_name,
        contact.phone,
        contact.phone.removeprefix("+"),
        request.business.name,
        request.address.line1,
    ]


def unique_request(path: str) -> CreateCustomerRequest:
    tag = uuid.uuid4().hex[:8]
    body = customer_request(path=path)
    body["contact"] = {
        "first_name": f"Wiremu{tag}",
        "last_name": f"Tawhiri{tag}",
        "email": f"wiremu-{tag}@customer.example.com",
        "phone": f"+6421{int(tag, 16) % 10_000_000:07d}",
    }
    body["business"] = {"name": f"Tawhiri Electrical {tag}"}
    return CreateCustomerRequest.model_validate(body)


async def raw_history(client: Client, customer_id: uuid.UUID) -> tuple[WorkflowHistory, bytes]:
    """The history as anyone with access to Temporal reads it: without the codec, and as bytes,
    since its JSON form shows payload data base64-encoded (which would hide plain text too)."""
    history = await client.get_workflow_handle(workflow_id_for(customer_id)).fetch_history()
    return history, b"".join(event.SerializeToString() for event in history.events)


async def assert_no_personal_data(
    unsealed: Client, settings: Settings, customer_id: uuid.UUID, request: CreateCustomerRequest
) -> tuple[WorkflowHistory, bytes]:
    history, raw = await raw_history(unsealed, customer_id)
    description = await unsealed.get_workflow_handle(workflow_id_for(customer_id)).describe()

    assert [text for text in personal_data(request) if text.encode() in raw] == []
    assert b"binary/encrypted" in raw
    assert not {str(pair.value) for pair in description.typed_search_attributes} & set(
        personal_data(request)
    )
    # The same search finds every item once the input is opened: the test can fail.
    inputs = history.events[0].workflow_execution_started_event_attributes.input.payloads
    codec = codec_for(settings)
    assert codec is not None
    opened = b"".join(payload.SerializeToString() for payload in await codec.decode(inputs))
    assert [text for text in personal_data(request) if text.encode() in opened] == personal_data(
        request
    )
    return history, raw


@ASYNC
async def test_the_raw_history_of_a_wl_managed_signup_holds_no_personal_data(
    client: Client,
    unsealed: Client,
    settings: Settings,
    worker: Worker,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
) -> None:
    request = unique_request("wl_managed")

    outcome = await SignupService(client, sessions, settings).create(white_label.caller, request)
    result = await client.get_workflow_handle(
        workflow_id_for(outcome.customer_id), result_type=SignupResult
    ).result()

    assert outcome.failure is None
    assert result.status is CustomerStatus.ACTIVE
    await assert_no_personal_data(unsealed, settings, outcome.customer_id, request)


@ASYNC
async def test_the_raw_history_of_a_self_serve_signup_awaiting_payment_holds_no_personal_data(
    client: Client,
    unsealed: Client,
    settings: Settings,
    worker: Worker,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    codec_server: httpx.AsyncClient,
    mail_sink: MailSink,
) -> None:
    request = unique_request("self_serve")

    outcome = await SignupService(client, sessions, settings).create(white_label.caller, request)
    link = await activate_from_email(codec_server, mail_sink, request.contact.email)
    await until_status(codec_server, white_label, str(outcome.customer_id), "awaiting_payment")
    history, raw = await assert_no_personal_data(unsealed, settings, outcome.customer_id, request)
    events = {event.WhichOneof("attributes") for event in history.events}

    assert "workflow_execution_update_accepted_event_attributes" in events  # activate
    assert "activity_task_completed_event_attributes" in events  # the activation email, sent
    assert link.token.encode() not in raw


@ASYNC
async def test_a_failure_is_sealed_too(
    client: Client,
    unsealed: Client,
    settings: Settings,
    worker: Worker,
    sessions: SessionFactory,
) -> None:
    poor = await make_white_label(sessions, credit_limit=Decimal("10.00"))
    service = SignupService(client, sessions, settings)

    outcome = await service.create(poor.caller, unique_request("wl_managed"))
    _, raw = await raw_history(unsealed, outcome.customer_id)

    assert outcome.failure is not None
    assert outcome.failure.type == "CreditLimitExceeded"
    assert "credit limit" in outcome.failure.message
    assert b"credit limit" not in raw
    assert b"Encoded failure" in raw


@pytest_asyncio.fixture(loop_scope="session")
async def codec_server(
    operator_settings: Settings, sessions: SessionFactory, client: Client
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(operator_settings, sessions, client)
    async with serving(app, free_port()) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


def as_json(payloads: list[Payload]) -> dict[str, object]:
    return MessageToDict(Payloads(payloads=payloads))


@ASYNC
async def test_an_operator_opens_sealed_payloads_through_the_codec_server(
    codec_server: httpx.AsyncClient, client: Client
) -> None:
    codec = client.data_converter.payload_codec
    assert codec is not None
    original = plain_payload("aroha@customer.example.com")
    sealed = await codec.encode([original])
    operator = {"Authorization": f"Bearer {OPERATOR_KEY}", "X-Namespace": "default"}

    decoded = await codec_server.post("/codec/decode", json=as_json(sealed), headers=operator)
    encoded_again = await codec_server.post(
        "/codec/encode", json=as_json([original]), headers=operator
    )
    page_of_history = await codec.encode([plain_payload("x" * 1000)] * 200)
    large = await codec_server.post(
        "/codec/decode", json=as_json(page_of_history), headers=operator
    )
    anonymous = await codec_server.post("/codec/decode", json=as_json(sealed))
    wrong = await codec_server.post(
        "/codec/decode", json=as_json(sealed), headers={"Authorization": "Bearer guess"}
    )

    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == as_json([original])
    assert encoded_again.status_code == 200
    assert large.status_code == 200  # a history page is more than the API's 64 KiB
    assert len(large.json()["payloads"]) == 200
    assert "aroha" not in encoded_again.text
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json() == wrong.json()
    assert "aroha" not in anonymous.text


@ASYNC
async def test_browsers_may_call_the_codec_server_only_from_the_temporal_ui(
    codec_server: httpx.AsyncClient,
) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        }

    from_ui = await codec_server.options("/codec/decode", headers=preflight(UI_ORIGIN))
    from_elsewhere = await codec_server.options(
        "/codec/decode", headers=preflight("https://evil.example.com")
    )

    assert from_ui.status_code == 200
    assert from_ui.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert "Access-Control-Allow-Origin" not in from_elsewhere.headers


@ASYNC
async def test_the_codec_server_refuses_bodies_over_4_mib_and_unknown_keys_by_name(
    codec_server: httpx.AsyncClient,
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_KEY}", "Content-Type": "application/json"}
    stranger = new_key()
    foreign = await AesGcmCodec(stranger).encode([plain_payload("x")])

    too_large = await codec_server.post(
        "/codec/decode", content=b" " * (4 * 1024 * 1024 + 1), headers=operator
    )
    unknown = await codec_server.post("/codec/decode", json=as_json(foreign), headers=operator)
    garbage = await codec_server.post("/codec/decode", content=b"[1, 2]", headers=operator)

    assert too_large.status_code == 413
    assert unknown.status_code == 400
    assert key_id(stranger) in unknown.json()["error"]["message"]
    assert "TEMPORAL_ENCRYPTION_PREVIOUS_KEYS" in unknown.json()["error"]["message"]
    assert garbage.status_code == 400


@pytest.mark.parametrize(
    ("ui_url", "origin"),
    [
        ("http://localhost:8233", "http://localhost:8233"),
        ("https://Temporal.Example.com:443/namespaces/default", "https://temporal.example.com"),
        ("https://ops:secret@temporal.example.com:8443/", "https://temporal.example.com:8443"),
    ],
)
def test_the_ui_origin_is_written_as_a_browser_sends_it(ui_url: str, origin: str) -> None:
    assert ui_origin(Settings(temporal_ui_url=ui_url)) == origin


@ASYNC
async def test_outside_development_without_an_operator_key_the_codec_server_does_not_exist(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post(
        "/codec/decode", json={"payloads": []}, headers={"Authorization": f"Bearer {OPERATOR_KEY}"}
    )

    assert response.status_code == 404


@ASYNC
async def test_with_encryption_switched_off_the_codec_server_does_not_exist(
    settings: Settings, sessions: SessionFactory, client: Client
) -> None:
    off = settings.model_copy(
        update={
            "temporal_encryption": False,
            "temporal_encryption_key": None,
            "operator_api_key": SecretStr(OPERATOR_KEY),
        }
    )
    async with in_process(create_app(off, sessions, client)) as api:
        response = await api.post(
            "/codec/decode",
            json={"payloads": []},
            headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
        )

    assert response.status_code == 404


@ASYNC
async def test_in_development_the_ui_and_cli_open_payloads_without_a_key_but_no_other_origin(
    settings: Settings, sessions: SessionFactory, client: Client
) -> None:
    """What `make run` serves its Web UI: DEV_MODE, no operator key."""
    development = settings.model_copy(update={"dev_mode": True, "temporal_ui_url": UI_ORIGIN})
    codec = codec_for(development)
    assert codec is not None
    original = plain_payload("aroha@customer.example.com")
    sealed = as_json(await codec.encode([original]))
    async with in_process(create_app(development, sessions, client)) as api:
        from_ui = await api.post("/codec/decode", json=sealed, headers={"Origin": UI_ORIGIN})
        from_cli = await api.post("/codec/decode", json=sealed)
        from_elsewhere = await api.post(
            "/codec/decode", json=sealed, headers={"Origin": "https://evil.example.com"}
        )

    assert from_ui.status_code == 200, from_ui.text
    assert from_ui.json() == as_json([original])
    assert from_ui.headers["Access-Control-Allow-Origin"] == UI_ORIGIN
    assert from_cli.json() == as_json([original])
    assert from_elsewhere.status_code == 403
    assert "aroha" not in from_elsewhere.text
    assert UI_ORIGIN in from_elsewhere.json()["error"]["message"]


@ASYNC
async def test_a_request_from_another_origin_is_refused_even_with_the_operator_key(
    codec_server: httpx.AsyncClient,
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_KEY}", "Origin": "https://evil.example.com"}

    response = await codec_server.post("/codec/decode", json={"payloads": []}, headers=operator)

    assert response.status_code == 403


def test_encryption_is_on_unless_switched_off_and_then_takes_no_key() -> None:
    key = encoded(new_key())
    with pytest.raises(ConfigurationError, match="TEMPORAL_ENCRYPTION_KEY: required") as missing:
        codec_for(Settings())
    with pytest.raises(ConfigurationError, match="remove one of them"):
        codec_for(Settings(temporal_encryption="off", temporal_encryption_key=key))  # type: ignore[arg-type]

    assert "TEMPORAL_ENCRYPTION=off" in str(missing.value)
    assert codec_for(Settings(temporal_encryption="off")) is None  # type: ignore[arg-type]
    assert codec_for(Settings(temporal_encryption_key=key)) is not None  # type: ignore[arg-type]


def test_keys_are_base64_of_32_bytes_and_never_shown() -> None:
    key, short = encoded(new_key()), encoded(os.urandom(16))
    with pytest.raises(ValidationError, match="base64 of 32 random bytes") as refused:
        Settings(temporal_encryption_key=short)
    settings = Settings(
        temporal_encryption_key=key,
        temporal_encryption_previous_keys=f"{encoded(new_key())}, {encoded(new_key())}",
    )

    assert len(settings.temporal_encryption_previous_key_bytes()) == 2
    assert key not in repr(settings)
    assert describe_validation_error(refused.value) == (
        "configuration error: TEMPORAL_ENCRYPTION_KEY: "
        "Value error, must be base64 of 32 random bytes"
    )
    assert dataclasses.is_dataclass(data_converter_for(settings))


def payload_data(node: object) -> bytes:
    """The bytes of every payload in the CLI's JSON history, where they are base64."""
    if isinstance(node, dict):
        found = b""
        if isinstance(node.get("data"), str) and "metadata" in node:
            found += base64.b64decode(node["data"])
        return found + b"".join(payload_data(value) for value in node.values())
    if isinstance(node, list):
        return b"".join(payload_data(value) for value in node)
    return b""


@ASYNC
async def test_the_temporal_cli_shows_a_sealed_history_in_the_clear_through_the_codec_server(
    client: Client,
    settings: Settings,
    worker: Worker,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    codec_server: httpx.AsyncClient,
) -> None:
    request = unique_request("self_serve")
    outcome = await SignupService(client, sessions, settings).create(white_label.caller, request)
    show = [
        str(Path(sys.executable).parent / "temporal"), "workflow", "show",
        "--workflow-id", workflow_id_for(outcome.customer_id),
        "--address", client.service_client.config.target_host,
        "--output", "json",
    ]  # fmt: skip
    codec = ["--codec-endpoint", f"{codec_server.base_url}/codec"]

    async def run(*arguments: str) -> str:
        process = await asyncio.create_subprocess_exec(
            *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        return stdout.decode()

    sealed = payload_data(json.loads(await run(*show)))
    operator = payload_data(
        json.loads(await run(*show, *codec, "--codec-auth", f"Bearer {OPERATOR_KEY}"))
    )

    assert sealed  # the payloads are there, sealed
    assert request.contact.email.encode() not in sealed
    assert request.contact.email.encode() in operator
