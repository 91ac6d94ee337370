"""`/console/sign-in`: ask for an emailed link, open it, sign in; and sign out.

Asking answers the same page whether or not the address belongs to a user. Opening the link
(GET) only shows a Sign in button, since mail scanners follow links; the POST signs in.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import EmailStr, TypeAdapter, ValidationError
from temporalio.service import RPCError

from domain.settings import Settings
from starter.api.activation_pages import answering_link_errors
from starter.api.console.pages import console_page
from starter.api.console.session import (
    CSRF_FIELD,
    FORM_COOKIE,
    SESSION_COOKIE,
    Console,
    check_csrf,
    clear_cookie,
    form_token,
    maybe_signed_in,
    set_cookie,
)
from starter.api.dependencies import AppServices, client_address

router = APIRouter(prefix="/console", include_in_schema=False)
EMAIL = TypeAdapter(EmailStr)
CUSTOMERS_PAGE = "/console/customers"


@router.get("")
async def console_home(request: Request, app: AppServices) -> Response:
    if await maybe_signed_in(request, app) is None:
        return RedirectResponse("/console/sign-in", status_code=303)
    return RedirectResponse(CUSTOMERS_PAGE, status_code=303)


def _page_with_form_token(
    request: Request, app: AppServices, template: str, status_code: int = 200, **context: Any
) -> Response:
    """A page whose form works before signing in: it carries the browser's form token (and
    sets the cookie that holds it, the first time)."""
    token, fresh = form_token(request)
    page = console_page(
        app.settings, template, csrf_token=token, status_code=status_code, **context
    )
    if fresh:
        set_cookie(page, app.settings, FORM_COOKIE, token)
    return page


def _sign_in_form(
    request: Request, app: AppServices, *, email: str = "", error: str = "", status_code: int = 200
) -> Response:
    return _page_with_form_token(
        request,
        app,
        "sign_in.html",
        status_code,
        email=email,
        error=error,
        signed_out=request.query_params.get("signed_out") == "1",
    )


@router.get("/sign-in")
async def sign_in_page(request: Request, app: AppServices) -> Response:
    if await maybe_signed_in(request, app) is not None:
        return RedirectResponse(CUSTOMERS_PAGE, status_code=303)
    return _sign_in_form(request, app)


@router.post("/sign-in")
async def ask_for_link(
    request: Request,
    app: AppServices,
    email: Annotated[str, Form(max_length=254)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    check_csrf(request.cookies.get(FORM_COOKIE), csrf_token)
    try:
        address = EMAIL.validate_python(email.strip())
    except ValidationError as error:
        message = error.errors()[0]["msg"].removeprefix("value is not a valid email address: ")
        return _sign_in_form(
            request, app, email=email, error=f"Enter an email address: {message}", status_code=422
        )
    refusal = await app.attempt_limits.admit_console_sign_in(client_address(request), address)
    if refusal is not None:
        page = console_page(app.settings, "slow_down.html", status_code=429)
        page.headers["Retry-After"] = str(refusal.retry_after_seconds)
        return page
    try:
        await app.console.email_sign_in_links(address)
    except RPCError:
        # Temporal cannot take the email now; the link (if any) was never sent.
        return console_page(app.settings, "try_again.html", status_code=503)
    return console_page(
        app.settings,
        "check_email.html",
        email=address,
        minutes=int(app.settings.console_sign_in_ttl.total_seconds() // 60),
    )


def _link_invalid(settings: Settings) -> Response:
    return console_page(settings, "link_invalid.html", status_code=404)


def _try_again(settings: Settings) -> Response:
    return console_page(settings, "try_again.html", status_code=503)


def _slow_down(settings: Settings) -> Response:
    return console_page(settings, "slow_down.html", status_code=429)


# The emailed link's two routes are limited, counted and answered as the activation links' are.
links = APIRouter(
    prefix="/console",
    include_in_schema=False,
    route_class=answering_link_errors(_link_invalid, _try_again, _slow_down),
)


@links.get("/sign-in/{sign_in_id}")
async def open_link(
    sign_in_id: uuid.UUID,
    request: Request,
    app: AppServices,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    app.console.verify(sign_in_id, token)
    await app.console.check_usable(sign_in_id)
    return _page_with_form_token(
        request, app, "sign_in_confirm.html", sign_in_id=sign_in_id, token=token
    )


@links.post("/sign-in/{sign_in_id}")
async def sign_in(
    sign_in_id: uuid.UUID,
    request: Request,
    app: AppServices,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    check_csrf(request.cookies.get(FORM_COOKIE), csrf_token)
    opened = await app.console.redeem(sign_in_id, token)
    response = RedirectResponse(CUSTOMERS_PAGE, status_code=303)
    set_cookie(response, app.settings, SESSION_COOKIE, opened.cookie_token)
    clear_cookie(response, app.settings, FORM_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(
    signed_in: Console,
    app: AppServices,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    check_csrf(signed_in.csrf_token, csrf_token)
    await app.console.sign_out(signed_in)
    response = RedirectResponse("/console/sign-in?signed_out=1", status_code=303)
    clear_cookie(response, app.settings, SESSION_COOKIE)
    return response
