"""The white label's named API keys: made, listed and revoked by its administrators.

One service for the console's API keys page and `/v1/api-keys`. The secret is returned once,
by `create`; only its SHA-256 is kept. Revoking is immediate: the next request with the key is
`401`. The users' own keys (the CLI's) are not listed or touched here.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.enums import UserRole
from domain.errors import BusinessError, Refused
from domain.users import KEY_CREATED_AUDIT, KEY_REVOKED_AUDIT, ApiKeyCreate, ApiKeyView, NewApiKey
from starter.administration import require_administrator
from starter.auth import Caller, generate_api_key, hash_api_key
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import ApiKey, WlUser


class AlreadyMade(Exception):
    """The form that asks for this key was sent before: the key exists, its secret was shown
    then and cannot be shown again."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class ApiKeys:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)

    async def list(self, caller: Caller) -> list[ApiKeyView]:
        require_administrator(caller, "see the API keys")
        async with self._reads() as session:
            rows = await session.execute(
                select(ApiKey, WlUser.email)
                .join(WlUser, WlUser.id == ApiKey.created_by_user_id)
                .where(ApiKey.white_label_id == caller.white_label_id)
                .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
            )
            return [_view(key, email) for key, email in rows]

    async def create(
        self, caller: Caller, wanted: ApiKeyCreate, form_id: str | None = None
    ) -> NewApiKey:
        """`form_id`: the console form's own id; AlreadyMade when that form made a key before."""
        require_administrator(caller, "make API keys")
        if form_id is not None:
            async with self._reads() as session:
                made = await session.scalar(select(ApiKey.name).where(ApiKey.form_id == form_id))
            if made is not None:
                raise AlreadyMade(made)
        secret = generate_api_key()
        try:
            return await self._insert(caller, wanted, secret, form_id)
        except IntegrityError:
            if form_id is None:
                raise
            raise AlreadyMade(wanted.name) from None  # the same form, sent twice at once

    async def _insert(
        self, caller: Caller, wanted: ApiKeyCreate, secret: str, form_id: str | None
    ) -> NewApiKey:
        async with self._sessions.begin() as session:
            creator = await session.get_one(WlUser, caller.user_id)
            key = ApiKey(
                white_label_id=caller.white_label_id,
                name=wanted.name,
                role=wanted.role.value,
                key_hash=hash_api_key(secret),
                created_by_user_id=caller.user_id,
                created_at=datetime.now(UTC),
                form_id=form_id,
            )
            session.add(key)
            await session.flush()
            audit.record(
                session,
                white_label_id=caller.white_label_id,
                customer_id=None,
                action=KEY_CREATED_AUDIT,
                actor=caller.actor,
                detail={"api_key_id": str(key.id), "role": wanted.role.value},
            )
            view = _view(key, creator.email)
        return NewApiKey(**view.model_dump(), api_key=secret)

    async def revoke(self, caller: Caller, key_id: uuid.UUID | None) -> ApiKeyView:
        """Revoking twice is harmless and keeps the first time. `None`: an id that is no UUID
        (so no key), refused like any id that is not one of the caller's keys."""
        require_administrator(caller, "revoke API keys")
        if key_id is None:
            raise Refused(BusinessError.NOT_FOUND, "no such API key")
        async with self._sessions.begin() as session:
            key = await session.scalar(
                select(ApiKey).where(
                    ApiKey.id == key_id, ApiKey.white_label_id == caller.white_label_id
                )
            )
            if key is None:
                raise Refused(BusinessError.NOT_FOUND, "no such API key")
            if key.revoked_at is None:
                key.revoked_at = datetime.now(UTC)
                audit.record(
                    session,
                    white_label_id=caller.white_label_id,
                    customer_id=None,
                    action=KEY_REVOKED_AUDIT,
                    actor=caller.actor,
                    detail={"api_key_id": str(key.id)},
                )
            creator = await session.get_one(WlUser, key.created_by_user_id)
            return _view(key, creator.email)


def _view(key: ApiKey, created_by: str) -> ApiKeyView:
    return ApiKeyView(
        id=key.id,
        name=key.name,
        role=UserRole(key.role),
        created_at=key.created_at,
        created_by=created_by,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )
