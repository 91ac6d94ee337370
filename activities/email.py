"""Emails about a signup, rendered from Jinja2 templates and sent over SMTP.

Contact data is read here from the database, so it never travels through workflow history.
Each message is marked sent in the audit log after delivery; a retry after that sends nothing,
and the deterministic Message-ID lets a receiving system drop the rare duplicate of a crash
between delivery and the mark.
"""

from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from temporalio import activity

from activities import audit
from activities.ledger import signup_charge_key
from activities.mailer import SmtpMailer
from domain.money import format_amount
from domain.signup import CustomerRef
from store.engine import SessionFactory
from store.schema import Customer, PhoneNumber, Plan, WhiteLabel, WlLedgerEntry, WlUser

TEMPLATES = Environment(
    loader=PackageLoader("activities", "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def build_message(
    *,
    sender: str,
    sender_name: str,
    recipient: str,
    subject: str,
    template: str,
    message_id: str,
    context: dict[str, object],
) -> EmailMessage:
    message = EmailMessage()
    _, sender_address = parseaddr(sender)
    message["From"] = formataddr((sender_name, sender_address))
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(TEMPLATES.get_template(f"{template}.txt").render(context))
    message.add_alternative(
        TEMPLATES.get_template(f"{template}.html").render(context), subtype="html"
    )
    return message


class EmailActivities:
    def __init__(self, sessions: SessionFactory, mailer: SmtpMailer, sender: str) -> None:
        self._sessions = sessions
        self._mailer = mailer
        self._sender = sender

    def _message_id(self, customer_id: object, kind: str) -> str:
        _, address = parseaddr(self._sender)
        domain = address.rpartition("@")[2] or "localhost"
        return f"<customer-{customer_id}.{kind}@{domain}>"

    @activity.defn
    async def send_wl_confirmation(self, ref: CustomerRef) -> None:
        """Tells the WL administrator who created the account that it is active."""
        dedupe_key = f"customer-{ref.customer_id}:email:wl_confirmation"
        async with self._sessions.begin() as session:
            if await audit.already_recorded(session, dedupe_key):
                return
            customer = await session.get_one(Customer, ref.customer_id)
            white_label = await session.get_one(WhiteLabel, customer.white_label_id)
            plan = await session.get_one(Plan, customer.plan_id)
            admin = await session.get_one(WlUser, customer.created_by_user_id)
            charge = await session.scalar(
                select(WlLedgerEntry).where(
                    WlLedgerEntry.idempotency_key == signup_charge_key(customer.id)
                )
            )
            numbers = list(
                await session.scalars(
                    select(PhoneNumber.e164)
                    .where(PhoneNumber.customer_id == customer.id)
                    .order_by(PhoneNumber.e164)
                )
            )
        business_name = (customer.business or {}).get("name", "your customer")
        message = build_message(
            sender=self._sender,
            sender_name=white_label.name,
            recipient=admin.email,
            subject=f"Customer account active: {business_name}",
            template="wl_confirmation",
            message_id=self._message_id(customer.id, "wl_confirmation"),
            context={
                "business_name": business_name,
                "plan_name": plan.name,
                "plan_code": plan.code,
                "amount": format_amount(charge.amount) if charge else "0.00",
                "currency": charge.currency if charge else plan.currency,
                "numbers": numbers,
                "admin_email": admin.email,
                "customer_id": str(customer.id),
                "white_label_name": white_label.name,
            },
        )
        await self._mailer.send(message)
        async with self._sessions.begin() as session:
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action="email.sent",
                detail={"kind": "wl_confirmation"},
                dedupe_key=dedupe_key,
            )
        activity.logger.info("confirmation email sent", extra={"customer_id": str(customer.id)})
