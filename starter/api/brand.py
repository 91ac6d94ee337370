"""The white label's brand: set by its administrators, shown on its customers' pages.

`/v1/white-label/brand` is the WL's own (administrators change it, staff read it). `/brand/...`
is public: the logo and the colour sheet that the activation pages load, keyed by the WL id,
which tells nothing about any customer.
"""

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from domain.brand import LOGO_MAX_BYTES, Brand, BrandUpdate
from starter.administration import require_administrator
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope, FieldError, error_response
from starter.branding import BrandFieldInvalid
from store import brands
from store.schema import WhiteLabel

router = APIRouter(prefix="/v1/white-label/brand", tags=["brand"])
public = APIRouter(prefix="/brand", tags=["brand"], include_in_schema=False)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 413, 422, 429)
}
# A year: the URL carries the image's hash, so a new logo gets a new URL.
IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("", response_model=Brand, responses=ERRORS, summary="The brand customers see")
async def show_brand(app: AppServices, caller: AuthenticatedCaller) -> Brand:
    return await app.branding.brand(caller)


def _invalid(error: BrandFieldInvalid) -> Response:
    return error_response(
        422,
        "ValidationError",
        f"{error.path}: {error.message}",
        [FieldError(path=error.path, message=error.message)],
    )


@router.patch("", response_model=Brand, responses=ERRORS, summary="Change the brand")
async def change_brand(
    body: BrandUpdate, app: AppServices, caller: AuthenticatedCaller
) -> Response:
    """Fields left out stay as they are; `null` puts a field back to its neutral default."""
    try:
        brand = await app.branding.change(caller, body)
    except BrandFieldInvalid as error:
        return _invalid(error)
    return JSONResponse(brand.model_dump(mode="json"))


@router.put(
    "/logo",
    response_model=Brand,
    responses=ERRORS,
    summary="Upload the logo (PNG, JPEG or GIF, at most 60 KiB)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {
                    "schema": {"type": "string", "format": "binary", "maxLength": LOGO_MAX_BYTES}
                }
                for kind in ("image/png", "image/jpeg", "image/gif")
            },
        }
    },
)
async def upload_logo(request: Request, app: AppServices, caller: AuthenticatedCaller) -> Response:
    """The image's own bytes decide its type, not the Content-Type header or a file name."""
    require_administrator(caller, "change the brand")  # before reading the body
    try:
        brand = await app.branding.set_logo(caller, await request.body())
    except BrandFieldInvalid as error:
        return _invalid(error)
    return JSONResponse(brand.model_dump(mode="json"))


@router.delete("/logo", response_model=Brand, responses=ERRORS, summary="Remove the uploaded logo")
async def remove_logo(app: AppServices, caller: AuthenticatedCaller) -> Response:
    brand = await app.branding.remove_logo(caller)
    return JSONResponse(brand.model_dump(mode="json"))


LOGO_HEADERS = {
    "Cache-Control": IMMUTABLE,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@public.get("/{white_label_id}/logo")
async def logo(white_label_id: uuid.UUID, app: AppServices) -> Response:
    async with app.reading_sessions() as session:
        image = await brands.logo_image(session, white_label_id)
    if image is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    return Response(image.data, media_type=image.content_type, headers=LOGO_HEADERS)


@public.get("/{white_label_id}/theme.css")
async def theme(white_label_id: uuid.UUID, app: AppServices) -> Response:
    """The brand colour for the pages, whose policy allows style sheets from here only."""
    async with app.reading_sessions() as session:
        white_label = await session.get(WhiteLabel, white_label_id)
        if white_label is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        brand = await brands.brand_of(session, white_label)
    return Response(
        theme_css(brand),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def theme_css(brand: Brand) -> str:
    # Both colours passed `#rrggbb` validation: nothing else can reach this sheet.
    return f":root {{ --accent: {brand.primary_colour}; --on-accent: {brand.text_on_primary}; }}\n"
