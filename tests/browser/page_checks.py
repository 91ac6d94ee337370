"""Checks of a customer page as the browser lays it out; each returns the problems it finds."""

from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page

from tests.browser.conftest import Screen
from tests.browser.contrast import AA_NORMAL_TEXT, composite, contrast_ratio, effective_background

# What a customer clicks, types into or tabs to; not what a page has deliberately taken out
# with the `hidden` attribute (e.g. fields shown only once a box is unchecked).
CONTROLS = ", ".join(
    f"{control}:not([hidden] *)"
    for control in (
        "a[href]",
        "button",
        "input:not([type=hidden])",
        "select",
        "textarea",
        "[role=button]",
        "[tabindex]:not([tabindex='-1'])",
    )
)
# localstripe's fake Stripe.js puts its inputs into #card-element, where real Stripe.js puts a
# cross-origin iframe whose fields Stripe labels itself: they are not the pages' markup, so the
# label check leaves them out (every other check includes them: a customer still has to see
# and reach them).
STRIPE_ELEMENT = "#card-element"

# Names an element in a problem; pasted into the page scripts below (the pages' CSP forbids
# eval, so a script cannot take it as an argument).
DESCRIBE = """(el) => {
  const text = (el.innerText || el.value || el.placeholder || el.getAttribute("aria-label") || "")
    .trim().replace(/\\s+/g, " ").slice(0, 40);
  return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (text ? ` "${text}"` : "");
}"""


async def describe(element: Locator) -> str:
    described: str = await element.evaluate(DESCRIBE)
    return described


async def horizontal_overflow(page: Page, screen: Screen) -> list[str]:
    """The page must not scroll sideways: nothing may be wider than the screen."""
    found: dict[str, Any] = await page.evaluate(
        """(screenWidth) => {
          const describe = DESCRIBE;
          // On a phone an overflowing page can widen the layout viewport itself, so
          // innerWidth alone would hide the overflow: the screen's width is a limit as well.
          const limit = Math.min(window.innerWidth, screenWidth);
          const sticking = [...document.body.querySelectorAll("*")]
            .filter((el) => el.getBoundingClientRect().right + window.scrollX > limit + 0.5)
            .map(describe);
          return {scroll: document.documentElement.scrollWidth, limit, sticking};
        }""".replace("DESCRIBE", DESCRIBE),
        screen.width,
    )
    limit = found["limit"]
    if found["scroll"] <= limit:
        return []
    return [
        f"the page scrolls sideways: {found['scroll']} px wide on a {limit} px screen"
        f" (sticking out: {', '.join(found['sticking'][:5]) or 'nothing in <body>'})"
    ]


async def unreachable_controls(
    page: Page, screen: Screen, *, click_timeout_ms: float = 5_000
) -> list[str]:
    """Every control is visible, fits the screen's width once scrolled to, takes a click
    (nothing covers it) and takes the focus, by script and by the Tab key."""
    problems: list[str] = []
    controls = page.locator(CONTROLS)
    count = await controls.count()
    problems += await _tab_order_misses(page, controls, count)
    for index in range(count):
        control = controls.nth(index)
        name = await describe(control)
        if not await control.is_visible():
            problems.append(f"{name} is not visible")
            continue
        await control.scroll_into_view_if_needed()
        # Where the control sits on the page, not in the viewport: scrolling into view may
        # have scrolled sideways, and a control a customer must scroll sideways to reach
        # is off the screen.
        box: dict[str, float] = await control.evaluate(
            """(el) => {
              const r = el.getBoundingClientRect();
              return {left: r.left + window.scrollX, right: r.right + window.scrollX,
                      top: r.top, bottom: r.bottom};
            }"""
        )
        if box["left"] < -0.5 or box["right"] > screen.width + 0.5:
            problems.append(
                f"{name} spans x {box['left']:.0f} to {box['right']:.0f} of the page,"
                f" outside the {screen.width} px screen"
            )
        if box["bottom"] - box["top"] <= screen.height and (
            box["top"] < -0.5 or box["bottom"] > screen.height + 0.5
        ):
            problems.append(f"{name} cannot be scrolled fully into view (y {box['top']:.0f})")
        try:
            # A trial click checks what a real one would (visible, enabled, not moving, not
            # covered by anything at its centre) without pressing the button.
            await control.click(trial=True, timeout=click_timeout_ms)
        except PlaywrightError as error:
            problems.append(f"{name} cannot be clicked: {error.message.splitlines()[0]}")
        await control.focus()
        if not await control.evaluate("(el) => el === document.activeElement"):
            problems.append(f"{name} does not take the focus")
    return problems


async def _tab_order_misses(page: Page, controls: Locator, count: int) -> list[str]:
    """Presses Tab round the page and names the controls the focus never reached.

    A group of radio buttons is one stop, as browsers make it: Tab reaches one of them and the
    arrow keys move between them, so reaching any radio of a name reaches all of its group.
    """
    if count == 0:
        return []
    await controls.evaluate_all(
        """(all) => all.forEach((el, index) => {
          el.dataset.tabCheck = el.type === "radio" && el.name ? "radio:" + el.name : String(index);
        })"""
    )
    stops: list[str] = await controls.evaluate_all("(all) => all.map((el) => el.dataset.tabCheck)")
    wanted = set(stops)
    reached: set[str] = set()
    for _ in range(2 * count + 4):  # round the page twice, past the browser's own stops
        await page.keyboard.press("Tab")
        stop = await page.evaluate("() => document.activeElement?.dataset?.tabCheck ?? null")
        if stop is not None:
            reached.add(stop)
        if reached >= wanted:
            return []
    return [
        f"{await describe(controls.nth(index))} cannot be reached with the Tab key"
        for index, stop in enumerate(stops)
        if stop not in reached
    ]


async def unlabelled_fields(page: Page) -> list[str]:
    """Every input, select and textarea has an accessible label: a `<label for>` (or an
    enclosing label), aria-label or aria-labelledby, each with text."""
    unlabelled: list[str] = await page.evaluate(
        """(stripe) => {
          const describe = DESCRIBE;
          const hasText = (el) => !!el && el.textContent.trim() !== "";
          const labelled = (el) =>
            [...(el.labels || [])].some(hasText)
            || (el.getAttribute("aria-label") || "").trim() !== ""
            || (el.getAttribute("aria-labelledby") || "").split(/\\s+/)
                 .some((id) => id && hasText(document.getElementById(id)));
          const fields = document.querySelectorAll(
            "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])"
            + ":not([type=image]), select, textarea");
          return [...fields].filter((el) => !el.closest(stripe) && !labelled(el)).map(describe);
        }""".replace("DESCRIBE", DESCRIBE),
        STRIPE_ELEMENT,
    )
    return [f"{field} has no accessible label" for field in unlabelled]


CONTRAST_TARGETS = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const paint = canvas.getContext("2d", {willReadFrequently: true});
  // Any CSS colour (rgb(), hex, oklch(), color-mix()...) as 8-bit sRGB and an alpha from 0 to 1.
  const rgba = (css) => {
    paint.clearRect(0, 0, 1, 1);
    paint.fillStyle = "rgba(0, 0, 0, 0)";
    paint.fillStyle = css;
    paint.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = paint.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const ownText = (el) => [...el.childNodes]
    .some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== "");
  const targets = [];
  for (const header of document.querySelectorAll("header, [role=banner]")) {
    targets.push(["header", header]);
    header.querySelectorAll("*").forEach((el) => {
      if (ownText(el)) targets.push(["header", el]);
    });
  }
  document.querySelectorAll(
    "button, [role=button], input[type=submit], input[type=button], a[href], [role=status]"
  ).forEach((el) => targets.push(["control", el]));
  return targets
    // A disabled control is exempt (WCAG 1.4.3), as is one with no text.
    .filter(([, el]) => el.checkVisibility() && !el.disabled
                        && (el.innerText || el.value || "").trim() !== "")
    .map(([area, el]) => {
      // Backgrounds from the element up to the first opaque one. A background image counts as
      // its background-color, which stylesheets set as the image's fallback.
      const layers = [];
      for (let node = el; node; node = node.parentElement) {
        const layer = rgba(getComputedStyle(node).backgroundColor);
        layers.push(layer);
        if (layer[3] >= 1) break;
      }
      const text = (el.innerText || el.value).trim().replace(/\\s+/g, " ").slice(0, 40);
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ` "${text}"`;
      return {area, name, color: rgba(getComputedStyle(el).color), layers};
    });
}"""


def _colour(values: list[float]) -> tuple[int, int, int, float]:
    r, g, b, a = values
    return (int(r), int(g), int(b), float(a))


async def low_contrast(page: Page) -> list[str]:
    """The header's text, every button and link and the status message against what is
    behind them: at least 4.5:1 (WCAG 2.1 AA for normal text)."""
    problems: list[str] = []
    for target in await page.evaluate(CONTRAST_TARGETS):
        background = effective_background([_colour(layer) for layer in target["layers"]])
        foreground = composite(_colour(target["color"]), background)
        ratio = contrast_ratio(foreground, background)
        if ratio < AA_NORMAL_TEXT:
            problems.append(
                f"{target['area']} {target['name']}: contrast {ratio:.2f}:1 of text"
                f" rgb{foreground} on rgb{background}, under {AA_NORMAL_TEXT}:1"
            )
    return problems


async def page_problems(page: Page, screen: Screen) -> list[str]:
    """Every check above, for a page as it is now on this screen."""
    return [
        *await horizontal_overflow(page, screen),
        *await unreachable_controls(page, screen),
        *await unlabelled_fields(page),
        *await low_contrast(page),
    ]
