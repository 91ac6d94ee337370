"""The page checks find what they look for: each on a small page with one fault, in Chromium.

(The customer pages pass them; these show that a pass means something.)
"""

import pytest
from playwright.async_api import Page

from tests.browser.conftest import PHONE, Screen
from tests.browser.page_checks import (
    horizontal_overflow,
    low_contrast,
    unlabelled_fields,
    unreachable_controls,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEAD = '<meta name="viewport" content="width=device-width, initial-scale=1">'
GOOD = f"""{HEAD}
<header style="background: #1d4ed8; color: #fff"><p>Brand</p></header>
<main>
  <label for="name">Name</label><input id="name">
  <input aria-label="Postcode">
  <span id="cvc-label">CVC</span><input aria-labelledby="cvc-label">
  <label>Country <select><option>NZ</option></select></label>
  <a href="#top">Back to top</a>
  <button style="background: #1d4ed8; color: #fff; border: 0">Pay</button>
  <div id="card-element"><input placeholder="number"></div>
</main>"""


@pytest.fixture
def screen() -> Screen:
    return PHONE


async def test_a_good_page_has_no_problems(page: Page) -> None:
    await page.set_content(GOOD)

    assert await horizontal_overflow(page, PHONE) == []
    assert await unreachable_controls(page, PHONE) == []
    assert await unlabelled_fields(page) == []
    assert await low_contrast(page) == []


async def test_something_wider_than_the_screen_is_found(page: Page) -> None:
    await page.set_content(f'{HEAD}<div id="wide" style="width: 500px">wide</div>')

    [problem] = await horizontal_overflow(page, PHONE)

    assert "scrolls sideways" in problem
    assert "div#wide" in problem


async def test_a_page_without_a_meta_viewport_is_too_wide_for_a_phone(page: Page) -> None:
    await page.set_content('<div style="width: 500px">wide</div>')

    assert await horizontal_overflow(page, PHONE) != []


async def test_hidden_covered_off_screen_and_untabbable_controls_are_found(page: Page) -> None:
    await page.set_content(
        f"""{HEAD}
        <div style="position: relative">
          <button id="covered">Covered</button>
          <div style="position: absolute; inset: 0; background: #fff"></div>
        </div>
        <button id="off" style="margin-left: 340px; width: 120px">Off</button>
        <button id="untabbable" tabindex="-1">Mouse only</button>
        <button id="hidden" style="visibility: hidden">Hidden</button>"""
    )

    # (A short wait for the click: these faults are for good, not a moment's animation.)
    problems = "\n".join(await unreachable_controls(page, PHONE, click_timeout_ms=1_000))

    assert "button#hidden is not visible" in problems
    assert 'button#covered "Covered" cannot be clicked' in problems
    assert 'button#off "Off" spans x 348 to 468 of the page, outside the 375 px screen' in problems
    assert 'button#untabbable "Mouse only" cannot be reached with the Tab key' in problems


async def test_a_radio_group_is_one_tab_stop_but_a_radio_kept_out_of_it_is_found(
    page: Page,
) -> None:
    await page.set_content(
        f"""{HEAD}
        <fieldset><legend>Plan</legend>
          <label><input type="radio" name="plan" id="basic"> Basic</label>
          <label><input type="radio" name="plan" id="pro"> Pro</label>
        </fieldset>
        <label><input type="radio" name="size" id="small" tabindex="-1"> Small</label>"""
    )

    problems = await unreachable_controls(page, PHONE, click_timeout_ms=1_000)

    assert problems == ['input#small "on" cannot be reached with the Tab key']


async def test_an_unlabelled_field_is_found_but_not_stripes(page: Page) -> None:
    await page.set_content(
        f"""{HEAD}
        <label>Empty label <input id="ok"></label>
        <input id="bare" placeholder="A placeholder is no label">
        <label for="bare-select"></label><select id="bare-select"></select>
        <textarea id="note" aria-labelledby="missing"></textarea>
        <div id="card-element"><input placeholder="number"></div>"""
    )

    problems = await unlabelled_fields(page)

    assert problems == [
        'input#bare "A placeholder is no label" has no accessible label',
        "select#bare-select has no accessible label",
        "textarea#note has no accessible label",
    ]


async def test_low_contrast_in_the_header_and_on_buttons_is_found(page: Page) -> None:
    await page.set_content(
        f"""{HEAD}
        <header style="background: #60a5fa; color: #fff"><p class="brand">Brand</p></header>
        <div style="background: #777">
          <button id="grey" style="background: transparent; color: #fff">Grey</button>
        </div>
        <button id="faded" style="background: #fff; color: rgba(0, 0, 0, 0.3)">Faded</button>
        <button id="fine" style="background: #000; color: #fff">Fine</button>"""
    )

    problems = "\n".join(await low_contrast(page))

    assert 'header p "Brand": contrast 2.54:1' in problems
    assert 'button#grey "Grey": contrast 4.48:1' in problems
    assert 'button#faded "Faded"' in problems
    assert "Fine" not in problems
