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
from starter.api.dependencies import AppServices
from starter.links import LinkInvalid, LinkNotAuthentic

router = APIRouter(prefix="/console", include_in_schema=False)
EMAIL = TypeAdapter(EmailStr)
CUSTOMERS_PAGE = "/console/customers"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
    refusal = await app.attempt_limits.admit_console_sign_in(_address(request), address)
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


async def _link_refused(
    request: Request, app: AppServices, sign_in_id: uuid.UUID, error: LinkInvalid
) -> Response:
    """Counts the refusal like a bad activation link; a forged token counts against the
    sign-in it names too, and too many of those pause it (429)."""
    if isinstance(error, LinkNotAuthentic):
        refusal = await app.attempt_limits.not_authentic(_address(request), sign_in_id)
        if refusal is not None:
            return console_page(app.settings, "slow_down.html", status_code=429)
    else:
        await app.attempt_limits.failed(_address(request))
    return console_page(app.settings, "link_invalid.html", status_code=404)


@router.get("/sign-in/{sign_in_id}")
async def open_link(
    sign_in_id: uuid.UUID,
    request: Request,
    app: AppServices,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    refusal = await app.attempt_limits.admit(_address(request))
    if refusal is not None:
        return console_page(app.settings, "slow_down.html", status_code=429)
    try:
        app.console.verify(sign_in_id, token)
        await app.console.check_usable(sign_in_id)
    except LinkInvalid as error:
        return await _link_refused(request, app, sign_in_id, error)
    return _page_with_form_token(
        request, app, "sign_in_confirm.html", sign_in_id=sign_in_id, token=token
    )


@router.post("/sign-in/{sign_in_id}")
async def sign_in(
    sign_in_id: uuid.UUID,
    request: Request,
    app: AppServices,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    check_csrf(request.cookies.get(FORM_COOKIE), csrf_token)
    refusal = await app.attempt_limits.admit(_address(request))
    if refusal is not None:
        return console_page(app.settings, "slow_down.html", status_code=429)
    try:
        opened = await app.console.redeem(sign_in_id, token)
    except LinkInvalid as error:
        return await _link_refused(request, app, sign_in_id, error)
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
