"""Rendering a console page: the WL's brand around it, the customer pages' headers on it."""

from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from domain.brand import Brand, neutral_brand
from domain.display import human_time
from domain.money import format_amount
from domain.settings import Settings
from starter.api.activation_pages import security_headers
from starter.console_access import SignedIn

TEMPLATES = Environment(
    loader=PackageLoader("starter", "templates"), autoescape=select_autoescape(["html"])
)
TEMPLATES.filters["when"] = human_time
TEMPLATES.filters["money"] = format_amount

STATUS_WORDS = {
    "provisioning": "Provisioning",
    "awaiting_activation": "Awaiting activation",
    "awaiting_payment": "Awaiting payment",
    "active": "Active",
    "failed": "Failed",
    "expired": "Expired",
    "cancelled": "Cancelled",
}
PATH_WORDS = {
    "self_serve": "The New Customer (self-serve)",
    "wl_managed": "Me, the White Label administrator",
}
TEMPLATES.globals["status_words"] = STATUS_WORDS
TEMPLATES.globals["path_words"] = PATH_WORDS


def console_page(
    settings: Settings,
    template: str,
    *,
    signed_in: SignedIn | None = None,
    brand: Brand | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    shown = brand or (signed_in.brand if signed_in else neutral_brand())
    body = TEMPLATES.get_template(f"console/{template}").render(
        signed_in=signed_in, brand=shown, **context
    )
    return HTMLResponse(body, status_code=status_code, headers=security_headers(settings, shown))
