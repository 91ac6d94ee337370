"""Logs an operator can search: one JSON object per line, ids as fields, no personal data."""

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from runtime.logs import JsonLines
from starter.signups import SignupService
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.worker_processes import start_worker, stop


def test_a_log_record_becomes_one_json_line_with_its_ids_as_fields() -> None:
    record = logging.LogRecord("activity", logging.INFO, __file__, 1, "email sent", None, None)
    record.customer_id = "c-1"
    record.kind = "welcome"
    record.temporal_activity = {
        "workflow_id": "customer-c-1",
        "activity_type": "send_welcome",
        "attempt": 2,
        "namespace": "default",
    }

    line = JsonLines().format(record)

    assert "\n" not in line
    assert json.loads(line) | {"time": "t"} == {
        "time": "t",
        "level": "info",
        "logger": "activity",
        "message": "email sent",
        "customer_id": "c-1",
        "kind": "welcome",
        "workflow_id": "customer-c-1",
        "activity_type": "send_welcome",
        "attempt": 2,
    }


@pytest.mark.asyncio(loop_scope="session")
async def test_the_worker_process_logs_json_lines_with_ids_and_no_personal_data(
    settings: Settings,
    sessions: SessionFactory,
    client: Client,
    white_label: WhiteLabelFixture,
    tmp_path: Path,
) -> None:
    own = settings.model_copy(update={"temporal_task_queue": f"logs-{uuid.uuid4()}"})
    log_file = tmp_path / "worker.log"
    request = CreateCustomerRequest.model_validate(customer_request())
    worker = await start_worker(own, log_file=log_file)
    try:
        outcome = await SignupService(client, sessions, own).create(white_label.caller, request)
        assert outcome.failure is None
    finally:
        await stop(worker)

    text = log_file.read_text()
    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines() if line]
    about_it = [line for line in lines if line.get("customer_id") == str(outcome.customer_id)]
    assert about_it, text[-2000:]
    assert {line["workflow_id"] for line in about_it} == {f"customer-{outcome.customer_id}"}
    assert any(line["message"] == "email sent" for line in about_it)
    for personal in (request.contact.email, request.contact.last_name, request.contact.phone):
        assert personal not in text
