"""What the API refuses before reading it: oversized bodies; and what a fuzzer finds in it."""

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import WebhookEndpoint
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.self_serve_helpers import emailed_link, start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
LIMIT = 64 * 1024


def extensions(count: int) -> list[dict[str, str]]:
    return [
        {
            "number": f"{100 + index}",
            "name": f"Desk {index} Reception",
            "email": f"desk{index}@customer.example.com",
        }
        for index in range(count)
    ]


async def test_a_body_over_64_kib_is_refused_before_it_is_read(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    oversized = b'{"path": "wl_managed", "padding": "' + b"x" * LIMIT + b'"}'

    declared = await api.post(
        "/v1/customers",
        content=oversized,
        headers={**white_label.headers, "Content-Type": "application/json"},
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(oversized), 8192):
            yield oversized[start : start + 8192]

    streamed = await api.post(
        "/v1/customers",
        content=chunks(),
        headers={**white_label.headers, "Content-Type": "application/json"},
    )
    webhook = await api.post("/webhooks/stripe", content=oversized)

    assert declared.status_code == streamed.status_code == webhook.status_code == 413
    listed = await api.get("/v1/customers", headers=white_label.headers)
    assert listed.json()["customers"] == []


async def test_a_large_but_ordinary_request_fits(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    body = customer_request(
        numbers={"count": 1},
        pbx_settings={"timezone": "Pacific/Auckland", "extensions": extensions(500)},
    )

    response = await api.post("/v1/customers", json=body, headers=white_label.headers)

    assert len(httpx.Request("POST", "/", json=body).content) > 40 * 1024
    assert response.status_code == 201, response.text
    assert len(response.json()["pbx_settings"]["extensions"]) == 500


async def test_a_fuzzer_finds_no_server_error_and_no_answer_outside_the_schema(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    sessions: SessionFactory,
    tmp_path: Path,
) -> None:
    signup = await start_signup(api, white_label)
    link = await emailed_link(mail_sink, signup.email)
    # A real customer and link, so the fuzzer reaches past "not found" into the workflows.
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\ncustomer_id = "{link.customer_id}"\ntoken = "{link.token}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"{api_url}/openapi.json",
        "--checks", "not_a_server_error,response_schema_conformance",
        # The readiness probe takes no input, and its 503 is its answer when Temporal or the
        # database is slow to reply (a loaded CI machine), not a server error.
        "--exclude-path", "/readyz",
        # A test event is an HTTP request to the endpoint's URL, which the fuzzer makes up (a
        # public name): tests/workflows/test_outbound_webhooks.py sends one to loopback.
        "--exclude-path", "/v1/webhook-endpoints/{endpoint_id}/test",
        "--header", f"Authorization: Bearer {white_label.admin_key}",
        "--max-examples", "30",
        "--seed", "20261128",
        "--generation-database", "none",
        "--workers", "1",
        "--no-color",
        "--report-dir", str(tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    # The endpoints it registered have made-up public names: no later test's dispatcher may
    # send them anything (that would look the names up).
    async with sessions.begin() as session:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.white_label_id == white_label.id)
            .values(disabled_at=datetime.now(UTC))
        )

    report = output.decode()
    assert process.returncode == 0, report[-8000:]
    assert "No issues found" in report or "passed" in report, report[-3000:]


def unbounded_fields(schema: dict[str, Any], components: dict[str, Any], path: str) -> list[str]:
    """Every string without a length, pattern or fixed set, and every list without a size."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return unbounded_fields(components[name], components, path)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += unbounded_fields(option, components, path)
    kind = schema.get("type")
    bounded_format = schema.get("format") in {"uuid", "date-time", "date"}
    if (
        kind == "string"
        and not bounded_format
        and not ({"maxLength", "enum", "const"} & set(schema))
    ):
        pattern = schema.get("pattern", "")
        if not (pattern.startswith("^") and pattern.endswith("$") and "*" not in pattern):
            found.append(path)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(path)
        found += unbounded_fields(schema.get("items", {}), components, f"{path}[]")
    for name, child in schema.get("properties", {}).items():
        found += unbounded_fields(child, components, f"{path}.{name}")
    return found


async def test_every_input_field_has_a_bound(api: httpx.AsyncClient) -> None:
    openapi = (await api.get("/openapi.json")).json()
    components = openapi["components"]["schemas"]
    unbounded: list[str] = []
    for route, operations in openapi["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {route}"
            for parameter in operation.get("parameters", []):
                unbounded += unbounded_fields(
                    parameter["schema"], components, f"{where} {parameter['name']}"
                )
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += unbounded_fields(content["schema"], components, f"{where} body")

    assert unbounded == [], "\n".join(unbounded)
