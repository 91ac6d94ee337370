"""Importing customers from a file in the console: the check names each bad row and field
before anything is created; Import creates the good rows once; the reports download."""

import asyncio
import csv
import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from store.schema import ConsoleImport
from tests.conftest import WhiteLabelFixture
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def template_with_rows(console: httpx.AsyncClient, emails: list[str]) -> bytes:
    """The downloaded template, its example row copied once per email."""
    template = await console.get("/console/import/template.csv")
    [header, example] = list(csv.reader(io.StringIO(template.text)))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for email in emails:
        row = dict(zip(header, example, strict=True))
        row["contact.email"] = email
        row["business.name"] = f"Business {email.split('@')[0]}"
        writer.writerow([row[column] for column in header])
    return text.getvalue().encode()


async def upload(console: httpx.AsyncClient, name: str, content: bytes) -> httpx.Response:
    page = await console.get("/console/import")
    return await console.post(
        "/console/import",
        data={"csrf_token": form_token_in(page.text)},
        files={"file": (name, content, "text/csv")},
    )


async def test_a_file_is_checked_then_imported_once_with_its_reports(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    worker: Worker,
) -> None:
    tag = uuid.uuid4().hex[:6]
    emails = [f"a-{tag}@customer.example.com", "not-an-address", f"c-{tag}@customer.example.com"]
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        content = await template_with_rows(console, emails)
        checked = await upload(console, "customers.csv", content)
        report_url = checked.headers["location"]
        check_page = await console.get(report_url)
        before = await api.get("/v1/customers", headers=white_label.headers)
        started = await console.post(
            f"{report_url}/start", data={"csrf_token": form_token_in(check_page.text)}
        )
        deadline = time.monotonic() + 60
        while "Imported:" not in (final := await console.get(report_url)).text:
            assert time.monotonic() < deadline, final.text
            await asyncio.sleep(0.2)
        downloaded = await console.get(f"{report_url}/report.csv")
        again = await upload(console, "customers.csv", content)
        again_page = await console.get(again.headers["location"])
    deadline = time.monotonic() + 60
    while (
        len(
            (after := await api.get("/v1/customers", headers=white_label.headers)).json()[
                "customers"
            ]
        )
        < 2
    ):  # a started WL-managed signup writes its customer from its workflow
        assert time.monotonic() < deadline, after.text
        await asyncio.sleep(0.2)

    assert checked.status_code == 303
    assert "Checked, nothing created yet:" in check_page.text
    assert "2 to create" in check_page.text
    assert "1 not valid" in check_page.text
    assert re.search(r"2 <span class=\"muted\">\(line 3\)</span>", check_page.text)
    assert "<strong>contact.email</strong>:" in check_page.text
    assert before.json()["customers"] == []
    assert started.status_code == 303
    assert "2 created" in final.text
    assert len(after.json()["customers"]) == 2
    lines = list(csv.DictReader(io.StringIO(downloaded.text)))
    assert [line["outcome"] for line in lines] == ["created", "invalid", "created"]
    assert lines[1]["line"] == "3"
    assert lines[1]["errors"].startswith("contact.email:")
    assert "2 exist already" in again_page.text


async def test_a_file_that_is_not_rows_is_refused_beside_the_file_field(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        wrong_kind = await upload(console, "customers.xlsx", b"PK\x03\x04")
        unknown_column = await upload(console, "customers.csv", b"colour\nred\n")

    assert wrong_kind.status_code == 422
    assert 'id="f-file-error">customers.xlsx: give a .csv or a .json file' in wrong_kind.text
    assert unknown_column.status_code == 422
    assert "unknown column &#39;colour&#39;" in unknown_column.text


async def test_staff_cannot_import(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, staff_email(white_label.admin_email)) as staff:
        page = await staff.get("/console/import")
        customers = await staff.get("/console/customers")

    assert page.status_code == 403
    assert "Import customers" not in customers.text


async def test_a_file_checked_and_not_imported_within_a_day_loses_its_rows(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink, sessions: SessionFactory
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        content = await template_with_rows(console, [f"old-{uuid.uuid4().hex[:6]}@x.example.com"])
        old = await upload(console, "customers.csv", content)
        old_id = uuid.UUID(old.headers["location"].rsplit("/", 1)[1])
        async with sessions.begin() as session:
            await session.execute(
                update(ConsoleImport)
                .where(ConsoleImport.id == old_id)
                .values(created_at=datetime.now(UTC) - timedelta(days=2))
            )
        await upload(console, "customers.csv", content)  # any later check clears the old rows
        page = await console.get(old.headers["location"])
        started = await console.post(
            f"{old.headers['location']}/start", data={"csrf_token": form_token_in(page.text)}
        )
    async with sessions() as session:
        kept = await session.scalar(select(ConsoleImport.rows).where(ConsoleImport.id == old_id))
        raw = await session.scalar(
            select(ConsoleImport.id).where(ConsoleImport.id == old_id, ConsoleImport.rows.is_(None))
        )

    assert "This check has expired" in page.text
    assert "Import 1 customer" not in page.text
    assert started.status_code == 303
    assert kept is None
    assert raw == old_id  # SQL NULL, not a JSON null
