"""WCAG 2.1 colour contrast (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).

Colours are 8-bit sRGB; a colour with an alpha channel is first composited over what lies
beneath it (`composite`, `effective_background`).
"""

from collections.abc import Sequence

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, float]  # alpha from 0 (transparent) to 1 (opaque)

AA_NORMAL_TEXT = 4.5
WHITE: RGB = (255, 255, 255)  # the canvas under a page that paints no background


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    r, g, b = (_linear(channel) for channel in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(rgb1: RGB, rgb2: RGB) -> float:
    """From 1 (the same luminance) to 21 (black on white); the order does not matter."""
    lighter, darker = sorted((relative_luminance(rgb1), relative_luminance(rgb2)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def composite(top: RGBA, bottom: RGB) -> RGB:
    """`top` painted over the opaque `bottom` (source-over)."""
    alpha = top[3]
    r, g, b = (round(alpha * t + (1 - alpha) * u) for t, u in zip(top[:3], bottom, strict=True))
    return (r, g, b)


def effective_background(layers: Sequence[RGBA]) -> RGB:
    """What shows through a stack of backgrounds, listed from the element up to the root.

    Layers under the first opaque one are hidden by it; with none opaque, the white canvas
    shows through.
    """
    visible: list[RGBA] = []
    for layer in layers:
        visible.append(layer)
        if layer[3] >= 1:
            break
    colour = WHITE
    for layer in reversed(visible):
        colour = composite(layer, colour)
    return colour
