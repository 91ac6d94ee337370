"""The console's sign-in email: a link that signs a WL user in, once, for a few minutes; or an
administrator's invitation of a new user, whose link signs them in once, for days.

The link is a MAC of the sign-in row's id, recomputed here from the secret, so it is never
stored, logged or put in history. The row's `emailed_at` marks the email sent: a retry after
that sends nothing, and a link that has expired or been used is not sent at all.
"""

from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import parseaddr

from temporalio import activity

from activities.email import build_message
from activities.mailer import SmtpMailer
from domain.activation import LinkPurpose, activation_link
from domain.console import SIGN_IN_LINK_VERSION, ConsoleSignInEmail
from domain.display import human_time
from domain.enums import UserRole
from store.brands import brand_of, logo_image
from store.engine import SessionFactory, read_only
from store.schema import ConsoleSignIn, WhiteLabel, WlUser


class ConsoleMailActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        mailer: SmtpMailer,
        sender: str,
        public_base_url: str,
        activation_secret: bytes | None,
        verified_sender_domains: Collection[str] = (),
    ) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._mailer = mailer
        self._sender = sender
        self._public_base_url = public_base_url
        self._secret = activation_secret
        self._verified_sender_domains = frozenset(verified_sender_domains)

    @activity.defn
    async def send_console_sign_in(self, data: ConsoleSignInEmail) -> None:
        if self._secret is None:
            raise RuntimeError("ACTIVATION_SECRET is not configured on this worker")
        async with self._reads() as session:
            sign_in = await session.get_one(ConsoleSignIn, data.sign_in_id)
            if (
                sign_in.emailed_at is not None
                or sign_in.used_at is not None
                or sign_in.expires_at <= datetime.now(UTC)
            ):
                return
            user = await session.get_one(WlUser, sign_in.user_id)
            if user.removed_at is not None:
                return
            white_label = await session.get_one(WhiteLabel, user.white_label_id)
            brand = await brand_of(session, white_label)
            logo = await logo_image(session, white_label.id) if brand.has_logo_image else None
        link = activation_link(
            self._public_base_url, self._secret, sign_in.id, SIGN_IN_LINK_VERSION,
            LinkPurpose.CONSOLE_SIGN_IN,
        )  # fmt: skip
        domain = parseaddr(self._sender)[1].rpartition("@")[2] or "localhost"
        if sign_in.is_invitation:
            subject = f"You are invited to the {brand.display_name} console"
            template = "console_invitation"
        else:
            subject = f"Sign in to the {brand.display_name} console"
            template = "console_sign_in"
        role_name = "an Administrator" if user.role == UserRole.ADMINISTRATOR else "Staff"
        message = build_message(
            sender=self._sender,
            brand=brand,
            verified_sender_domains=self._verified_sender_domains,
            recipient=user.email,
            subject=subject,
            template=template,
            message_id=f"<console-sign-in.{sign_in.id}@{domain}>",
            context={
                "link": link,
                "expires_at": human_time(sign_in.expires_at),
                "role_name": role_name,
            },
            logo=logo,
        )
        await self._mailer.send(message)
        async with self._sessions.begin() as session:
            found = await session.get_one(ConsoleSignIn, data.sign_in_id)
            found.emailed_at = datetime.now(UTC)
        activity.logger.info("console sign-in email sent", extra={"sign_in_id": str(sign_in.id)})
