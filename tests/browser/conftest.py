"""A real browser for the customer pages: Debian's Chromium driven by Playwright.

One Chromium for these tests, a fresh context (cookies, storage, viewport) for every test.
Playwright's own browser downloads are never used: the tests launch /usr/bin/chromium, and
skip only when it is not installed (`.ci/run` installs it).
"""

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    # Without these Chromium keeps calling home, which a machine without a network answers
    # with a stream of failures.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a slow two-core machine: a payment goes through localstripe, its webhook, the
# worker and the page's status polling before the page says the account is active.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass(frozen=True)
class Screen:
    width: int
    height: int
    mobile: bool

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height}"


PHONE = Screen(375, 812, mobile=True)
DESKTOP = Screen(1280, 800, mobile=False)


# One browser for all the tests of this directory, closed after the last of them (package
# scope, not session: an idle Chromium and Playwright's driver would otherwise stay up through
# the rest of the suite, the fault and load tests included).
@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            "Chromium not found at /usr/bin/chromium: install Debian's chromium package "
            "(`.ci/run` does)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
def screen() -> Screen:
    """The screen a test's context emulates; a test parametrizes `screen` to pick another."""
    return DESKTOP


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser, screen: Screen) -> AsyncIterator[BrowserContext]:
    fresh = await browser.new_context(
        viewport={"width": screen.width, "height": screen.height},
        # A phone honours the page's meta viewport and has a touch screen.
        is_mobile=screen.mobile,
        has_touch=screen.mobile,
        locale="en-NZ",
        timezone_id="Pacific/Auckland",
    )
    fresh.set_default_timeout(TIMEOUT_MS)
    yield fresh
    await fresh.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@pytest.fixture
def page_errors(page: Page) -> list[str]:
    """Uncaught script errors of the page, for a test to assert there were none."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    return errors


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test saves what it sees: docs/screenshots/ under `make screenshots`
    (UPDATE_SCREENSHOTS=1), else the test's temporary directory."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
