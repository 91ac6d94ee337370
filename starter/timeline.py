"""A customer's story in words: what the console's customer page lists, oldest first.

Read from the audit trail: every step a workflow takes records one row in the transaction of
its change, each card the customer tries among them (its attempt, its decline or cancellation,
the payment received). Reads of the customer's data are audited too but are not part of the
story.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.audit import READ_ACTION
from store.schema import AuditEntry

EMAILS = {
    "activation": "Activation email sent to the customer",
    "activation_reminder": "Activation reminder sent to the customer",
    "welcome": "Welcome email sent to the customer",
    "wl_confirmation": "Confirmation email sent to the administrator",
    "expiry_notice": "Expiry notice sent to the customer",
    "conversion_notice": "Notice of the take-over sent to the customer",
    "handover_invitation": "Invitation to administer sent to the customer",
    "handover_welcome": "Customer told they administer the account",
}


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str


def _money(detail: dict[str, Any]) -> str:
    return f"{detail.get('amount', '')} {detail.get('currency', '')}".strip()


def _said(action: str, detail: dict[str, Any], actor: str) -> str | None:
    """The words for one audit row; None for rows the story leaves out."""
    match action:
        case "customer.created":
            return "Created by a WL administrator" if actor.startswith("wl_user:") else "Created"
        case "email.sent":
            kind = str(detail.get("kind", ""))
            if kind.startswith("wl_notice."):
                return "The administrator was notified"
            return EMAILS.get(kind, "Email sent")
        case "customer.awaiting_payment":
            return "Activated by the customer; awaiting payment"
        case "customer.active":
            return "Active"
        case "customer.failed":
            return f"Failed: {detail.get('message') or detail.get('reason') or 'see the log'}"
        case "customer.expired":
            return "The activation link expired unused"
        case "customer.cancelled":
            return "Signup cancelled"
        case "customer.converted":
            return "Converted to WL-managed by the WL administrator"
        case "activation.resend_requested":
            return "The administrator asked to resend the activation email"
        case "signup.cancel_requested":
            return "The administrator cancelled the signup"
        case "signup.conversion_requested":
            return "The administrator asked to convert the signup to WL-managed"
        case "handover.invited":
            return "The customer was invited to administer the account"
        case "handover.cancel_requested":
            return "The administrator withdrew the invitation to administer"
        case "handover.expired":
            return "The invitation to administer expired unused"
        case "handover.cancelled":
            return "The invitation to administer was withdrawn"
        case "customer.contact_erased":
            return "Contact details erased after the retention period"
        case "wl_ledger.debited":
            return f"Charged {_money(detail)} to the WL account"
        case "wl_ledger.reversed":
            return f"The WL account charge of {_money(detail)} was reversed"
        case "numbers.allocated":
            return f"{detail.get('count', 'Some')} numbers allocated"
        case "numbers.released":
            return "Numbers released"
        case "pbx_settings.applied":
            return "PBX settings applied"
        case "account_administrator.added":
            if detail.get("kind") == "customer_contact":
                return "The customer's contact became Account Administrator"
            return "The WL administrator became Account Administrator"
        case "account_administrator.handed_over":
            return "Administration handed over to the customer"
        case "payment.received":
            return f"Payment of {_money(detail)} received by card"
        case "payment.refunded":
            return "Payment refunded"
        case "payment.declined" | "payment.canceled":
            return None  # told with the attempt itself (see _attempt_outcomes)
        case _:
            return None


def _attempt_outcomes(entries: list[AuditEntry]) -> dict[object, str]:
    """How each card payment attempt ended, by attempt number: a decline is what the
    administrator needs to see, even when the declined intent was cancelled afterwards."""
    received = {
        entry.detail.get("payment_intent_id")
        for entry in entries
        if entry.action == "payment.received"
    }
    outcomes: dict[object, str] = {}
    for entry in entries:
        attempt = (entry.detail or {}).get("attempt")
        if entry.action == "payment.attempted":
            paid = entry.detail.get("payment_intent_id") in received
            outcomes.setdefault(attempt, "paid" if paid else "in progress")
        elif entry.action == "payment.declined":
            outcomes[attempt] = "declined"
        elif entry.action == "payment.canceled" and outcomes.get(attempt) == "in progress":
            outcomes[attempt] = "cancelled"
    return outcomes


async def timeline(session: AsyncSession, customer_id: uuid.UUID) -> list[Moment]:
    entries = list(
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id == customer_id, AuditEntry.action != READ_ACTION)
            .order_by(AuditEntry.created_at, AuditEntry.id)
            .limit(500)
        )
    )
    outcomes = _attempt_outcomes(entries)
    moments = []
    for entry in entries:
        detail = entry.detail or {}
        if entry.action == "payment.attempted":
            attempt = detail.get("attempt")
            said: str | None = f"Card payment attempt {attempt}: {outcomes.get(attempt)}"
        else:
            said = _said(entry.action, detail, entry.actor)
        if said is not None:
            moments.append(Moment(at=entry.created_at, what=said))
    return moments
