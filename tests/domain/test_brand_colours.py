"""Whatever colour a white label picks, the text on it stays readable (WCAG 2.1 AA)."""

import itertools

from domain.brand import contrast_ratio, readable_text_colour


def test_text_on_every_brand_colour_reaches_wcag_aa() -> None:
    steps = range(0, 256, 15)
    for red, green, blue in itertools.product(steps, steps, steps):
        colour = f"#{red:02x}{green:02x}{blue:02x}"
        assert contrast_ratio(readable_text_colour(colour), colour) >= 4.5, colour


def test_dark_brands_get_white_text_and_light_brands_black() -> None:
    assert readable_text_colour("#1d4ed8") == "#ffffff"
    assert readable_text_colour("#ffeb3b") == "#000000"
