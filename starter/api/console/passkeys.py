"""The console's passkey routes: register and remove them on the Account page, sign in with
one on the sign-in page. The browser half is in console.js (navigator.credentials); the
ceremonies are starter.passkeys'.

Each ceremony's two calls are JSON `fetch`es that carry the page's CSRF token in the body: the
session's on the Account page, the `console_form` cookie's on the sign-in page.
"""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from starter.api.console.session import (
    CSRF_FIELD,
    FORM_COOKIE,
    SESSION_COOKIE,
    Console,
    check_csrf,
    checked_form,
    set_cookie,
)
from starter.api.dependencies import AppServices, client_address
from starter.passkeys import PasskeyRefused

account = APIRouter(prefix="/console/account/passkeys", include_in_schema=False)
sign_in = APIRouter(prefix="/console/sign-in/passkey", include_in_schema=False)
NOT_SIGNED_IN = "That passkey did not sign you in. Try again, or ask for an emailed link."
NOT_REGISTERED = "The passkey was not added. Try again."


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _challenge_id(body: dict[str, Any]) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(body.get("challenge_id")))
    except ValueError:
        return None


@account.post("/options")
async def registration_options(request: Request, signed_in: Console, app: AppServices) -> Response:
    check_csrf(signed_in.csrf_token, (await _json(request)).get(CSRF_FIELD))
    ceremony = await app.passkeys.registration_options(signed_in)
    return JSONResponse({"challenge_id": str(ceremony.challenge_id), "options": ceremony.options})


@account.post("")
async def register(request: Request, signed_in: Console, app: AppServices) -> Response:
    body = await _json(request)
    check_csrf(signed_in.csrf_token, body.get(CSRF_FIELD))
    challenge_id = _challenge_id(body)
    try:
        if challenge_id is None:
            raise PasskeyRefused
        added = await app.passkeys.register(
            signed_in, challenge_id, str(body.get("name") or ""), body.get("credential")
        )
    except PasskeyRefused:
        return JSONResponse({"error": NOT_REGISTERED}, status_code=400)
    return JSONResponse({"id": str(added.id), "name": added.name}, status_code=201)


@account.post("/{passkey_id}/remove")
async def remove(
    passkey_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await checked_form(request, signed_in)
    removed = await app.passkeys.remove(signed_in, passkey_id)
    done = "passkey-removed" if removed else ""
    return RedirectResponse(f"/console/account?done={done}", status_code=303)


@sign_in.post("/options")
async def sign_in_options(request: Request, app: AppServices) -> Response:
    check_csrf(request.cookies.get(FORM_COOKIE), (await _json(request)).get(CSRF_FIELD))
    refusal = await app.attempt_limits.admit_console_passkey(client_address(request))
    if refusal is not None:
        return JSONResponse(
            {"error": "Too many attempts: wait a moment and try again."},
            status_code=429,
            headers={"Retry-After": str(refusal.retry_after_seconds)},
        )
    ceremony = await app.passkeys.sign_in_options()
    return JSONResponse({"challenge_id": str(ceremony.challenge_id), "options": ceremony.options})


@sign_in.post("")
async def sign_in_with_passkey(request: Request, app: AppServices) -> Response:
    body = await _json(request)
    check_csrf(request.cookies.get(FORM_COOKIE), body.get(CSRF_FIELD))
    challenge_id = _challenge_id(body)
    try:
        if challenge_id is None:
            raise PasskeyRefused
        opened = await app.passkeys.sign_in(challenge_id, body.get("credential"))
    except PasskeyRefused:
        return JSONResponse({"error": NOT_SIGNED_IN}, status_code=400)
    answer = JSONResponse({"location": "/console/customers"})
    set_cookie(answer, app.settings, SESSION_COOKIE, opened.cookie_token)
    return answer
