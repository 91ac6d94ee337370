"""API keys: 256 random bits, shown once, stored only as a SHA-256 digest.

A fast hash is right here: the keys are random, not passwords, so there is nothing to
brute-force, and every request must look one up.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import UserRole
from store.schema import WlUser

KEY_PREFIX = "wlk_"


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    white_label_id: uuid.UUID
    role: UserRole

    @property
    def is_administrator(self) -> bool:
        return self.role is UserRole.ADMINISTRATOR


async def caller_for_key(session: AsyncSession, api_key: str) -> Caller | None:
    if not api_key.startswith(KEY_PREFIX) or len(api_key) > 200:
        return None
    user = await session.scalar(
        select(WlUser).where(
            WlUser.api_key_hash == hash_api_key(api_key), WlUser.revoked_at.is_(None)
        )
    )
    if user is None:
        return None
    return Caller(user_id=user.id, white_label_id=user.white_label_id, role=UserRole(user.role))
