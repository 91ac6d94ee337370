"""`/activate/...`: the pages and calls behind the emailed activation link.

GET only shows a page (mail scanners follow links); changes happen on POST. Every page sends
no-referrer, no-store, a strict CSP and DENY framing, and every bad link gets the same answer.
"""

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from domain.brand import Brand, neutral_brand
from domain.display import human_time
from domain.enums import CustomerStatus
from domain.money import format_amount
from domain.self_serve import ActivateResult, ActivationOutcome, PaymentStatus
from domain.settings import Settings
from starter.activation import Activation, SignupPage
from starter.api.dependencies import AppServices, client_address, services
from starter.attempt_limits import Refusal
from starter.links import Link, LinkInvalid, LinkNotAuthentic, TryAgainLater

TEMPLATES = Environment(
    loader=PackageLoader("starter", "templates"), autoescape=select_autoescape(["html"])
)
Token = Annotated[str, Field(min_length=1, max_length=200)]
GENERIC = "This link is not valid any more."


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(settings: Settings, brand: Brand | None = None) -> dict[str, str]:
    # A WL's logo may live on its own https host: that one host is added to what images may
    # load from, nothing else.
    images = "'self' data:"
    if brand is not None and brand.logo_url and not brand.has_logo_image:
        images += f" {_origin(brand.logo_url)}"
    stripe = urlsplit(settings.stripe_js_url)
    stripe_origin = f"{stripe.scheme}://{stripe.netloc}"
    api_origin = stripe_origin if settings.stripe_api_base else "https://api.stripe.com"
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe_origin}",
            f"connect-src 'self' {api_origin}",
            f"frame-src {stripe_origin} https://hooks.stripe.com",
            f"img-src {images}",
            "style-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    }


def html_page(
    settings: Settings, template: str, status_code: int = 200, **context: Any
) -> Response:
    brand: Brand = context.setdefault("brand", neutral_brand())
    body = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=security_headers(settings, brand))


def _json(settings: Settings, body: dict[str, Any], status_code: int = 200) -> Response:
    return JSONResponse(body, status_code=status_code, headers=security_headers(settings))


def _json_invalid(settings: Settings) -> Response:
    return _json(settings, {"status": "error", "message": GENERIC}, 404)


def _json_try_again(settings: Settings) -> Response:
    return _json(settings, {"status": "error", "message": "Please try again."}, 503)


SLOW_DOWN = "Too many attempts. Please wait a few minutes, then try again."


def _json_slow_down(settings: Settings) -> Response:
    return _json(settings, {"status": "error", "message": SLOW_DOWN}, 429)


def slow_down_page(settings: Settings) -> Response:
    return html_page(settings, "slow_down.html", 429)


def _invalid(settings: Settings) -> Response:
    # The same neutral page for every bad link: it names no white label.
    return html_page(settings, "link_invalid.html", 404)


def try_again_page(settings: Settings) -> Response:
    return html_page(settings, "try_again.html", 503)


Answer = Callable[[Settings], Response]


def _named_subject(request: Request) -> uuid.UUID | None:
    """What the link names: the customer (activation, invitation) or the sign-in (console)."""
    named = request.path_params.get("customer_id") or request.path_params.get("sign_in_id")
    try:
        return uuid.UUID(str(named))
    except ValueError:
        return None


def answering_link_errors(invalid: Answer, try_again: Answer, slow_down: Answer) -> type[APIRoute]:
    """Every route of a router is rate-limited and answers a bad link and a busy signup the
    same way.

    Routes raise `LinkInvalid` or `TryAgainLater` from anywhere (the token, Temporal, the
    database, Stripe); none can forget to catch one and answer with a 500, or forget to count
    a failed attempt.
    """

    def paused(settings: Settings, refusal: Refusal) -> Response:
        answer = slow_down(settings)
        answer.headers["Retry-After"] = str(refusal.retry_after_seconds)
        return answer

    class LinkErrorsAnswered(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def answer(request: Request) -> Response:
                app = await services(request)
                address = client_address(request)
                refusal = await app.attempt_limits.admit(address)
                if refusal is not None:
                    return paused(app.settings, refusal)
                try:
                    return await handle(request)
                except LinkNotAuthentic:
                    # Routes check the MAC before anything else (local and cheap), so a
                    # guess never reaches Temporal; only guesses count against what it names.
                    subject = _named_subject(request)
                    refusal = await app.attempt_limits.not_authentic(address, subject)
                    return (
                        invalid(app.settings) if refusal is None else paused(app.settings, refusal)
                    )
                except LinkInvalid:
                    await app.attempt_limits.failed(address)
                    return invalid(app.settings)
                except TryAgainLater:
                    return try_again(app.settings)

            return answer

    return LinkErrorsAnswered


# The pages a browser opens, and the JSON calls their script makes.
router = APIRouter(
    prefix="/activate",
    tags=["activation"],
    route_class=answering_link_errors(_invalid, try_again_page, slow_down_page),
)
calls = APIRouter(
    prefix="/activate",
    tags=["activation"],
    route_class=answering_link_errors(_json_invalid, _json_try_again, _json_slow_down),
)


def _page_context(page: SignupPage, token: str) -> dict[str, Any]:
    return {
        "page": page,
        "token": token,
        "brand": page.brand,
        "amount_due": format_amount(page.amount_due),
    }


@router.get("/{customer_id}", response_class=HTMLResponse, summary="The activation page")
async def show_activation(
    customer_id: uuid.UUID, app: AppServices, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    activation = app.activation
    link = activation.verify(customer_id, token)
    progress = await activation.progress(link)
    page = await activation.page(customer_id)
    context = _page_context(page, link.token)
    if progress.status == CustomerStatus.ACTIVE.value:
        return html_page(app.settings, "active.html", **context)
    if progress.status == CustomerStatus.AWAITING_ACTIVATION.value:
        expires = human_time(progress.activation_expires_at)
        return html_page(app.settings, "activate_confirm.html", expires_at=expires, **context)
    if progress.status == CustomerStatus.AWAITING_PAYMENT.value:
        expires = human_time(progress.payment_expires_at or progress.activation_expires_at)
        return html_page(
            app.settings,
            "activate_confirm.html",
            expires_at=expires,
            continue_to_payment=True,
            **context,
        )
    return _invalid(app.settings)


@router.post("/{customer_id}", response_class=HTMLResponse, summary="Activate the account")
async def activate(
    customer_id: uuid.UUID, app: AppServices, token: Annotated[str, Form(max_length=200)]
) -> Response:
    activation = app.activation
    link = activation.verify(customer_id, token)
    result = await activation.activate(link)
    page = await activation.page(customer_id)
    context = _page_context(page, link.token)
    if page.status is CustomerStatus.ACTIVE:
        return html_page(app.settings, "active.html", **context)
    if not result.payment_due:
        return html_page(app.settings, "finishing.html", **context)
    if result.outcome is ActivationOutcome.ALREADY_ACTIVATED and page.status not in {
        CustomerStatus.AWAITING_PAYMENT
    }:
        return html_page(app.settings, "finishing.html", **context)
    return await _payment_page(app, activation, link, page, result)


async def _payment_page(
    app: AppServices, activation: Activation, link: Link, page: SignupPage, result: ActivateResult
) -> Response:
    setup_secret = await activation.card_setup_secret(page)
    payment_expires = result.payment_expires_at
    return html_page(
        app.settings,
        "payment.html",
        setup_secret=setup_secret,
        publishable_key=app.settings.stripe_publishable_key or "",
        stripe_js_url=app.settings.stripe_js_url,
        payment_expires_at=human_time(payment_expires) if payment_expires else None,
        last_error=result.last_payment_error,
        **_page_context(page, link.token),
    )


class TokenBody(BaseModel):
    token: Token


class PaymentBody(TokenBody):
    payment_method: str = Field(pattern=r"^pm_[A-Za-z0-9_]{1,200}$")


@calls.post("/{customer_id}/payment", summary="Pay with the card the page just saved")
async def submit_payment(customer_id: uuid.UUID, body: PaymentBody, app: AppServices) -> Response:
    activation = app.activation
    link = activation.verify(customer_id, body.token)
    result = await activation.submit_payment(link, body.payment_method)
    answer: dict[str, Any] = {"status": result.status.value}
    if result.status is PaymentStatus.REQUIRES_ACTION and result.payment_intent_id:
        page = await activation.page(customer_id)
        answer["client_secret"] = await activation.payment_client_secret(
            page, result.payment_intent_id
        )
    if result.message:
        answer["message"] = result.message
    return _json(app.settings, answer)


@calls.post("/{customer_id}/card-setup", summary="A fresh card form after a decline")
async def card_setup(customer_id: uuid.UUID, body: TokenBody, app: AppServices) -> Response:
    activation = app.activation
    link = activation.verify(customer_id, body.token)
    progress = await activation.progress(link)
    if progress.status != CustomerStatus.AWAITING_PAYMENT.value:
        raise LinkInvalid
    secret = await activation.card_setup_secret(await activation.page(customer_id))
    return _json(app.settings, {"client_secret": secret})


@calls.post("/{customer_id}/status", summary="Where the signup is, for the page to poll")
async def signup_status(customer_id: uuid.UUID, body: TokenBody, app: AppServices) -> Response:
    activation = app.activation
    link = activation.verify(customer_id, body.token)
    progress = await activation.progress(link)
    answer: dict[str, Any] = {"status": progress.status}
    if progress.last_payment_error and progress.status == CustomerStatus.AWAITING_PAYMENT.value:
        answer["message"] = progress.last_payment_error
    return _json(app.settings, answer)
