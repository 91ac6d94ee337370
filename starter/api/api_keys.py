"""`/v1/api-keys`: the white label's named API keys (the console's API keys page is the same
service). The users' own keys, issued by the CLI, are not listed here and keep working."""

from fastapi import APIRouter

from domain.users import ApiKeyCreate, ApiKeyList, ApiKeyView, NewApiKey
from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.ids import AnyId, as_uuid
from starter.api.webhook_endpoints import ERRORS

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


@router.get("", response_model=ApiKeyList, responses=ERRORS, summary="The named API keys")
async def list_keys(app: AppServices, caller: AuthenticatedCaller) -> ApiKeyList:
    """Live keys first, newest first; never a secret."""
    return ApiKeyList(keys=await app.api_keys.list(caller))


@router.post(
    "",
    status_code=201,
    response_model=NewApiKey,
    responses=ERRORS,
    summary="Make a named key with its own role (the secret is in this answer only)",
)
async def create_key(
    body: ApiKeyCreate, app: AppServices, caller: AuthenticatedCaller
) -> NewApiKey:
    return await app.api_keys.create(caller, body)


@router.post(
    "/{key_id}/revoke",
    response_model=ApiKeyView,
    responses=ERRORS,
    summary="Revoke a key: the next request with it is 401",
)
async def revoke_key(key_id: AnyId, app: AppServices, caller: AuthenticatedCaller) -> ApiKeyView:
    return await app.api_keys.revoke(caller, as_uuid(key_id))
