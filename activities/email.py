"""Emails about a signup, rendered from Jinja2 templates and sent over SMTP.

Contact data is read here from the database, so it never travels through workflow history;
activation links are computed here from the secret, so they never do either. Each message
is marked sent in the audit log after delivery; a retry after that sends nothing, and the
deterministic Message-ID lets a receiving system drop the rare duplicate of a crash between
delivery and the mark.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from temporalio import activity

from activities.ledger import signup_charge_key
from activities.mailer import SmtpMailer
from activities.refusals import refuse
from domain.activation import LinkPurpose, activation_link
from domain.brand import Brand
from domain.display import human_time
from domain.errors import BusinessError
from domain.handover import HandoverEmailInput
from domain.mail import from_address
from domain.money import format_amount
from domain.self_serve import ActivationEmailInput, WlNotice, WlNoticeInput
from domain.signup import CustomerRef
from store import audit
from store.brands import LogoImage, brand_of, logo_image
from store.engine import SessionFactory, read_only
from store.schema import Customer, PhoneNumber, Plan, WhiteLabel, WlLedgerEntry, WlUser

TEMPLATES = Environment(
    loader=PackageLoader("activities", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


LOGO_CID = "logo"


def build_message(
    *,
    sender: str,
    brand: Brand,
    verified_sender_domains: Collection[str] = (),
    recipient: str,
    subject: str,
    template: str,
    message_id: str,
    context: dict[str, object],
    logo: LogoImage | None = None,
) -> EmailMessage:
    """A plain-text part and an HTML part, both in the white label's brand.

    An uploaded logo travels inside the message (a `cid:` part), so it shows even where the
    mail client blocks remote images; a logo URL is a remote image whose alt text is the
    brand's name, and the name is printed beside it either way.
    """
    message = EmailMessage()
    address = from_address(brand.email_sender_address, sender, verified_sender_domains)
    message["From"] = formataddr((brand.email_sender_name, address))
    if brand.support_email:
        message["Reply-To"] = brand.support_email
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    domain = message_id.rpartition("@")[2].rstrip(">") or "localhost"
    logo_id = f"{LOGO_CID}.{message_id.strip('<>').partition('@')[0]}@{domain}"
    logo_src = f"cid:{logo_id}" if logo is not None else brand.logo_url
    values = {**context, "brand": brand, "logo_src": logo_src}
    message.set_content(TEMPLATES.get_template(f"{template}.txt").render(values))
    message.add_alternative(
        TEMPLATES.get_template(f"{template}.html").render(values), subtype="html"
    )
    if logo is not None:
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        maintype, _, subtype = logo.content_type.partition("/")
        html.add_related(
            logo.data, maintype=maintype, subtype=subtype, cid=f"<{logo_id}>", disposition="inline"
        )
    return message


@dataclass(frozen=True)
class _Signup:
    customer: Customer
    white_label: WhiteLabel
    plan: Plan
    admin: WlUser
    brand: Brand
    logo: LogoImage | None

    @property
    def business_name(self) -> str:
        return str((self.customer.business or {}).get("name", "your customer"))

    @property
    def contact(self) -> dict[str, Any]:
        return self.customer.contact or {}


WL_NOTICES = {
    WlNotice.CUSTOMER_ACTIVE: "Customer active: {business}",
    WlNotice.SIGNUP_EXPIRED: "Signup expired: {business}",
    WlNotice.SIGNUP_CANCELLED: "Signup cancelled: {business}",
    WlNotice.LATE_PAYMENT_REFUNDED: "Late payment refunded: {business}",
    WlNotice.HANDOVER_ACCEPTED: "Administration handed over: {business}",
    WlNotice.HANDOVER_EXPIRED: "Invitation to administer expired: {business}",
}


class EmailActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        mailer: SmtpMailer,
        sender: str,
        public_base_url: str = "http://localhost:8000",
        verified_sender_domains: Collection[str] = (),
        activation_secret: bytes | None = None,
    ) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._mailer = mailer
        self._sender = sender
        self._verified_sender_domains = frozenset(verified_sender_domains)
        self._public_base_url = public_base_url
        self._activation_secret = activation_secret

    def _link(self, customer_id: uuid.UUID, link_version: int, purpose: LinkPurpose) -> str:
        """Recomputed from the secret for each email, so no token is ever stored."""
        if self._activation_secret is None:
            raise RuntimeError("ACTIVATION_SECRET is not configured on this worker")
        return activation_link(
            self._public_base_url, self._activation_secret, customer_id, link_version, purpose
        )

    async def _load(self, customer_id: uuid.UUID) -> _Signup:
        async with self._reads() as session:
            customer = await session.get_one(Customer, customer_id)
            white_label = await session.get_one(WhiteLabel, customer.white_label_id)
            brand = await brand_of(session, white_label)
            return _Signup(
                customer=customer,
                white_label=white_label,
                plan=await session.get_one(Plan, customer.plan_id),
                admin=await session.get_one(WlUser, customer.created_by_user_id),
                brand=brand,
                logo=await logo_image(session, white_label.id) if brand.has_logo_image else None,
            )

    async def _unsent(self, dedupe_key: str, customer_id: uuid.UUID) -> _Signup | None:
        """The signup an email is about, or None when that email was already sent."""
        async with self._reads() as session:
            if await audit.already_recorded(session, dedupe_key):
                return None
        return await self._load(customer_id)

    async def _deliver(
        self,
        signup: _Signup,
        *,
        dedupe_key: str,
        kind: str,
        recipient: str,
        subject: str,
        template: str,
        context: dict[str, object],
    ) -> None:
        _, address = parseaddr(self._sender)
        domain = address.rpartition("@")[2] or "localhost"
        try:
            message = build_message(
                sender=self._sender,
                brand=signup.brand,
                verified_sender_domains=self._verified_sender_domains,
                recipient=recipient,
                subject=subject,
                template=template,
                message_id=f"<{dedupe_key.replace(':', '.')}@{domain}>",
                context=context,
                logo=signup.logo,
            )
            # Flattening is where a header with a line break is found (HeaderWriteError).
            message.as_bytes()
        except (ValueError, MessageError) as error:
            # Text stored before input refused control characters: retrying cannot help.
            # The error's own text may quote the value, so only its class is said.
            raise refuse(
                BusinessError.EMAIL_NOT_BUILDABLE,
                f"the {kind} email cannot be built from the stored text "
                f"({type(error).__name__}): correct the customer's details",
            ) from None
        sent = activity.metric_meter().with_additional_attributes({"kind": kind})
        try:
            await self._mailer.send(message)
        except Exception:
            sent.create_counter("emails_failed", "Failed email delivery attempts").add(1)
            raise
        sent.create_counter("emails_sent", "Emails handed to the SMTP relay").add(1)
        async with self._sessions.begin() as session:
            await audit.record_once(
                session,
                dedupe_key=dedupe_key,
                white_label_id=signup.white_label.id,
                customer_id=signup.customer.id,
                action="email.sent",
                detail={"kind": kind},
            )
        activity.logger.info(
            "email sent", extra={"customer_id": str(signup.customer.id), "kind": kind}
        )

    async def _to_contact(self, ref: CustomerRef, kind: str, subject: str) -> None:
        """A short notice to the customer's authorized contact, sent once; `kind` names its
        template and `{brand}` in the subject becomes the brand's name."""
        dedupe_key = f"customer-{ref.customer_id}:email:{kind}"
        signup = await self._unsent(dedupe_key, ref.customer_id)
        if signup is None:
            return
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind=kind,
            recipient=signup.contact["email"],
            subject=subject.format(brand=signup.brand.display_name),
            template=kind,
            context={
                "first_name": signup.contact.get("first_name", ""),
                "business_name": signup.business_name,
            },
        )

    @activity.defn
    async def send_wl_confirmation(self, ref: CustomerRef) -> None:
        """Tells the WL administrator who created a WL-managed account that it is active."""
        dedupe_key = f"customer-{ref.customer_id}:email:wl_confirmation"
        signup = await self._unsent(dedupe_key, ref.customer_id)
        if signup is None:
            return
        async with self._reads() as session:
            charge = await session.scalar(
                select(WlLedgerEntry).where(
                    WlLedgerEntry.idempotency_key == signup_charge_key(ref.customer_id)
                )
            )
            numbers = list(
                await session.scalars(
                    select(PhoneNumber.e164)
                    .where(PhoneNumber.customer_id == ref.customer_id)
                    .order_by(PhoneNumber.e164)
                )
            )
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind="wl_confirmation",
            recipient=signup.admin.email,
            subject=f"Customer account active: {signup.business_name}",
            template="wl_confirmation",
            context={
                "business_name": signup.business_name,
                "plan_name": signup.plan.name,
                "plan_code": signup.plan.code,
                "amount": format_amount(charge.amount) if charge else "0.00",
                "currency": charge.currency if charge else signup.plan.currency,
                "numbers": numbers,
                "admin_email": signup.admin.email,
                "customer_id": str(ref.customer_id),
            },
        )

    @activity.defn
    async def send_activation(self, data: ActivationEmailInput) -> None:
        """The activation link (or a reminder of it) to the customer's authorized contact."""
        dedupe_key = (
            f"customer-{data.customer_id}:email:activation:v{data.link_version}:r{data.reminder}"
        )
        signup = await self._unsent(dedupe_key, data.customer_id)
        if signup is None:
            return
        link = self._link(data.customer_id, data.link_version, LinkPurpose.ACTIVATION)
        subject = f"Activate your {signup.brand.display_name} account"
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind="activation_reminder" if data.reminder else "activation",
            recipient=signup.contact["email"],
            subject=f"Reminder: {subject.lower()}" if data.reminder else subject,
            template="activation",
            context={
                "first_name": signup.contact.get("first_name", ""),
                "business_name": signup.business_name,
                "plan_name": signup.plan.name,
                "amount_due": format_amount(signup.plan.initial_funding),
                "currency": signup.plan.currency,
                "link": link,
                "expires_at": human_time(data.expires_at),
                "reminder": data.reminder,
            },
        )

    @activity.defn
    async def send_welcome(self, ref: CustomerRef) -> None:
        """Tells the customer their account is active and funded."""
        dedupe_key = f"customer-{ref.customer_id}:email:welcome"
        signup = await self._unsent(dedupe_key, ref.customer_id)
        if signup is None:
            return
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind="welcome",
            recipient=signup.contact["email"],
            subject=f"Welcome to {signup.brand.display_name}: your account is active",
            template="welcome",
            context={
                "first_name": signup.contact.get("first_name", ""),
                "business_name": signup.business_name,
                "plan_name": signup.plan.name,
                "amount": format_amount(signup.plan.initial_funding),
                "currency": signup.plan.currency,
                "email": signup.contact["email"],
            },
        )

    @activity.defn
    async def send_expiry_notice(self, ref: CustomerRef) -> None:
        """Tells the customer their activation link has expired, and whom to ask for a new one."""
        await self._to_contact(ref, "expiry_notice", "Your {brand} activation link has expired")

    @activity.defn
    async def send_conversion_notice(self, ref: CustomerRef) -> None:
        """Tells the customer the WL took the signup over, so their dead link is no mystery."""
        await self._to_contact(ref, "conversion_notice", "{brand} has set up your account")

    @activity.defn
    async def send_handover_invitation(self, data: HandoverEmailInput) -> None:
        """Invites the customer's authorized contact to become the Account Administrator."""
        dedupe_key = f"customer-{data.customer_id}:email:handover:v{data.link_version}"
        signup = await self._unsent(dedupe_key, data.customer_id)
        if signup is None:
            return
        link = self._link(data.customer_id, data.link_version, LinkPurpose.HANDOVER)
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind="handover_invitation",
            recipient=signup.contact["email"],
            subject=f"Take over the administration of your {signup.brand.display_name} account",
            template="handover_invitation",
            context={
                "first_name": signup.contact.get("first_name", ""),
                "business_name": signup.business_name,
                "plan_name": signup.plan.name,
                "link": link,
                "expires_at": human_time(data.expires_at),
            },
        )

    @activity.defn
    async def send_handover_welcome(self, ref: CustomerRef) -> None:
        """Confirms to the customer that they administer the account now."""
        await self._to_contact(ref, "handover_welcome", "You now administer your {brand} account")

    @activity.defn
    async def send_wl_notice(self, data: WlNoticeInput) -> None:
        """Tells the WL administrator who created a self-serve signup how it ended."""
        dedupe_key = f"customer-{data.customer_id}:email:wl_notice:{data.kind.value}"
        if data.reference:
            dedupe_key += f":{data.reference}"
        signup = await self._unsent(dedupe_key, data.customer_id)
        if signup is None:
            return
        await self._deliver(
            signup,
            dedupe_key=dedupe_key,
            kind=f"wl_notice.{data.kind.value}",
            recipient=signup.admin.email,
            subject=WL_NOTICES[data.kind].format(business=signup.business_name),
            template="wl_notice",
            context={
                "kind": data.kind.value,
                "business_name": signup.business_name,
                "plan_name": signup.plan.name,
                "amount": format_amount(signup.plan.initial_funding),
                "currency": signup.plan.currency,
                "customer_id": str(data.customer_id),
            },
        )
