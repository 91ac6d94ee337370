"""API keys: 256 random bits, shown once, stored only as a SHA-256 digest.

A fast hash is right here: the keys are random, not passwords, so there is nothing to
brute-force, and every request must look one up. A key is either a user's own (issued by the
CLI, with the user's role) or a named key of the white label (made in the console or the API,
with its own role, acting for the user who made it).
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import UserRole
from store.schema import ApiKey, WlUser

KEY_PREFIX = "wlk_"
LAST_USED_EVERY = timedelta(minutes=1)
"""How stale a named key's `last_used_at` may get before a request writes it again."""


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    white_label_id: uuid.UUID
    role: UserRole
    key_id: uuid.UUID | None = None
    """The named key used, if it was one (its user is the one who made it)."""
    key_last_used_at: datetime | None = None

    @property
    def actor(self) -> str:
        """The audit trail's name for this caller (a named key acts for the user who made it)."""
        return f"wl_user:{self.user_id}"

    @property
    def is_administrator(self) -> bool:
        return self.role is UserRole.ADMINISTRATOR

    @property
    def limited_as(self) -> uuid.UUID:
        """Whose allowance of requests this one counts against: the key's, named or own."""
        return self.key_id or self.user_id


async def caller_for_key(session: AsyncSession, api_key: str) -> Caller | None:
    if not api_key.startswith(KEY_PREFIX) or len(api_key) > 200:
        return None
    digest = hash_api_key(api_key)
    user = await session.scalar(
        select(WlUser).where(
            WlUser.api_key_hash == digest,
            WlUser.revoked_at.is_(None),
            WlUser.removed_at.is_(None),
        )
    )
    if user is not None:
        return Caller(user_id=user.id, white_label_id=user.white_label_id, role=UserRole(user.role))
    key = await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    if key is None:
        return None
    return Caller(
        user_id=key.created_by_user_id,
        white_label_id=key.white_label_id,
        role=UserRole(key.role),
        key_id=key.id,
        key_last_used_at=key.last_used_at,
    )


def key_use_is_stale(caller: Caller, now: datetime) -> bool:
    return caller.key_id is not None and (
        caller.key_last_used_at is None or now - caller.key_last_used_at >= LAST_USED_EVERY
    )


async def note_key_used(session: AsyncSession, key_id: uuid.UUID) -> None:
    await session.execute(
        update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=datetime.now(UTC))
    )
