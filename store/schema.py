"""The tables. Amounts are Decimal (stored as cents), ids are UUIDs, times are UTC."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.types import MinorUnits, UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UtcDateTime(),
        Decimal: MinorUnits(),
        dict[str, Any]: JSON(),
    }


class WhiteLabel(Base):
    __tablename__ = "white_labels"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[Decimal]
    payment_gateway_provider: Mapped[str | None] = mapped_column(String(40))
    payment_gateway_account: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WhiteLabelBrand(Base):
    """What a WL has set of its brand; a WL without a row shows neutral defaults."""

    __tablename__ = "white_label_brands"

    white_label_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("white_labels.id"), primary_key=True
    )
    display_name: Mapped[str | None] = mapped_column(String(100))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    # An uploaded logo is deferred: the pages and emails that only need its version do not
    # load its bytes.
    logo_image: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str | None] = mapped_column(String(40))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    primary_colour: Mapped[str | None] = mapped_column(String(7))
    support_email: Mapped[str | None] = mapped_column(String(254))
    support_phone: Mapped[str | None] = mapped_column(String(20))
    email_sender_name: Mapped[str | None] = mapped_column(String(100))
    email_sender_address: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WlUser(Base):
    __tablename__ = "wl_users"
    __table_args__ = (UniqueConstraint("white_label_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The user's own API key stopped working (the user may still use the console).
    revoked_at: Mapped[datetime | None]
    # The user was removed from the white label: no console, no key, no sessions.
    removed_at: Mapped[datetime | None]
    last_signed_in_at: Mapped[datetime | None]


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("white_label_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    setup_fee: Mapped[Decimal]
    monthly_fee: Mapped[Decimal]
    initial_funding: Mapped[Decimal]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_wl_status", "white_label_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"))
    path: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    contact: Mapped[dict[str, Any] | None]
    business: Mapped[dict[str, Any] | None]
    address: Mapped[dict[str, Any] | None]
    service_address: Mapped[dict[str, Any] | None]
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    activated_at: Mapped[datetime | None]
    failure_type: Mapped[str | None] = mapped_column(String(60))
    failure_message: Mapped[str | None] = mapped_column(Text)
    activation_expires_at: Mapped[datetime | None]
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100))
    # When contact, business and addresses were erased (an abandoned self-serve signup).
    contact_erased_at: Mapped[datetime | None]


class IdempotencyKey(Base):
    """Ties a client's Idempotency-Key to the customer its first request created."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("white_label_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountAdministrator(Base):
    __tablename__ = "account_administrators"
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(254))
    wl_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("wl_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WlLedgerEntry(Base):
    """A charge (positive) or reversal (negative) on a white label's own billing account."""

    __tablename__ = "wl_ledger_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneNumber(Base):
    __tablename__ = "phone_numbers"
    __table_args__ = (Index("ix_phone_numbers_wl_status", "white_label_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    e164: Mapped[str] = mapped_column(String(16), unique=True)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"))
    status: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    assigned_at: Mapped[datetime | None]


class CustomerPbxSettings(Base):
    __tablename__ = "pbx_settings"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    settings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who did what to which customer, and when. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PaymentAttempt(Base):
    """One card the customer submitted: at most one PaymentIntent, however often retried."""

    __tablename__ = "payment_attempts"
    __table_args__ = (UniqueConstraint("customer_id", "attempt"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    attempt: Mapped[int]
    stripe_payment_intent_id: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Payment(Base):
    """Money received from the customer, recorded once per PaymentIntent."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    stripe_payment_intent_id: Mapped[str] = mapped_column(String(100), unique=True)
    stripe_event_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    refunded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerBalanceEntry(Base):
    """The customer's prepaid balance: credits from payments, later debits for usage."""

    __tablename__ = "customer_balance_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeEvent(Base):
    """Webhook events already handed to a workflow, so a redelivery is not handled twice."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """Where a white label wants its customers' events sent, and which ones."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # Kept as it was issued: signing needs the secret itself, so a one-way hash (as for API
    # keys) cannot be used. The database already holds customers' contact data and is guarded
    # as such; the API shows the secret once and never again.
    signing_secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # After a rotation the old secret signs too, until the overlap ends.
    previous_signing_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    # Deleted: gone from the lists (always disabled too); its deliveries stay.
    deleted_at: Mapped[datetime | None]
    # The console form that added it: sending that form again adds nothing.
    form_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class WebhookEvent(Base):
    """The outbox: one row per event, written in the transaction of the change it reports."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("customer_id", "sequence"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(60))
    sequence: Mapped[int]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)


class WebhookDelivery(Base):
    """One event sent to one endpoint (`replay` 0 is the first; a replay counts up)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "endpoint_id", "replay"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    replay: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class ConsoleSignIn(Base):
    """One emailed console sign-in link: usable once, until `expires_at`.

    The link's token is a MAC of this row's id (see domain.activation), so nothing secret is
    stored; `used_at` is set in the transaction that opens the session, so a link signs in once.
    """

    __tablename__ = "console_sign_ins"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    emailed_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    # An administrator's invitation of a new user (its own email, valid for days, not minutes).
    is_invitation: Mapped[bool] = mapped_column(default=False)


class ConsoleSession(Base):
    """A signed-in console browser. The cookie holds a random token; only its digest is here."""

    __tablename__ = "console_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class ApiKey(Base):
    """A named API key of the white label, with its own role, made in the console or the API.

    Beside each user's own key (wl_users.api_key_hash), which the CLI issues. Only the key's
    SHA-256 is kept; `last_used_at` is written at most once a minute.
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The console form that made it: sending that form again (a reload) makes no second key.
    form_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class ConsoleImport(Base):
    """A file of customers uploaded in the console: its rows, the dry run's report, and the
    import's progress and report once started.

    The rows are kept so that **Import** runs exactly what the dry run checked; they hold
    contact data, like the customers they become, and are erased with the report's rows once the
    import has finished (only the outcome per row stays).
    """

    __tablename__ = "console_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    white_label_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("white_labels.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[list[Any] | None] = mapped_column(JSON)
    lines: Mapped[list[int] | None] = mapped_column(JSON)
    checked: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Passkey(Base):
    """A WebAuthn credential a console user registered: its id and public key, never a secret.

    `sign_count` is the authenticator's counter at the last sign-in (0 for authenticators that
    keep none); a lower one later means a cloned credential.
    """

    __tablename__ = "passkeys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("wl_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(Base):
    """One WebAuthn ceremony's challenge: used once, within minutes.

    A registration's belongs to the signed-in user; a sign-in's to nobody yet (the passkey
    names its user).
    """

    __tablename__ = "passkey_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("wl_users.id"))
    challenge: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
