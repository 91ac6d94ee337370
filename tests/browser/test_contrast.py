"""The contrast helper of the page tests (no browser needed)."""

import pytest

from tests.browser.contrast import (
    WHITE,
    composite,
    contrast_ratio,
    effective_background,
    relative_luminance,
)

BLACK = (0, 0, 0)


def test_black_on_white_is_21_to_1_and_a_colour_on_itself_1_to_1() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21)
    assert contrast_ratio((29, 78, 216), (29, 78, 216)) == pytest.approx(1)


def test_the_order_of_the_colours_does_not_matter() -> None:
    assert contrast_ratio(WHITE, (29, 78, 216)) == contrast_ratio((29, 78, 216), WHITE)


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        # Figures from WebAIM's contrast checker.
        pytest.param((0x77, 0x77, 0x77), WHITE, 4.48, id="#777-on-white-just-under-AA"),
        pytest.param((0x76, 0x76, 0x76), WHITE, 4.54, id="#767676-on-white-lightest-grey-in-AA"),
        pytest.param(WHITE, (0x1D, 0x4E, 0xD8), 6.70, id="white-on-#1d4ed8"),
        pytest.param(WHITE, (0x33, 0x41, 0x55), 10.35, id="white-on-#334155"),
        pytest.param((0x55, 0x55, 0x55), WHITE, 7.46, id="#555-on-white"),
    ],
)
def test_known_pairs(
    foreground: tuple[int, int, int], background: tuple[int, int, int], expected: float
) -> None:
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.01)


def test_luminance_of_the_extremes() -> None:
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1)


def test_a_translucent_layer_is_blended_with_what_lies_beneath() -> None:
    assert composite((0, 0, 0, 0.5), WHITE) == (128, 128, 128)
    assert composite((10, 20, 30, 1.0), WHITE) == (10, 20, 30)
    assert composite((10, 20, 30, 0.0), WHITE) == WHITE


def test_the_effective_background_stops_at_the_first_opaque_layer() -> None:
    transparent = (0, 0, 0, 0.0)
    blue = (29, 78, 216, 1.0)
    red = (255, 0, 0, 1.0)
    assert effective_background([transparent, blue, red]) == (29, 78, 216)
    assert effective_background([(0, 0, 0, 0.5), blue]) == (14, 39, 108)  # 14.5 rounds to even
    assert effective_background([transparent, transparent]) == WHITE
    assert effective_background([]) == WHITE
