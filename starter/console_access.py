"""Who is signed in to the console: emailed single-use links, then server-side sessions.

Nobody has a password. Asking for a link answers the same whether or not the address belongs
to a user, so the page tells nobody who has an account. A link's token is a MAC of its row's
id (see domain.activation); redeeming it marks the row used and opens the session in one
transaction, so a link signs in once even when two browsers race. The session cookie holds
256 random bits; the table keeps only their SHA-256, the user, a CSRF token and the times
that end it (idle and absolute).
"""

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from domain.activation import LinkPurpose
from domain.brand import Brand
from domain.console import SIGN_IN_LINK_VERSION, ConsoleSignInEmail, console_sign_in_workflow_id
from domain.enums import UserRole
from domain.settings import Settings
from starter.auth import Caller
from starter.links import LinkInvalid, LinkNotAuthentic, verified_link
from store import audit
from store.brands import brand_of
from store.engine import SessionFactory, read_only
from store.schema import ConsoleSession, ConsoleSignIn, WhiteLabel, WlUser, utcnow
from workflows.console_sign_in import ConsoleSignInWorkflow

log = logging.getLogger(__name__)
SIGNED_IN = "console.signed_in"
SIGNED_OUT = "console.signed_out"
TOUCH_EVERY = timedelta(minutes=1)
"""How stale `last_seen_at` may get before a request writes it again: one write a minute per
session, not one per page."""


@dataclass(frozen=True)
class SignedIn:
    """The console user behind a request, with what every console page shows around it."""

    session_id: uuid.UUID
    caller: Caller
    email: str
    csrf_token: str
    white_label_name: str
    brand: Brand


@dataclass(frozen=True)
class OpenedSession:
    cookie_token: str
    signed_in_user: uuid.UUID


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: AsyncSession, user: WlUser, method: str, now: datetime) -> OpenedSession:
    """Opens a console session for the user inside the caller's transaction (the one that
    used up the link or the passkey challenge), and says so in the audit trail."""
    cookie_token = secrets.token_urlsafe(32)
    user.last_signed_in_at = now
    session.add(
        ConsoleSession(
            token_hash=_digest(cookie_token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    audit.record(
        session,
        white_label_id=user.white_label_id,
        customer_id=None,
        action=SIGNED_IN,
        actor=f"wl_user:{user.id}",
        detail={"method": method},
    )
    return OpenedSession(cookie_token=cookie_token, signed_in_user=user.id)


async def email_link(client: Client, settings: Settings, sign_in_id: uuid.UUID, what: str) -> None:
    """Starts the workflow that emails a sign-in row's link (a sign-in or an invitation)."""
    await client.start_workflow(
        ConsoleSignInWorkflow.run,
        ConsoleSignInEmail(sign_in_id=sign_in_id),
        id=console_sign_in_workflow_id(sign_in_id),
        task_queue=settings.temporal_task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        static_summary=f"Email {what}",
    )


class ConsoleAccess:
    def __init__(self, client: Client, sessions: SessionFactory, settings: Settings) -> None:
        self._client = client
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings

    async def email_sign_in_links(self, email: str) -> int:
        """Emails a link to every active user with this address (one per white label they
        belong to); says how many, for the tests and logs only, never for the page."""
        wanted = email.strip().lower()
        expires_at = utcnow() + self._settings.console_sign_in_ttl
        async with self._sessions.begin() as session:
            users = list(
                await session.scalars(
                    select(WlUser).where(
                        func.lower(WlUser.email) == wanted, WlUser.removed_at.is_(None)
                    )
                )
            )
            sign_ins = [ConsoleSignIn(user_id=user.id, expires_at=expires_at) for user in users]
            session.add_all(sign_ins)
        for sign_in in sign_ins:
            await email_link(self._client, self._settings, sign_in.id, "a console sign-in link")
        log.info("console sign-in requested", extra={"links": len(sign_ins)})
        return len(sign_ins)

    def verify(self, sign_in_id: uuid.UUID, token: str) -> None:
        """LinkNotAuthentic unless the token is this sign-in's MAC (checked before any I/O)."""
        link = verified_link(self._settings, sign_in_id, token, LinkPurpose.CONSOLE_SIGN_IN)
        if link.link_version != SIGN_IN_LINK_VERSION:
            raise LinkNotAuthentic

    async def check_usable(self, sign_in_id: uuid.UUID) -> None:
        """LinkInvalid when the link has been used, has expired or its user was removed."""
        async with self._reads() as session:
            sign_in = await session.get(ConsoleSignIn, sign_in_id)
            user = await session.get(WlUser, sign_in.user_id) if sign_in else None
        if (
            sign_in is None
            or user is None
            or user.removed_at is not None
            or sign_in.used_at is not None
            or sign_in.expires_at <= utcnow()
        ):
            raise LinkInvalid

    async def redeem(self, sign_in_id: uuid.UUID, token: str) -> OpenedSession:
        """Uses the link up and opens a session; LinkInvalid if it cannot be used."""
        self.verify(sign_in_id, token)
        now = utcnow()
        async with self._sessions.begin() as session:
            used = await session.execute(
                update(ConsoleSignIn)
                .where(
                    ConsoleSignIn.id == sign_in_id,
                    ConsoleSignIn.used_at.is_(None),
                    ConsoleSignIn.expires_at > now,
                )
                .values(used_at=now)
                .returning(ConsoleSignIn.user_id)
            )
            user_id = used.scalar_one_or_none()
            user = await session.get(WlUser, user_id) if user_id else None
            if user is None or user.removed_at is not None:
                raise LinkInvalid
            opened = open_session(session, user, "link", now)
        log.info("console session opened", extra={"user_id": str(user.id)})
        return opened

    async def signed_in(self, cookie_token: str | None) -> SignedIn | None:
        """The session this cookie opens, or None when it has ended, idled out or aged out."""
        if not cookie_token or len(cookie_token) > 100:
            return None
        now = utcnow()
        async with self._reads() as session:
            row = await session.scalar(
                select(ConsoleSession).where(ConsoleSession.token_hash == _digest(cookie_token))
            )
            if row is None or row.ended_at is not None or self._timed_out(row, now):
                return None
            user = await session.get(WlUser, row.user_id)
            if user is None or user.removed_at is not None:
                return None
            white_label = await session.get_one(WhiteLabel, user.white_label_id)
            brand = await brand_of(session, white_label)
        if now - row.last_seen_at > TOUCH_EVERY:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.id == row.id)
                    .values(last_seen_at=now)
                )
        return SignedIn(
            session_id=row.id,
            caller=Caller(
                user_id=user.id, white_label_id=user.white_label_id, role=UserRole(user.role)
            ),
            email=user.email,
            csrf_token=row.csrf_token,
            white_label_name=white_label.name,
            brand=brand,
        )

    def _timed_out(self, row: ConsoleSession, now: datetime) -> bool:
        return (
            now - row.created_at >= self._settings.console_session_max
            or now - row.last_seen_at >= self._settings.console_session_idle
        )

    async def sign_out(self, signed_in: SignedIn) -> None:
        async with self._sessions.begin() as session:
            ended = await session.execute(
                update(ConsoleSession)
                .where(ConsoleSession.id == signed_in.session_id, ConsoleSession.ended_at.is_(None))
                .values(ended_at=utcnow())
            )
            if ended.rowcount:  # type: ignore[attr-defined]
                audit.record(
                    session,
                    white_label_id=signed_in.caller.white_label_id,
                    customer_id=None,
                    action=SIGNED_OUT,
                    actor=signed_in.caller.actor,
                )
