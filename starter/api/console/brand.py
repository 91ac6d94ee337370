"""`/console/brand`: what the white label's customers see, edited with a live preview.

The same service as `PATCH /v1/white-label/brand` and the logo routes (starter.branding), so
the same model, sender check and image check apply, and their messages show beside the field.
An empty field puts the neutral default back, as `null` does in the API. The preview shows
the customer pages' header and an email as they would look; console.js updates it as the
fields change, asking this module for the text colour a background needs.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from domain.brand import LOGO_MAX_BYTES, BrandUpdate, readable_text_colour
from domain.validation import field_message
from starter.api.console.pages import console_page
from starter.api.console.session import (
    CSRF_FIELD,
    Console,
    check_csrf,
    require_administrator,
)
from starter.api.dependencies import AppServices
from starter.branding import BrandFieldInvalid
from starter.console_access import SignedIn
from starter.console_wizard import summary_links

router = APIRouter(prefix="/console/brand", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can change the brand."
FIELDS = {
    "display_name": "Display name",
    "primary_colour": "Colour",
    "logo_url": "Logo address",
    "support_email": "Support email",
    "support_phone": "Support phone",
    "email_sender_name": "Email sender name",
    "email_sender_address": "Email sender address",
}
LABELS = {**FIELDS, "logo": "Logo file"}


async def _form_of(app: AppServices, signed_in: SignedIn) -> dict[str, str]:
    saved = (await app.branding.settings(signed_in.caller)).model_dump()
    return {name: str(saved.get(name) or "") for name in FIELDS}


async def _page(
    app: AppServices,
    signed_in: SignedIn,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    brand = await app.branding.brand(signed_in.caller)
    return console_page(
        app.settings,
        "brand.html",
        signed_in=signed_in,
        brand=brand,
        form=form or await _form_of(app, signed_in),
        errors=errors,
        error_links=summary_links(errors, LABELS),
        done=done,
        logo_kib=LOGO_MAX_BYTES // 1024,
        status_code=status_code,
    )


@router.get("")
async def brand_page(signed_in: Console, app: AppServices, done: str = "") -> Response:
    return await _page(app, signed_in, done="The brand was saved." if done == "saved" else "")


@router.get("/colours")
async def colours(signed_in: Console, colour: str = "") -> Response:
    """The text colour the preview puts on a background (the server's own contrast rule)."""
    try:
        checked = BrandUpdate.model_validate({"primary_colour": colour}).primary_colour
    except ValidationError:
        checked = None
    if checked is None:
        return JSONResponse({"valid": False})
    return JSONResponse(
        {"valid": True, "accent": checked, "on_accent": readable_text_colour(checked)}
    )


@router.post("", max_body_size=2 * LOGO_MAX_BYTES + 16 * 1024)  # a too-big logo is told why
async def save(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    posted = await request.form(max_files=1, max_fields=20)
    check_csrf(signed_in.csrf_token, posted.get(CSRF_FIELD))
    form = {name: str(posted.get(name) or "").strip() for name in FIELDS}
    values: dict[str, Any] = {name: value or None for name, value in form.items()}
    errors: dict[str, str] = {}
    try:
        change = BrandUpdate.model_validate(values)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0])
            errors.setdefault(name, field_message(str(problem["msg"])))
        return await _page(app, signed_in, form=form, errors=errors, status_code=422)
    upload = posted.get("logo")
    logo = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    try:
        await app.branding.change(
            signed_in.caller,
            change,
            logo_image=logo,
            remove_logo_image=posted.get("remove_logo") == "yes" and logo is None,
        )
    except BrandFieldInvalid as invalid:
        errors = {invalid.path: invalid.message}
        return await _page(app, signed_in, form=form, errors=errors, status_code=422)
    return RedirectResponse("/console/brand?done=saved", status_code=303)
