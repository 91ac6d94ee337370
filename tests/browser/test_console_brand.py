"""The Brand page in a real browser: the preview follows the fields before anything is saved,
and saving changes what the console and the customers' pages show."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from tests.browser.console_pages import sign_in
from tests.conftest import WhiteLabelFixture
from tests.support.images import png

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_preview_follows_the_fields_and_saving_applies_them(
    api: httpx.AsyncClient,
    api_url: str,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    page: Page,
    page_errors: list[str],
    tmp_path: Path,
) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png(colour="#f59e0b"))
    await sign_in(page, api_url, mail_sink, white_label.admin_email)
    await page.get_by_role("link", name="Brand").click()
    preview = page.locator("#brand-preview")

    await page.get_by_label("Display name").fill("Harbour Telecom")
    await page.get_by_label("Colour").fill("#7c3aed")
    await page.get_by_label("Logo file").set_input_files(logo)

    await expect(preview.locator(".preview-header")).to_contain_text("Harbour Telecom")
    await expect(preview.locator(".preview-header")).to_have_css(
        "background-color", "rgb(124, 58, 237)"
    )
    await expect(preview.locator(".preview-button")).to_have_css("color", "rgb(255, 255, 255)")
    await expect(preview.locator('img[data-preview="logo"]')).to_have_attribute(
        "src", re.compile(r"^data:image/png")
    )
    assert (await api.get("/v1/white-label/brand", headers=white_label.headers)).json()[
        "display_name"
    ] != "Harbour Telecom"  # nothing saved yet

    await page.get_by_role("button", name="Save brand").click()
    await expect(page.get_by_role("status")).to_have_text("The brand was saved.")
    await expect(page.locator("header")).to_contain_text("Harbour Telecom")
    await expect(page.locator("header")).to_have_css("background-color", "rgb(124, 58, 237)")
    saved = (await api.get("/v1/white-label/brand", headers=white_label.headers)).json()
    assert saved["has_logo_image"] is True
    assert page_errors == []
