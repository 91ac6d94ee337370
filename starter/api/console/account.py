"""`/console/account`: the signed-in user's own page, for staff and administrators alike:
who they are, their passkeys (starter.api.console.passkeys), and signing out of every
browser at once (the same service as `/v1/users`)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from starter.api.console.pages import console_page
from starter.api.console.session import SIGN_IN_PAGE, Console, checked_form
from starter.api.console.users import ROLE_WORDS
from starter.api.dependencies import AppServices

router = APIRouter(prefix="/console/account", include_in_schema=False)


DONE = {
    "passkey-added": "The passkey was added: use Sign in with a passkey next time.",
    "passkey-removed": "The passkey was removed.",
}


@router.get("")
async def account_page(signed_in: Console, app: AppServices, done: str = "") -> Response:
    me = await app.users.get(signed_in.caller.white_label_id, signed_in.caller.user_id)
    return console_page(
        app.settings,
        "account.html",
        signed_in=signed_in,
        me=me,
        role_words=ROLE_WORDS,
        passkeys=await app.passkeys.of(signed_in),
        done=DONE.get(done, ""),
    )


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(request: Request, signed_in: Console, app: AppServices) -> Response:
    await checked_form(request, signed_in)
    caller = signed_in.caller
    await app.users.end_sessions(caller.white_label_id, caller.user_id, caller.actor)
    return RedirectResponse(SIGN_IN_PAGE, status_code=303)
