"""`/console/users`: the article's "add, create, or invite new users", for administrators.

Every change calls the service `/v1/users` calls (starter.users), so a refusal, such as the
last-administrator rule, reads as the API's. A change that ends the acting administrator's own
sessions sends them to the sign-in page.
"""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.enums import UserRole
from domain.errors import Refused
from domain.users import UserInvite, UserView
from domain.validation import field_message
from starter.api.console.pages import console_page
from starter.api.console.session import (
    SIGN_IN_PAGE,
    Console,
    ConsoleNotFound,
    checked_form,
    first_value,
    require_administrator,
)
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from starter.console_wizard import summary_links

router = APIRouter(prefix="/console/users", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can manage users."
ROLE_WORDS = {UserRole.ADMINISTRATOR: "Administrator", UserRole.STAFF: "Staff"}
DONE = {
    "invited": "The invitation was sent.",
    "role": "The role was changed.",
    "removed": "The user was removed: their sessions ended and their key stopped working.",
    "sessions": "Their sessions ended: they must sign in again.",
}
LABELS = {"email": "Email", "role": "Role"}


@router.get("")
async def users_page(signed_in: Console, app: AppServices, done: str = "") -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    users = await app.users.list(signed_in.caller.white_label_id)
    return console_page(
        app.settings,
        "users.html",
        signed_in=signed_in,
        users=users,
        role_words=ROLE_WORDS,
        done=DONE.get(done, ""),
    )


@router.get("/invite")
async def invite_page(signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    return _invite_form(app, signed_in, {"email": "", "role": ""}, {})


def _invite_form(
    app: AppServices,
    signed_in: SignedIn,
    form: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return console_page(
        app.settings,
        "user_invite.html",
        signed_in=signed_in,
        form=form,
        errors=errors,
        error_links=summary_links(errors, LABELS),
        role_words=ROLE_WORDS,
        status_code=status_code,
    )


@router.post("/invite")
async def invite(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    values = await checked_form(request, signed_in)
    form = {name: first_value(values, name).strip() for name in ("email", "role")}
    try:
        wanted = UserInvite.model_validate(form)
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            errors.setdefault(name, _said(name, form, field_message(str(problem["msg"]))))
        return _invite_form(app, signed_in, form, errors, 422)
    try:
        await app.users.invite(signed_in.caller.white_label_id, wanted, signed_in.caller.actor)
    except Refused as refusal:
        errors = {refusal.rule.field or "email": refusal.message}
        return _invite_form(app, signed_in, form, errors, refusal.rule.http_status)
    return RedirectResponse("/console/users?done=invited", status_code=303)


def _said(name: str, form: dict[str, str], message: str) -> str:
    """The page's words for the two mistakes a person makes; the model's for the rest."""
    if name == "role":
        return "Choose Administrator or Staff"
    if name == "email" and not form["email"]:
        return "Enter the email address to invite"
    return message


async def _user(app: AppServices, signed_in: SignedIn, user_id: uuid.UUID) -> UserView:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    try:
        return await app.users.get(signed_in.caller.white_label_id, user_id)
    except Refused:
        raise ConsoleNotFound("No such user", "/console/users", "Users") from None


def _user_page(
    app: AppServices,
    signed_in: SignedIn,
    user: UserView,
    *,
    problem: str = "",
    done: str = "",
    status_code: int = 200,
) -> Response:
    return console_page(
        app.settings,
        "user.html",
        signed_in=signed_in,
        user=user,
        role_words=ROLE_WORDS,
        is_self=user.id == signed_in.caller.user_id,
        problem=problem,
        done=DONE.get(done, ""),
        status_code=status_code,
    )


@router.get("/{user_id}")
async def user_page(
    user_id: uuid.UUID, signed_in: Console, app: AppServices, done: str = ""
) -> Response:
    return _user_page(app, signed_in, await _user(app, signed_in, user_id), done=done)


@router.post("/{user_id}/role")
async def change_role(
    user_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    user = await _user(app, signed_in, user_id)
    values = await checked_form(request, signed_in)
    try:
        role = UserRole(first_value(values, "role").strip())
    except ValueError:
        return _user_page(
            app, signed_in, user, problem="Choose Administrator or Staff.", status_code=422
        )
    try:
        await app.users.change_role(
            signed_in.caller.white_label_id, user_id, role, signed_in.caller.actor
        )
    except Refused as refusal:
        return _user_page(
            app, signed_in, user, problem=refusal.message, status_code=refusal.rule.http_status
        )
    if user_id == signed_in.caller.user_id and role is not UserRole.ADMINISTRATOR:
        return RedirectResponse("/console/customers", status_code=303)
    return RedirectResponse(f"/console/users/{user_id}?done=role", status_code=303)


@router.post("/{user_id}/sessions/end")
async def end_sessions(
    user_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await _user(app, signed_in, user_id)
    await checked_form(request, signed_in)
    await app.users.end_sessions(signed_in.caller.white_label_id, user_id, signed_in.caller.actor)
    if user_id == signed_in.caller.user_id:
        return RedirectResponse(SIGN_IN_PAGE, status_code=303)
    return RedirectResponse(f"/console/users/{user_id}?done=sessions", status_code=303)


@router.get("/{user_id}/remove")
async def remove_page(user_id: uuid.UUID, signed_in: Console, app: AppServices) -> Response:
    user = await _user(app, signed_in, user_id)
    return console_page(
        app.settings,
        "user_remove.html",
        signed_in=signed_in,
        user=user,
        role_words=ROLE_WORDS,
        is_self=user.id == signed_in.caller.user_id,
    )


@router.post("/{user_id}/remove")
async def remove(
    user_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    user = await _user(app, signed_in, user_id)
    await checked_form(request, signed_in)
    try:
        await app.users.remove(signed_in.caller.white_label_id, user_id, signed_in.caller.actor)
    except Refused as refusal:
        return _user_page(
            app, signed_in, user, problem=refusal.message, status_code=refusal.rule.http_status
        )
    if user_id == signed_in.caller.user_id:
        return RedirectResponse(SIGN_IN_PAGE, status_code=303)
    return RedirectResponse("/console/users?done=removed", status_code=303)
