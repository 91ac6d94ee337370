"""The console's Brand page: the API's checks beside each field, a logo upload, an empty field
back to the default; staff see the brand but cannot change it."""

import httpx
import pytest

from devstack.mailsink import MailSink
from tests.conftest import WhiteLabelFixture
from tests.support.console_helpers import form_token_in, signed_in_client, staff_email
from tests.support.images import png

pytestmark = pytest.mark.asyncio(loop_scope="session")
EMPTY = {
    "display_name": "",
    "primary_colour": "",
    "logo_url": "",
    "support_email": "",
    "support_phone": "",
    "email_sender_name": "",
    "email_sender_address": "",
}


async def save(
    console: httpx.AsyncClient, fields: dict[str, str], logo: bytes | None = None
) -> httpx.Response:
    page = await console.get("/console/brand")
    data = {**EMPTY, **fields, "csrf_token": form_token_in(page.text)}
    files = {"logo": ("logo.png", logo, "image/png")} if logo is not None else None
    return await console.post("/console/brand", data=data, files=files)


async def test_an_administrator_saves_the_brand_and_a_logo(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        saved = await save(
            console,
            {
                "display_name": "Kiwi Voice",
                "primary_colour": "#0f766e",
                "support_email": "help@kiwivoice.example.com",
                "email_sender_address": "hello@kiwivoice.example.com",
            },
            logo=png(),
        )
        page = await console.get(saved.headers["location"])
    brand = await api.get("/v1/white-label/brand", headers=white_label.headers)

    assert saved.status_code == 303
    assert "The brand was saved." in page.text
    assert brand.json()["display_name"] == "Kiwi Voice"
    assert brand.json()["primary_colour"] == "#0f766e"
    assert brand.json()["has_logo_image"] is True
    assert brand.json()["email_sender_address"] == "hello@kiwivoice.example.com"
    assert 'value="Kiwi Voice"' in page.text


async def test_each_refused_field_is_named_beside_it_and_nothing_is_saved(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        bad_colour = await save(console, {"display_name": "Kiwi", "primary_colour": "teal"})
        unverified = await save(console, {"email_sender_address": "me@elsewhere.example.org"})
        not_an_image = await save(console, {}, logo=b"<svg onload=alert(1)>")
        too_big = await save(console, {}, logo=png() + b"\0" * 70 * 1024)
    brand = await api.get("/v1/white-label/brand", headers=white_label.headers)

    assert bad_colour.status_code == 422
    assert 'id="f-primary_colour-error"' in bad_colour.text
    assert 'value="teal"' in bad_colour.text  # what was typed stays
    assert unverified.status_code == 422
    assert 'id="f-email_sender_address-error"' in unverified.text
    assert not_an_image.status_code == 422
    assert 'id="f-logo-error"' in not_an_image.text
    assert too_big.status_code == 422
    assert "at most 61440 are allowed" in too_big.text
    assert brand.json()["display_name"] != "Kiwi"


async def test_an_empty_field_puts_the_default_back(
    api: httpx.AsyncClient, api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, white_label.admin_email) as console:
        await save(console, {"display_name": "Kiwi Voice", "primary_colour": "#0f766e"})
        await save(console, {"display_name": "Kiwi Voice"})
    brand = await api.get("/v1/white-label/brand", headers=white_label.headers)

    assert brand.json()["display_name"] == "Kiwi Voice"
    assert brand.json()["primary_colour"] != "#0f766e"


async def test_staff_see_the_brand_but_cannot_change_it(
    api_url: str, white_label: WhiteLabelFixture, mail_sink: MailSink
) -> None:
    async with signed_in_client(api_url, mail_sink, staff_email(white_label.admin_email)) as staff:
        page = await staff.get("/console/brand")
        refused = await staff.post(
            "/console/brand",
            data={**EMPTY, "display_name": "Staff", "csrf_token": form_token_in(page.text)},
        )

    assert page.status_code == 200
    assert "Save brand" not in page.text
    assert "Preview" in page.text
    assert refused.status_code == 403
