"""Passkeys for the console: a signed-in user registers one or more; anyone signs in with one.

The ceremonies are the `webauthn` library's; this module keeps what it needs between the two
halves of each. A challenge is a row used up by the request that answers it (UPDATE … WHERE
used_at IS NULL), so a replayed answer finds no challenge; it expires after five minutes. The
relying party is `PUBLIC_BASE_URL`: its host is the RP id, its origin the only origin taken.
Sign-in is discoverable (resident keys): the browser offers the user's passkeys, the passkey
names the user, and the assertion's user handle must be that same user. User verification is
preferred, not required, so a security key without a PIN still works; the emailed link stays.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from domain.console import PASSKEY_CHALLENGE_TTL_SECONDS, PASSKEY_REGISTER, PASSKEY_SIGN_IN
from domain.settings import Settings
from starter.console_access import OpenedSession, SignedIn, open_session
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import Passkey, PasskeyChallenge, WlUser, utcnow

log = logging.getLogger(__name__)
REGISTERED = "passkey.registered"
REMOVED = "passkey.removed"


class PasskeyRefused(Exception):
    """The ceremony failed: an unknown, used or expired challenge, a credential that does not
    verify, or one that is not the user's. The page says only that it did not work."""


@dataclass(frozen=True)
class Ceremony:
    challenge_id: uuid.UUID
    options: dict[str, Any]


@dataclass(frozen=True)
class PasskeyView:
    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


class Passkeys:
    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        base = urlsplit(settings.public_base_url)
        self._rp_id = base.hostname or "localhost"
        self._origin = f"{base.scheme}://{base.netloc}"

    async def _challenge(self, purpose: str, user_id: uuid.UUID | None, value: bytes) -> uuid.UUID:
        row = PasskeyChallenge(
            purpose=purpose,
            user_id=user_id,
            challenge=value,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(seconds=PASSKEY_CHALLENGE_TTL_SECONDS),
        )
        async with self._sessions.begin() as session:
            await session.execute(  # the expired ones are of no use to anyone
                delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < utcnow())
            )
            session.add(row)
        return row.id

    async def registration_options(self, signed_in: SignedIn) -> Ceremony:
        async with self._reads() as session:
            existing = list(
                await session.scalars(
                    select(Passkey.credential_id).where(Passkey.user_id == signed_in.caller.user_id)
                )
            )
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=f"{signed_in.brand.display_name} console",
            user_name=signed_in.email,
            user_id=signed_in.caller.user_id.bytes,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=each) for each in existing],
        )
        challenge_id = await self._challenge(
            PASSKEY_REGISTER, signed_in.caller.user_id, options.challenge
        )
        return Ceremony(challenge_id, json.loads(options_to_json(options)))

    async def register(
        self, signed_in: SignedIn, challenge_id: uuid.UUID, name: str, credential: object
    ) -> PasskeyView:
        user_id = signed_in.caller.user_id
        challenge = await self._use(challenge_id, PASSKEY_REGISTER, user_id)
        async with self._sessions.begin() as session:
            try:
                verified = verify_registration_response(
                    credential=_as_json(credential),
                    expected_challenge=challenge,
                    expected_rp_id=self._rp_id,
                    expected_origin=self._origin,
                )
            except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError, KeyError):
                raise PasskeyRefused from None
            if await session.scalar(
                select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
            ):
                raise PasskeyRefused
            passkey = Passkey(
                user_id=user_id,
                name=" ".join(name.split())[:100] or "Passkey",
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                created_at=utcnow(),
            )
            session.add(passkey)
            await session.flush()
            audit.record(
                session,
                white_label_id=signed_in.caller.white_label_id,
                customer_id=None,
                action=REGISTERED,
                actor=f"wl_user:{user_id}",
                detail={"passkey_id": str(passkey.id)},
            )
        return _view(passkey)

    async def sign_in_options(self) -> Ceremony:
        options = generate_authentication_options(
            rp_id=self._rp_id, user_verification=UserVerificationRequirement.PREFERRED
        )
        challenge_id = await self._challenge(PASSKEY_SIGN_IN, None, options.challenge)
        return Ceremony(challenge_id, json.loads(options_to_json(options)))

    async def sign_in(self, challenge_id: uuid.UUID, credential: object) -> OpenedSession:
        try:
            parsed = parse_authentication_credential_json(_as_json(credential))
        except (InvalidJSONStructure, ValueError, KeyError):
            raise PasskeyRefused from None
        challenge = await self._use(challenge_id, PASSKEY_SIGN_IN, None)
        async with self._sessions.begin() as session:
            passkey = await session.scalar(
                select(Passkey).where(Passkey.credential_id == parsed.raw_id)
            )
            user = await session.get(WlUser, passkey.user_id) if passkey else None
            if passkey is None or user is None or user.removed_at is not None:
                raise PasskeyRefused
            handle = parsed.response.user_handle
            if handle is not None and handle != user.id.bytes:
                raise PasskeyRefused  # a passkey of one user answering for another
            try:
                verified = verify_authentication_response(
                    credential=parsed,
                    expected_challenge=challenge,
                    expected_rp_id=self._rp_id,
                    expected_origin=self._origin,
                    credential_public_key=passkey.public_key,
                    credential_current_sign_count=passkey.sign_count,
                )
            except InvalidAuthenticationResponse:
                raise PasskeyRefused from None
            now = utcnow()
            passkey.sign_count = verified.new_sign_count
            passkey.last_used_at = now
            opened = open_session(session, user, "passkey", now)
        log.info("console session opened with a passkey", extra={"user_id": str(user.id)})
        return opened

    async def of(self, signed_in: SignedIn) -> list[PasskeyView]:
        async with self._reads() as session:
            rows = await session.scalars(
                select(Passkey)
                .where(Passkey.user_id == signed_in.caller.user_id)
                .order_by(Passkey.created_at)
            )
            return [_view(row) for row in rows]

    async def remove(self, signed_in: SignedIn, passkey_id: uuid.UUID) -> bool:
        async with self._sessions.begin() as session:
            removed = await session.execute(
                delete(Passkey).where(
                    Passkey.id == passkey_id, Passkey.user_id == signed_in.caller.user_id
                )
            )
            if not removed.rowcount:  # type: ignore[attr-defined]
                return False
            audit.record(
                session,
                white_label_id=signed_in.caller.white_label_id,
                customer_id=None,
                action=REMOVED,
                actor=signed_in.caller.actor,
                detail={"passkey_id": str(passkey_id)},
            )
        return True

    async def _use(self, challenge_id: uuid.UUID, purpose: str, user_id: uuid.UUID | None) -> bytes:
        """The challenge, used up now in a transaction of its own, so an answer that then
        fails to verify has spent it too; PasskeyRefused if it is unknown, used or expired."""
        now = utcnow()
        async with self._sessions.begin() as session:
            used = await session.execute(
                update(PasskeyChallenge)
                .where(
                    PasskeyChallenge.id == challenge_id,
                    PasskeyChallenge.purpose == purpose,
                    PasskeyChallenge.used_at.is_(None),
                    PasskeyChallenge.expires_at > now,
                    PasskeyChallenge.user_id.is_(None)
                    if user_id is None
                    else PasskeyChallenge.user_id == user_id,
                )
                .values(used_at=now)
                .returning(PasskeyChallenge.challenge)
            )
            challenge: bytes | None = used.scalar_one_or_none()
        if challenge is None:
            raise PasskeyRefused
        return challenge


def _as_json(credential: object) -> str:
    if isinstance(credential, str):
        return credential
    return json.dumps(credential)


def _view(row: Passkey) -> PasskeyView:
    return PasskeyView(
        id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
    )
