"""`/v1/users`: the white label's users, managed by its administrators (the console's Users page
and `python -m starter wl users` call the same service)."""

import uuid

from fastapi import APIRouter, Response

from domain.errors import BusinessError, Refused
from domain.users import RoleChange, SessionsEnded, UserInvite, UserList, UserView
from starter.administration import require_administrator
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.ids import AnyId, as_uuid
from starter.api.webhook_endpoints import ERRORS

router = APIRouter(prefix="/v1/users", tags=["users"])


def _user_id(text: str) -> uuid.UUID:
    found = as_uuid(text)
    if found is None:
        raise Refused(BusinessError.NOT_FOUND, "no such user")
    return found


@router.get("", response_model=UserList, responses=ERRORS, summary="The white label's users")
async def list_users(app: AppServices, caller: AuthenticatedCaller) -> UserList:
    require_administrator(caller, "see the users")
    return UserList(users=await app.users.list(caller.white_label_id))


@router.post(
    "",
    status_code=201,
    response_model=UserView,
    responses=ERRORS,
    summary="Invite a user: an email whose link signs them in to the console once, for 7 days",
)
async def invite_user(body: UserInvite, app: AppServices, caller: AuthenticatedCaller) -> UserView:
    """`409 UserExists` when the address is already a user. A removed user can be invited
    again. The new user has no API key of their own; an administrator makes named keys."""
    require_administrator(caller, "invite users")
    return await app.users.invite(caller.white_label_id, body, caller.actor)


@router.patch(
    "/{user_id}",
    response_model=UserView,
    responses=ERRORS,
    summary="Change a user's role (it applies to their next request)",
)
async def change_role(
    user_id: AnyId, body: RoleChange, app: AppServices, caller: AuthenticatedCaller
) -> UserView:
    """`409 LastAdministrator` when this would leave the white label without one."""
    require_administrator(caller, "change roles")
    return await app.users.change_role(
        caller.white_label_id, _user_id(user_id), body.role, caller.actor
    )


@router.delete(
    "/{user_id}",
    status_code=204,
    responses=ERRORS,
    summary="Remove a user: their sessions end and their key stops at once",
)
async def remove_user(user_id: AnyId, app: AppServices, caller: AuthenticatedCaller) -> Response:
    """`409 LastAdministrator` for the white label's last administrator."""
    require_administrator(caller, "remove users")
    await app.users.remove(caller.white_label_id, _user_id(user_id), caller.actor)
    return Response(status_code=204)


@router.post(
    "/{user_id}/sessions/end",
    response_model=SessionsEnded,
    responses=ERRORS,
    summary="End every console session of a user (they sign in again)",
)
async def end_sessions(
    user_id: AnyId, app: AppServices, caller: AuthenticatedCaller
) -> SessionsEnded:
    """Any user may end their own sessions with their own key; an administrator anyone's."""
    if as_uuid(user_id) != caller.user_id or caller.key_id is not None:
        require_administrator(caller, "end another user's sessions")
    return await app.users.end_sessions(caller.white_label_id, _user_id(user_id), caller.actor)
