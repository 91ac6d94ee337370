"""The console's cookies, the signed-in user of a request, and the CSRF check of every form.

Two cookies, both HttpOnly, SameSite=Lax, scoped to /console and Secure when the service is
served over https: `console_session` (the session's random token) and `console_form` (a random
token for the forms shown before signing in, sent back in the form: a page of another site
cannot read it, so it cannot post a sign-in form on someone's behalf).
"""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from domain.settings import Settings
from starter.api.console.pages import console_page
from starter.api.dependencies import AppServices, services
from starter.console_access import SignedIn

SESSION_COOKIE = "console_session"
FORM_COOKIE = "console_form"
CSRF_FIELD = "csrf_token"
SIGN_IN_PAGE = "/console/sign-in"
EXPIRED_FORM = "This form has expired. Go back, reload the page and try again."


class NotSignedIn(Exception):
    """The request has no live session: the browser is sent to the sign-in page."""


class ConsoleForbidden(Exception):
    """Answered with a 403 page that says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConsoleNotFound(Exception):
    """Answered with a 404 page: `heading` says what is missing, the link leads back."""

    def __init__(self, heading: str, back_href: str, back_label: str) -> None:
        super().__init__(heading)
        self.heading = heading
        self.back_href = back_href
        self.back_label = back_label


def set_cookie(response: Response, settings: Settings, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/console",
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/console",
    )


async def signed_in(request: Request, app: AppServices) -> SignedIn:
    found = await app.console.signed_in(request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotSignedIn
    return found


async def maybe_signed_in(request: Request, app: AppServices) -> SignedIn | None:
    return await app.console.signed_in(request.cookies.get(SESSION_COOKIE))


Console = Annotated[SignedIn, Depends(signed_in)]


def require_administrator(signed_in: SignedIn, message: str) -> None:
    """Refuses (403, with `message`) a console user who is not an administrator."""
    if not signed_in.caller.is_administrator:
        raise ConsoleForbidden(message)


def check_csrf(expected: str | None, sent: object) -> None:
    """Refuses (403) a form without the token its page was given."""
    if (
        not expected
        or not isinstance(sent, str)
        or not hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise ConsoleForbidden(EXPIRED_FORM)


async def checked_form(request: Request, signed_in: SignedIn) -> dict[str, list[str]]:
    """A signed-in page's posted fields, every value of each name; refused (403) without the
    session's CSRF token."""
    values: dict[str, list[str]] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value)
    check_csrf(signed_in.csrf_token, first_value(values, CSRF_FIELD))
    return values


def first_value(values: dict[str, list[str]], name: str) -> str:
    """A posted field's value as typed ("" when absent; the first when sent twice)."""
    return (values.get(name) or [""])[0]


def posted_form_id(values: dict[str, list[str]]) -> str | None:
    """The id a page put in its create form, so a resent form makes nothing twice."""
    return first_value(values, "form_id")[:64] or None


def form_token(request: Request) -> tuple[str, bool]:
    """The pre-sign-in form token: the browser's, or a new one (True: set the cookie)."""
    current = request.cookies.get(FORM_COOKIE, "")
    if 20 <= len(current) <= 100:
        return current, False
    return secrets.token_urlsafe(32), True


async def _to_sign_in(request: Request, _error: Exception) -> Response:
    if request.url.path.endswith("/progress"):
        return Response(status_code=401)
    return RedirectResponse(SIGN_IN_PAGE, status_code=303)


async def _forbidden(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleForbidden)
    app = await services(request)
    who = await app.console.signed_in(request.cookies.get(SESSION_COOKIE))
    return console_page(
        app.settings, "forbidden.html", signed_in=who, status_code=403, message=error.message
    )


async def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleNotFound)
    app = await services(request)
    who = await app.console.signed_in(request.cookies.get(SESSION_COOKIE))
    return console_page(
        app.settings,
        "not_found.html",
        signed_in=who,
        status_code=404,
        heading=error.heading,
        back_href=error.back_href,
        back_label=error.back_label,
    )


def install_console_errors(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _to_sign_in)
    app.add_exception_handler(ConsoleForbidden, _forbidden)
    app.add_exception_handler(ConsoleNotFound, _not_found)
