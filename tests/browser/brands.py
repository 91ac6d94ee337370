"""White labels with a brand of their own, as a reseller sets one up, for the browser tests."""

from dataclasses import dataclass

import httpx

from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.images import png


@dataclass(frozen=True)
class Look:
    name: str
    display_name: str
    colour: str
    text_rgb: str
    colour_rgb: str
    support_email: str
    logo_colour: str


KIWI = Look(
    name="kiwi",
    display_name="Kiwi Voice",
    colour="#0b6e4f",
    text_rgb="rgb(255, 255, 255)",
    colour_rgb="rgb(11, 110, 79)",
    support_email="help@kiwi.example",
    logo_colour="#f59e0b",
)
TUI = Look(
    name="tui",
    display_name="Tui Telecom",
    colour="#ffd166",
    text_rgb="rgb(0, 0, 0)",
    colour_rgb="rgb(255, 209, 102)",
    support_email="hi@tui.example",
    logo_colour="#1e3a8a",
)


async def branded(
    api: httpx.AsyncClient, sessions: SessionFactory, look: Look
) -> WhiteLabelFixture:
    white_label = await make_white_label(sessions)
    brand = {
        "display_name": look.display_name,
        "primary_colour": look.colour,
        "support_email": look.support_email,
        "support_phone": "+6495550000",
    }
    changed = await api.patch("/v1/white-label/brand", json=brand, headers=white_label.headers)
    assert changed.status_code == 200, changed.text
    logo = png(96, 32, look.logo_colour)
    uploaded = await api.put(
        "/v1/white-label/brand/logo", content=logo, headers=white_label.headers
    )
    assert uploaded.status_code == 200, uploaded.text
    return white_label
