"""The white label's users: invite, list, change a role, remove, end sessions.

One service for the console's Users page, `/v1/users` and `python -m starter wl users`. Every
change is in the audit trail under whoever made it. The last-administrator rule is checked in
the transaction that makes the change, with the administrators' rows locked (PostgreSQL) or
the database's one writer (SQLite), so two administrators demoting each other at once cannot
leave the white label with none.
"""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from domain.enums import UserRole
from domain.errors import BusinessError, Refused
from domain.settings import Settings
from domain.users import (
    INVITATION_AUDIT,
    REMOVED_AUDIT,
    ROLE_CHANGED_AUDIT,
    SESSIONS_ENDED_AUDIT,
    SessionsEnded,
    UserInvite,
    UserState,
    UserView,
)
from starter.auth import generate_api_key, hash_api_key
from starter.console_access import email_link
from store import audit
from store.engine import SessionFactory, read_only
from store.schema import ConsoleSession, ConsoleSignIn, WlUser, utcnow


def _not_found() -> Refused:
    return Refused(BusinessError.NOT_FOUND, "no such user")


async def end_sessions(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Ends every open console session of the user; how many were open."""
    ended = await session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return int(ended.rowcount)  # type: ignore[attr-defined]


class WlUsers:
    """`actor` is the audit trail's name for whoever acts: `wl_user:<id>` or `operator:cli`.

    Only inviting talks to Temporal (to send the email), so the CLI's other commands pass no
    client and work while Temporal is down.
    """

    def __init__(
        self, sessions: SessionFactory, settings: Settings, client: Client | None = None
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings

    async def _views(
        self, white_label_id: uuid.UUID, only: uuid.UUID | None = None
    ) -> list[UserView]:
        """The white label's users (or the one asked for), with their sessions and
        invitations read in two grouped queries."""
        now = utcnow()
        query = select(WlUser).where(
            WlUser.white_label_id == white_label_id, WlUser.removed_at.is_(None)
        )
        if only is not None:
            query = query.where(WlUser.id == only)
        async with self._reads() as session:
            users = list(await session.scalars(query.order_by(WlUser.created_at, WlUser.email)))
            ids = [user.id for user in users]
            open_sessions: dict[uuid.UUID, int] = {
                user_id: count
                for user_id, count in await session.execute(
                    select(ConsoleSession.user_id, func.count())
                    .where(
                        ConsoleSession.user_id.in_(ids),
                        ConsoleSession.ended_at.is_(None),
                        ConsoleSession.created_at > now - self._settings.console_session_max,
                        ConsoleSession.last_seen_at > now - self._settings.console_session_idle,
                    )
                    .group_by(ConsoleSession.user_id)
                )
            }
            invitations: dict[uuid.UUID, datetime] = {
                user_id: expires_at
                for user_id, expires_at in await session.execute(
                    select(ConsoleSignIn.user_id, func.max(ConsoleSignIn.expires_at))
                    .where(
                        ConsoleSignIn.user_id.in_(ids),
                        ConsoleSignIn.is_invitation.is_(True),
                        ConsoleSignIn.used_at.is_(None),
                    )
                    .group_by(ConsoleSignIn.user_id)
                )
            }
        return [
            _view(user, open_sessions.get(user.id, 0), invitations.get(user.id)) for user in users
        ]

    async def list(self, white_label_id: uuid.UUID) -> list[UserView]:
        return await self._views(white_label_id)

    async def get(self, white_label_id: uuid.UUID, user_id: uuid.UUID) -> UserView:
        for user in await self._views(white_label_id, user_id):
            return user
        raise _not_found()

    async def invite(self, white_label_id: uuid.UUID, invite: UserInvite, actor: str) -> UserView:
        """Adds the user (or brings back one removed earlier) and emails the invitation."""
        if self._client is None:
            raise RuntimeError("inviting sends an email through Temporal: give WlUsers a client")
        email = str(invite.email)
        try:
            invitation_id, user_id = await self._add_invited(white_label_id, invite, email, actor)
        except IntegrityError:  # the same address invited twice at once: the other one won
            raise Refused(BusinessError.USER_EXISTS, f"{email} is already a user") from None
        await email_link(
            self._client, self._settings, invitation_id, "an invitation to the console"
        )
        return await self.get(white_label_id, user_id)

    async def _add_invited(
        self, white_label_id: uuid.UUID, invite: UserInvite, email: str, actor: str
    ) -> tuple[uuid.UUID, uuid.UUID]:
        async with self._sessions.begin() as session:
            user = await session.scalar(
                select(WlUser).where(
                    WlUser.white_label_id == white_label_id,
                    func.lower(WlUser.email) == email.lower(),
                )
            )
            if user is not None and user.removed_at is None:
                raise Refused(BusinessError.USER_EXISTS, f"{email} is already a user")
            if user is None:
                # Invited users have no API key of their own: the hash of one nobody saw.
                user = WlUser(
                    white_label_id=white_label_id,
                    email=email,
                    role=invite.role.value,
                    api_key_hash=hash_api_key(generate_api_key()),
                    revoked_at=utcnow(),
                )
                session.add(user)
                await session.flush()
            else:
                user.removed_at = None
                user.role = invite.role.value
            invitation = ConsoleSignIn(
                user_id=user.id,
                expires_at=utcnow() + self._settings.console_invitation_ttl,
                is_invitation=True,
            )
            session.add(invitation)
            audit.record(
                session,
                white_label_id=white_label_id,
                customer_id=None,
                action=INVITATION_AUDIT,
                actor=actor,
                detail={"user_id": str(user.id), "role": invite.role.value},
            )
            await session.flush()
            return invitation.id, user.id

    async def change_role(
        self, white_label_id: uuid.UUID, user_id: uuid.UUID, role: UserRole, actor: str
    ) -> UserView:
        async with self._sessions.begin() as session:
            user = await self._locked_user(session, white_label_id, user_id)
            if user.role != role.value:
                if role is not UserRole.ADMINISTRATOR:
                    await self._refuse_last_administrator(session, user, "made staff")
                audit.record(
                    session,
                    white_label_id=white_label_id,
                    customer_id=None,
                    action=ROLE_CHANGED_AUDIT,
                    actor=actor,
                    detail={"user_id": str(user.id), "from": user.role, "to": role.value},
                )
                user.role = role.value
        return await self.get(white_label_id, user_id)

    async def remove(self, white_label_id: uuid.UUID, user_id: uuid.UUID, actor: str) -> None:
        """The user's sessions end, their key stops and their links stop working, at once."""
        async with self._sessions.begin() as session:
            user = await self._locked_user(session, white_label_id, user_id)
            await self._refuse_last_administrator(session, user, "removed")
            now = utcnow()
            user.removed_at = now
            user.revoked_at = user.revoked_at or now
            sessions_ended = await end_sessions(session, user.id)
            audit.record(
                session,
                white_label_id=white_label_id,
                customer_id=None,
                action=REMOVED_AUDIT,
                actor=actor,
                detail={"user_id": str(user.id), "sessions_ended": sessions_ended},
            )

    async def end_sessions(
        self, white_label_id: uuid.UUID, user_id: uuid.UUID, actor: str
    ) -> SessionsEnded:
        async with self._sessions.begin() as session:
            user = await self._locked_user(session, white_label_id, user_id)
            ended = await end_sessions(session, user.id)
            audit.record(
                session,
                white_label_id=white_label_id,
                customer_id=None,
                action=SESSIONS_ENDED_AUDIT,
                actor=actor,
                detail={"user_id": str(user.id), "sessions_ended": ended},
            )
        return SessionsEnded(user_id=user_id, sessions_ended=ended)

    async def _locked_user(
        self, session: AsyncSession, white_label_id: uuid.UUID, user_id: uuid.UUID
    ) -> WlUser:
        user = await session.scalar(
            select(WlUser)
            .where(
                WlUser.id == user_id,
                WlUser.white_label_id == white_label_id,
                WlUser.removed_at.is_(None),
            )
            .with_for_update()
        )
        if user is None:
            raise _not_found()
        return user

    async def _refuse_last_administrator(
        self, session: AsyncSession, user: WlUser, change: str
    ) -> None:
        if user.role != UserRole.ADMINISTRATOR.value:
            return
        administrators = list(
            await session.scalars(
                select(WlUser.id)
                .where(
                    WlUser.white_label_id == user.white_label_id,
                    WlUser.role == UserRole.ADMINISTRATOR.value,
                    WlUser.removed_at.is_(None),
                )
                .with_for_update()
            )
        )
        if administrators == [user.id]:
            raise Refused(
                BusinessError.LAST_ADMINISTRATOR,
                f"the last administrator cannot be {change}: make another user administrator first",
            )


def _view(user: WlUser, open_sessions: int, invitation_expires_at: datetime | None) -> UserView:
    invited = user.last_signed_in_at is None and invitation_expires_at is not None
    return UserView(
        id=user.id,
        email=user.email,
        role=UserRole(user.role),
        state=UserState.INVITED if invited else UserState.ACTIVE,
        created_at=user.created_at,
        last_signed_in_at=user.last_signed_in_at,
        invitation_expires_at=invitation_expires_at if invited else None,
        open_sessions=open_sessions,
    )
