"""Importing a CSV file in the console, in a real browser: the check names the bad row and
its field, and Import creates the good rows."""

import asyncio
import csv
import io
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from starter.console_imports import TEMPLATE_COLUMNS, TEMPLATE_EXAMPLE
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture

pytestmark = pytest.mark.asyncio(loop_scope="session")


def customers_csv(folder: Path, emails: list[str]) -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(TEMPLATE_COLUMNS)
    for email in emails:
        row = dict(zip(TEMPLATE_COLUMNS, TEMPLATE_EXAMPLE, strict=True))
        row.update({"contact.email": email, "business.name": f"Import {email[:6]}"})
        writer.writerow([row[column] for column in TEMPLATE_COLUMNS])
    path = folder / "customers.csv"
    path.write_text(text.getvalue())
    return path


async def test_a_csv_with_one_bad_row_is_checked_then_the_good_rows_imported(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    file = customers_csv(
        tmp_path, [f"one-{tag}@customer.example.com", "nobody", f"two-{tag}@customer.example.com"]
    )
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name="Import customers").click()
    await page.get_by_label("File").set_input_files(file)
    await page.get_by_role("button", name="Check the file").click()

    await expect(page.get_by_role("status")).to_contain_text("Checked, nothing created yet")
    bad = page.get_by_role("row").filter(has_text="line 3")
    await expect(bad).to_contain_text("Not valid")
    await expect(bad).to_contain_text("contact.email")
    listed = await api.get("/v1/customers", headers=white_label.headers)
    assert listed.json()["customers"] == []

    await page.get_by_role("button", name="Import 2 customers").click()
    await expect(page.get_by_role("status")).to_contain_text("Imported: 2 created", timeout=60_000)
    await expect(page.get_by_role("link", name="Created")).to_have_count(2)
    deadline = time.monotonic() + 60
    while (
        len((await api.get("/v1/customers", headers=white_label.headers)).json()["customers"]) < 2
    ):
        # a started WL-managed signup writes its customer from its workflow
        assert time.monotonic() < deadline, "the two good rows never became customers"
        await asyncio.sleep(0.2)
    assert page_errors == []
