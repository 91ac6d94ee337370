"""Two white labels with different brands: their customers see visibly different pages.

Screenshots go to the test's temporary directory; with UPDATE_SCREENSHOTS=1 (`make
screenshots`) to docs/screenshots/ as `brand-{name}-{page}-{width}x{height}.png`.
"""

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from store.engine import SessionFactory
from tests.browser.brands import KIWI, TUI, Look, branded
from tests.browser.conftest import PHONE, Screen
from tests.browser.customer_pages import activate, open_emailed_link
from tests.browser.page_checks import horizontal_overflow, low_contrast
from tests.support.self_serve_helpers import start_signup

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def save(page: Page, name: str, screen: Screen, folder: Path) -> bytes:
    return await page.screenshot(path=folder / f"{name}-{screen.name}.png", full_page=True)


async def shows_its_brand(page: Page, look: Look) -> None:
    header = page.locator("header")
    await expect(header).to_contain_text(look.display_name)
    await expect(header).to_have_css("background-color", look.colour_rgb)
    await expect(header.locator(".brand")).to_have_css("color", look.text_rgb)
    logo = header.get_by_role("img", name=look.display_name)
    await expect(logo).to_be_visible()
    assert await logo.evaluate("image => image.complete && image.naturalWidth === 96")
    await expect(page.get_by_role("link", name=look.support_email)).to_be_visible()
    await expect(page.get_by_role("button").first).to_have_css("background-color", look.colour_rgb)


@pytest.mark.parametrize("screen", [PHONE], ids=lambda screen: screen.name)
async def test_two_white_labels_show_their_customers_different_pages(
    api: httpx.AsyncClient,
    api_url: str,
    sessions: SessionFactory,
    mail_sink: MailSink,
    page: Page,
    screen: Screen,
    screenshots: Path,
) -> None:
    shots: dict[str, bytes] = {}
    for look in (KIWI, TUI):
        white_label = await branded(api, sessions, look)
        signup = await start_signup(api, white_label)
        await open_emailed_link(page, api_url, mail_sink, signup.email)
        await shows_its_brand(page, look)
        assert await horizontal_overflow(page, screen) == []
        assert await low_contrast(page) == []
        shots[look.name] = await save(page, f"brand-{look.name}-activation", screen, screenshots)
        await activate(page)
        await shows_its_brand(page, look)
        await save(page, f"brand-{look.name}-payment", screen, screenshots)

    assert shots["kiwi"] != shots["tui"]
