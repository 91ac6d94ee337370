"""`/console/api-keys`: the white label's named API keys, for administrators.

The same service as `/v1/api-keys`. A new key's secret is on the page that answers the form
(never in a URL, never stored), with a copy button; the answer is `no-store` like every console
page, so going back does not show it again.
"""

import secrets
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import Refused
from domain.users import ApiKeyCreate, NewApiKey
from domain.validation import field_message
from starter.api.console.pages import console_page
from starter.api.console.session import (
    Console,
    ConsoleNotFound,
    checked_form,
    first_value,
    posted_form_id,
    require_administrator,
)
from starter.api.console.users import ROLE_WORDS
from starter.api.dependencies import AppServices
from starter.api_keys import AlreadyMade
from starter.console_access import SignedIn
from starter.console_wizard import summary_links

router = APIRouter(prefix="/console/api-keys", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can manage API keys."
LABELS = {"name": "Name", "role": "Role"}


async def _page(
    app: AppServices,
    signed_in: SignedIn,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    created: NewApiKey | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    return console_page(
        app.settings,
        "api_keys.html",
        signed_in=signed_in,
        keys=await app.api_keys.list(signed_in.caller),
        form=form or {"name": "", "role": ""},
        form_id=secrets.token_urlsafe(24),
        errors=errors,
        error_links=summary_links(errors, LABELS),
        created=created,
        role_words=ROLE_WORDS,
        done=done,
        status_code=status_code,
    )


@router.get("")
async def api_keys_page(signed_in: Console, app: AppServices, done: str = "") -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    return await _page(
        app, signed_in, done="The key was revoked: it no longer works." if done == "revoked" else ""
    )


@router.post("")
async def create_key(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    values = await checked_form(request, signed_in)
    form = {name: first_value(values, name) for name in ("name", "role")}
    form_id = posted_form_id(values)
    try:
        wanted = ApiKeyCreate.model_validate(form)
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0])
            if name == "role":
                said = "Choose Administrator or Staff"
            elif not form["name"].strip():
                said = "Give the key a name, such as what uses it"
            else:
                said = field_message(str(problem["msg"]))
            errors.setdefault(name, said)
        return await _page(app, signed_in, form=form, errors=errors, status_code=422)
    try:
        created = await app.api_keys.create(signed_in.caller, wanted, form_id)
    except AlreadyMade as made:
        return await _page(
            app,
            signed_in,
            done=f'This form was sent before: the key "{made.name}" exists and its secret was '
            "shown then, once. If it was not copied, revoke the key and create another.",
        )
    return await _page(app, signed_in, created=created)


@router.get("/{key_id}/revoke")
async def revoke_page(key_id: uuid.UUID, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    for key in await app.api_keys.list(signed_in.caller):
        if key.id == key_id:
            return console_page(
                app.settings, "api_key_revoke.html", signed_in=signed_in, key=key,
                role_words=ROLE_WORDS,
            )  # fmt: skip
    raise ConsoleNotFound("No such API key", "/console/api-keys", "API keys")


@router.post("/{key_id}/revoke")
async def revoke(
    key_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    await checked_form(request, signed_in)
    try:
        await app.api_keys.revoke(signed_in.caller, key_id)
    except Refused:
        raise ConsoleNotFound("No such API key", "/console/api-keys", "API keys") from None
    return RedirectResponse("/console/api-keys?done=revoked", status_code=303)
