"""Management operations shared by the CLI, the dev-stack seed and the tests."""

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.brand import Brand, BrandUpdate
from domain.enums import NumberStatus, UserRole
from domain.mail import UNVERIFIED_SENDER, sender_verified
from starter.auth import generate_api_key, hash_api_key
from store import brands
from store.engine import SessionFactory
from store.schema import PhoneNumber, Plan, WhiteLabel, WlUser


class AdminError(ValueError):
    """A refused management command; the message names the problem."""


@dataclass(frozen=True)
class NewUser:
    user_id: uuid.UUID
    api_key: str


@dataclass(frozen=True)
class NewWhiteLabel:
    white_label_id: uuid.UUID
    admin_user_id: uuid.UUID
    api_key: str


async def create_white_label(
    sessions: SessionFactory,
    *,
    name: str,
    admin_email: str,
    currency: str = "NZD",
    credit_limit: Decimal = Decimal("1000.00"),
) -> NewWhiteLabel:
    api_key = generate_api_key()
    async with sessions.begin() as session:
        white_label = WhiteLabel(name=name, currency=currency, credit_limit=credit_limit)
        session.add(white_label)
        await session.flush()
        admin = WlUser(
            white_label_id=white_label.id,
            email=admin_email,
            role=UserRole.ADMINISTRATOR.value,
            api_key_hash=hash_api_key(api_key),
        )
        session.add(admin)
        await session.flush()
        return NewWhiteLabel(white_label_id=white_label.id, admin_user_id=admin.id, api_key=api_key)


async def _require_white_label(sessions: SessionFactory, white_label_id: uuid.UUID) -> WhiteLabel:
    async with sessions() as session:
        white_label = await session.get(WhiteLabel, white_label_id)
    if white_label is None:
        raise AdminError(f"--wl: no white label {white_label_id}")
    return white_label


async def add_user(
    sessions: SessionFactory, *, white_label_id: uuid.UUID, email: str, role: UserRole
) -> NewUser:
    await _require_white_label(sessions, white_label_id)
    api_key = generate_api_key()
    user = WlUser(
        white_label_id=white_label_id,
        email=email,
        role=role.value,
        api_key_hash=hash_api_key(api_key),
    )
    try:
        async with sessions.begin() as session:
            session.add(user)
    except IntegrityError:
        raise AdminError(f"--email: {email} is already a user of this white label") from None
    return NewUser(user_id=user.id, api_key=api_key)


async def revoke_key(
    sessions: SessionFactory, *, user_id: uuid.UUID | None = None, api_key: str | None = None
) -> uuid.UUID:
    """Stops a key from working at once; returns the user it belonged to.

    A key is found by its user or by the key itself (e.g. one found leaked in a log).
    Revoking twice is harmless and keeps the first revocation time.
    """
    async with sessions.begin() as session:
        if user_id is not None:
            user = await session.get(WlUser, user_id)
            if user is None:
                raise AdminError(f"--user: no user {user_id}")
        else:
            user = await session.scalar(
                select(WlUser).where(WlUser.api_key_hash == hash_api_key(api_key or ""))
            )
            if user is None:
                raise AdminError("--key: not a key of any user")
        if user.revoked_at is None:
            user.revoked_at = datetime.now(UTC)
        return user.id


async def issue_key(sessions: SessionFactory, *, user_id: uuid.UUID) -> NewUser:
    """Gives a user a new key (shown once); the old one, revoked or not, stops working."""
    api_key = generate_api_key()
    async with sessions.begin() as session:
        user = await session.get(WlUser, user_id)
        if user is None:
            raise AdminError(f"--user: no user {user_id}")
        user.api_key_hash = hash_api_key(api_key)
        user.revoked_at = None
    return NewUser(user_id=user_id, api_key=api_key)


async def add_plan(
    sessions: SessionFactory,
    *,
    white_label_id: uuid.UUID,
    code: str,
    name: str,
    setup_fee: Decimal,
    monthly_fee: Decimal,
    initial_funding: Decimal = Decimal("0.00"),
    currency: str | None = None,
) -> Plan:
    white_label = await _require_white_label(sessions, white_label_id)
    plan = Plan(
        white_label_id=white_label_id,
        code=code,
        name=name,
        currency=currency or white_label.currency,
        setup_fee=setup_fee,
        monthly_fee=monthly_fee,
        initial_funding=initial_funding,
    )
    try:
        async with sessions.begin() as session:
            session.add(plan)
    except IntegrityError:
        raise AdminError(f"--code: plan {code!r} already exists for this white label") from None
    return plan


def expand_number_range(first: str, last: str, limit: int = 10_000) -> list[str]:
    """`+6495550100:+6495550199` → every E.164 number from first to last inclusive."""
    start, end = normalise_e164(first), normalise_e164(last)
    if len(start) != len(end) or int(end[1:]) < int(start[1:]):
        raise AdminError("--range: the range must run upwards between numbers of one length")
    count = int(end[1:]) - int(start[1:]) + 1
    if count > limit:
        raise AdminError(f"--range: {count} numbers is more than {limit} at once")
    width = len(start) - 1
    return [f"+{value:0{width}d}" for value in range(int(start[1:]), int(end[1:]) + 1)]


def normalise_e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        raise AdminError(f"{number!r} is not an E.164 number") from None
    # Valid, not merely possible: the API's customer views check numbers the same way, and a
    # number they refuse must never reach the inventory.
    if not phonenumbers.is_valid_number(parsed):
        raise AdminError(f"{number!r} is not a valid E.164 number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def add_numbers(
    sessions: SessionFactory, *, white_label_id: uuid.UUID, numbers: list[str]
) -> tuple[list[str], list[str]]:
    """Adds numbers to the WL's inventory; returns (added, already present)."""
    wanted = sorted({normalise_e164(number) for number in numbers})
    await _require_white_label(sessions, white_label_id)
    async with sessions.begin() as session:
        existing = {
            row.e164: row
            for row in await session.scalars(
                select(PhoneNumber).where(PhoneNumber.e164.in_(wanted))
            )
        }
        foreign = sorted(
            e164 for e164, row in existing.items() if row.white_label_id != white_label_id
        )
        if foreign:
            raise AdminError("numbers belong to another white label: " + ", ".join(foreign))
        added = [e164 for e164 in wanted if e164 not in existing]
        session.add_all(
            PhoneNumber(
                e164=e164, white_label_id=white_label_id, status=NumberStatus.AVAILABLE.value
            )
            for e164 in added
        )
    return added, sorted(existing)


PAYMENT_PROVIDERS = ("stripe",)


async def set_payment_gateway(
    sessions: SessionFactory,
    *,
    white_label_id: uuid.UUID,
    provider: str,
    stripe_account: str | None = None,
) -> WhiteLabel:
    """Lets the WL take cards: on its own connected Stripe account, or on the platform's."""
    if provider not in PAYMENT_PROVIDERS:
        raise AdminError(f"--provider: one of {', '.join(PAYMENT_PROVIDERS)}")
    if stripe_account is not None and not re.fullmatch(r"acct_[A-Za-z0-9]{6,100}", stripe_account):
        raise AdminError("--stripe-account: a Stripe account id looks like acct_1A2b3C4d5E6f")
    await _require_white_label(sessions, white_label_id)
    async with sessions.begin() as session:
        white_label = await session.get_one(WhiteLabel, white_label_id)
        white_label.payment_gateway_provider = provider
        white_label.payment_gateway_account = stripe_account
    return white_label


async def brand_white_label(
    sessions: SessionFactory,
    *,
    white_label_id: uuid.UUID,
    change: BrandUpdate,
    logo_image: bytes | None = None,
    remove_logo_image: bool = False,
    verified_sender_domains: Collection[str] = (),
) -> Brand:
    """Changes what the WL's customers see; the CLI's counterpart of PATCH /v1/white-label/brand."""
    sender = change.email_sender_address
    if sender and not sender_verified(sender, verified_sender_domains):
        raise AdminError(f"--sender-address: {UNVERIFIED_SENDER}")
    await _require_white_label(sessions, white_label_id)
    async with sessions.begin() as session:
        white_label = await session.get_one(WhiteLabel, white_label_id)
        brand = await brands.update_brand(session, white_label, change)
        if remove_logo_image:
            brand = await brands.remove_logo_image(session, white_label)
        if logo_image is not None:
            try:
                brand = await brands.set_logo_image(session, white_label, logo_image)
            except ValueError as error:
                raise AdminError(f"--logo: {error}") from None
    return brand
