"""A white label's customers see its brand, never ours: on every page and in every email."""

import uuid
from email.message import EmailMessage

import httpx
import pytest

from devstack.mailsink import MailSink
from domain.brand import LOGO_MAX_BYTES
from store.engine import SessionFactory
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.images import png
from tests.support.self_serve_helpers import (
    activate_from_email,
    mails_to,
    start_signup,
    text_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

BRAND = "/v1/white-label/brand"


async def test_a_white_label_without_a_brand_shows_neutral_defaults(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    brand = (await api.get(BRAND, headers=white_label.headers)).json()
    assert brand["display_name"].startswith("Reseller ")
    assert brand["primary_colour"] == "#334155"
    assert brand["logo_src"] is None
    assert brand["support_email"] is None


async def test_an_administrator_sets_the_brand_and_null_puts_a_field_back(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    change = {
        "display_name": "Kiwi Voice",
        "primary_colour": "#FFEB3B",
        "support_email": "help@kiwivoice.example.com",
        "support_phone": "+64 9 555 0100",
        "email_sender_name": "Kiwi Voice Signups",
        "email_sender_address": "signup@kiwivoice.example.com",
        "logo_url": "https://cdn.kiwivoice.example.com/logo.png",
    }
    response = await api.patch(BRAND, json=change, headers=white_label.headers)
    assert response.status_code == 200, response.text
    brand = response.json()
    assert brand["primary_colour"] == "#ffeb3b"
    assert brand["text_on_primary"] == "#000000"
    assert brand["support_phone"] == "+6495550100"
    assert brand["logo_src"] == "https://cdn.kiwivoice.example.com/logo.png"

    response = await api.patch(BRAND, json={"support_phone": None}, headers=white_label.headers)
    brand = response.json()
    assert brand["support_phone"] is None
    assert brand["display_name"] == "Kiwi Voice"  # left out, so left as it was


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("primary_colour", "red;}body{display:none"),
        ("primary_colour", "#12345"),
        ("logo_url", "http://cdn.example.com/logo.png"),
        ("logo_url", "javascript:alert(1)"),
        ("email_sender_name", "Kiwi\r\nBcc: everyone@example.com"),
        ("support_email", "not an address"),
        ("support_phone", "555-0100"),
        ("display_name", ""),
    ],
)
async def test_a_bad_brand_value_is_refused_naming_its_field(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, field: str, value: str
) -> None:
    response = await api.patch(BRAND, json={field: value}, headers=white_label.headers)
    assert response.status_code == 422
    assert [error["path"] for error in response.json()["error"]["fields"]] == [field]


async def test_staff_read_the_brand_but_cannot_change_it(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    assert (await api.get(BRAND, headers=white_label.staff_headers)).status_code == 200
    patch = await api.patch(BRAND, json={"display_name": "Mine"}, headers=white_label.staff_headers)
    assert patch.status_code == 403
    upload = await api.put(f"{BRAND}/logo", content=png(), headers=white_label.staff_headers)
    assert upload.status_code == 403


async def test_an_uploaded_logo_is_served_by_its_content_not_its_declared_type(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    headers = {**white_label.headers, "Content-Type": "image/gif"}
    response = await api.put(f"{BRAND}/logo", content=png(), headers=headers)
    assert response.status_code == 200, response.text
    logo_src = response.json()["logo_src"]
    assert logo_src.startswith(f"/brand/{white_label.id}/logo?v=")

    served = await api.get(logo_src)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == png()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "PNG, JPEG"),
        (b"", "empty"),
        (png() + b"\x00" * LOGO_MAX_BYTES, "at most"),
    ],
)
async def test_a_logo_that_is_not_a_small_image_is_refused(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, content: bytes, problem: str
) -> None:
    response = await api.put(f"{BRAND}/logo", content=content, headers=white_label.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"][0]["path"] == "logo"
    assert problem in error["message"]


async def _branded_white_label(
    api: httpx.AsyncClient, sessions: SessionFactory, **brand: str
) -> WhiteLabelFixture:
    white_label = await make_white_label(sessions)
    response = await api.patch(BRAND, json=brand, headers=white_label.headers)
    assert response.status_code == 200, response.text
    return white_label


async def _activation_email_and_page(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> tuple[EmailMessage, httpx.Response]:
    signup = await start_signup(api, white_label)
    [email] = await mails_to(mail_sink, signup.email, 1)
    link = await activate_from_email(api, mail_sink, signup.email)
    page = await api.get(link.path, params={"token": link.token})
    assert page.status_code == 200
    return email, page


async def test_two_white_labels_brand_their_pages_and_emails_differently(
    api: httpx.AsyncClient, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    kiwi = await _branded_white_label(
        api,
        sessions,
        display_name="Kiwi Voice",
        primary_colour="#0b6e4f",
        support_email="help@kiwivoice.example.com",
        email_sender_name="Kiwi Voice Signups",
        email_sender_address="signup@kiwivoice.example.com",
    )
    tui = await _branded_white_label(
        api, sessions, display_name="Tui Telecom", primary_colour="#ffd166"
    )

    kiwi_email, kiwi_page = await _activation_email_and_page(api, kiwi, mail_sink)
    tui_email, tui_page = await _activation_email_and_page(api, tui, mail_sink)

    assert kiwi_email["From"] == "Kiwi Voice Signups <signup@kiwivoice.example.com>"
    assert kiwi_email["Reply-To"] == "help@kiwivoice.example.com"
    assert kiwi_email["Subject"] == "Activate your Kiwi Voice account"
    assert "#0b6e4f" in text_of(kiwi_email, "html")
    assert "help@kiwivoice.example.com" in text_of(kiwi_email)

    assert tui_email["From"].startswith("Tui Telecom <")
    assert tui_email["Reply-To"] is None
    assert tui_email["Subject"] == "Activate your Tui Telecom account"
    assert "#ffd166" in text_of(tui_email, "html")
    assert "Kiwi" not in text_of(tui_email, "html") + text_of(tui_email)

    assert "Kiwi Voice" in kiwi_page.text
    assert "Tui Telecom" not in kiwi_page.text
    assert "Tui Telecom" in tui_page.text
    assert "Kiwi Voice" not in tui_page.text
    kiwi_theme = await api.get(f"/brand/{kiwi.id}/theme.css")
    tui_theme = await api.get(f"/brand/{tui.id}/theme.css")
    assert "--accent: #0b6e4f; --on-accent: #ffffff;" in kiwi_theme.text
    assert "--accent: #ffd166; --on-accent: #000000;" in tui_theme.text
    assert f"/brand/{kiwi.id}/theme.css" in kiwi_page.text


async def test_brand_values_cannot_inject_markup_into_pages_or_emails(
    api: httpx.AsyncClient, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    white_label = await _branded_white_label(
        api, sessions, display_name=hostile, email_sender_name=hostile
    )
    email, page = await _activation_email_and_page(api, white_label, mail_sink)
    for html in (page.text, text_of(email, "html")):
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_an_uploaded_logo_travels_inside_the_email(
    api: httpx.AsyncClient, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    white_label = await make_white_label(sessions)
    upload = await api.put(f"{BRAND}/logo", content=png(), headers=white_label.headers)
    assert upload.status_code == 200

    email, page = await _activation_email_and_page(api, white_label, mail_sink)
    [image] = [part for part in email.walk() if part.get_content_type() == "image/png"]
    content_id = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{content_id}"' in text_of(email, "html")
    assert image.get_payload(decode=True) == png()
    # Shown with the name beside it, and the name as its alt text, so blocked images break nothing.
    assert f'alt="{upload.json()["display_name"]}"' in text_of(email, "html")
    assert upload.json()["logo_src"] in page.text


async def test_a_logo_url_is_allowed_by_the_page_policy_for_its_host_only(
    api: httpx.AsyncClient, sessions: SessionFactory, mail_sink: MailSink
) -> None:
    white_label = await _branded_white_label(
        api, sessions, logo_url="https://cdn.kiwivoice.example.com/logo.png"
    )
    _, page = await _activation_email_and_page(api, white_label, mail_sink)
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.kiwivoice.example.com;" in policy
    assert 'src="https://cdn.kiwivoice.example.com/logo.png"' in page.text


async def test_a_bad_link_shows_a_neutral_page_naming_no_white_label(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    page = await api.get(f"/activate/{uuid.uuid4()}", params={"token": "forged"})
    assert page.status_code == 404
    assert "Reseller" not in page.text
    assert "/brand/" not in page.text
