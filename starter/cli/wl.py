"""`wl`: white labels, their users and keys, payment gateway and brand."""

import argparse
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.brand import BrandUpdate
from domain.enums import UserRole
from domain.settings import Settings
from domain.validation import field_message
from starter import admin
from starter.cli.common import (
    AddCommand,
    UsageError,
    amount,
    currency,
    email,
    output,
    with_sessions,
)
from store.engine import SessionFactory


async def wl_create(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        created = await admin.create_white_label(
            sessions,
            name=args.name,
            admin_email=args.admin_email,
            currency=args.currency,
            credit_limit=args.credit_limit,
        )
        output(
            args,
            {
                "white_label_id": created.white_label_id,
                "admin_user_id": created.admin_user_id,
                "api_key": created.api_key,
            },
            f"white label {created.white_label_id}\nadministrator {created.admin_user_id}\n"
            f"API key (shown once): {created.api_key}",
        )

    await with_sessions(settings, act)


async def wl_add_user(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        created = await admin.add_user(
            sessions, white_label_id=args.wl, email=args.email, role=UserRole(args.role)
        )
        output(
            args,
            {"user_id": created.user_id, "api_key": created.api_key},
            f"user {created.user_id}\nAPI key (shown once): {created.api_key}",
        )

    await with_sessions(settings, act)


async def wl_revoke_key(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        user_id = await admin.revoke_key(sessions, user_id=args.user, api_key=args.key)
        output(
            args,
            {"user_id": user_id, "revoked": True},
            f"the API key of user {user_id} is revoked",
        )

    await with_sessions(settings, act)


async def wl_issue_key(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        issued = await admin.issue_key(sessions, user_id=args.user)
        output(
            args,
            {"user_id": issued.user_id, "api_key": issued.api_key},
            f"user {issued.user_id}\nnew API key (shown once; the old one no longer works): "
            f"{issued.api_key}",
        )

    await with_sessions(settings, act)


async def wl_set_payment_gateway(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        white_label = await admin.set_payment_gateway(
            sessions,
            white_label_id=args.wl,
            provider=args.provider,
            stripe_account=args.stripe_account,
        )
        account = white_label.payment_gateway_account
        output(
            args,
            {
                "white_label_id": white_label.id,
                "provider": white_label.payment_gateway_provider,
                "stripe_account": account,
            },
            f"{white_label.name} takes cards through Stripe "
            + (f"account {account}" if account else "on the platform's own account"),
        )

    await with_sessions(settings, act)


BRAND_OPTIONS = {
    "display_name": "--display-name",
    "logo_url": "--logo",
    "primary_colour": "--colour",
    "support_email": "--support-email",
    "support_phone": "--support-phone",
    "email_sender_name": "--sender-name",
    "email_sender_address": "--sender-address",
}


def _brand_change(args: argparse.Namespace) -> tuple[BrandUpdate, bytes | None]:
    """The options given, as the API's PATCH body, and the bytes of a logo file if one is given."""
    values: dict[str, Any] = {
        name: getattr(args, name) for name in BRAND_OPTIONS if getattr(args, name) is not None
    }
    values.update({name: None for name in args.reset})
    logo: bytes | None = None
    given = values.get("logo_url")
    if given is not None and not given.startswith(("https://", "http://")):
        try:
            logo = Path(given).read_bytes()
        except OSError as error:
            raise UsageError(f"--logo: {given}: {error.strerror}") from None
        del values["logo_url"]
    try:
        return BrandUpdate.model_validate(values), logo
    except ValidationError as error:
        first = error.errors()[0]
        option = BRAND_OPTIONS.get(str(first["loc"][0]), str(first["loc"][0]))
        message = field_message(str(first["msg"]))
        raise UsageError(f"{option}: {message}") from None


async def wl_brand(args: argparse.Namespace, settings: Settings) -> None:
    change, logo = _brand_change(args)

    async def act(sessions: SessionFactory) -> None:
        brand = await admin.brand_white_label(
            sessions,
            white_label_id=args.wl,
            change=change,
            logo_image=logo,
            remove_logo_image="logo_url" in args.reset,
            verified_sender_domains=settings.mail_verified_sender_domains,
        )
        output(
            args,
            brand.model_dump(mode="json"),
            f"{brand.display_name}: colour {brand.primary_colour} (text {brand.text_on_primary}), "
            f"logo {brand.logo_src or 'none'}, emails from {brand.email_sender_name}",
        )

    await with_sessions(settings, act)


def register(commands: Any, command: AddCommand) -> None:
    wl = commands.add_parser("wl", help="white labels").add_subparsers(dest="wl", required=True)
    create = command(wl, "create", wl_create, "create a white label and its first administrator")
    create.add_argument("--name", required=True)
    create.add_argument("--admin-email", required=True, type=email)
    create.add_argument("--currency", type=currency, default="NZD")
    create.add_argument("--credit-limit", type=amount, default=Decimal("1000.00"))
    add_user = command(wl, "add-user", wl_add_user, "add a user with an API key")
    add_user.add_argument("--wl", required=True, type=uuid.UUID)
    add_user.add_argument("--email", required=True, type=email)
    add_user.add_argument("--role", required=True, choices=[role.value for role in UserRole])

    revoke = command(wl, "revoke-key", wl_revoke_key, "stop a user's API key from working")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--user", type=uuid.UUID, help="the user whose key to revoke")
    which.add_argument("--key", help="the key itself, e.g. one found leaked")
    issue = command(wl, "issue-key", wl_issue_key, "give a user a new API key (rotation)")
    issue.add_argument("--user", required=True, type=uuid.UUID)

    gateway = command(
        wl, "set-payment-gateway", wl_set_payment_gateway, "let a white label take card payments"
    )
    gateway.add_argument("--wl", required=True, type=uuid.UUID)
    gateway.add_argument("--provider", required=True, choices=list(admin.PAYMENT_PROVIDERS))
    gateway.add_argument("--stripe-account", help="a connected account (acct_...)")

    brand = command(wl, "brand", wl_brand, "set what a white label's customers see")
    brand.add_argument("--wl", required=True, type=uuid.UUID)
    brand.add_argument("--display-name", dest="display_name")
    brand.add_argument(
        "--logo", dest="logo_url", help="an https URL, or a PNG, JPEG or GIF file (at most 60 KiB)"
    )
    brand.add_argument("--colour", dest="primary_colour", help="#rrggbb")
    brand.add_argument("--support-email", dest="support_email")
    brand.add_argument("--support-phone", dest="support_phone", help="E.164, like +6495550100")
    brand.add_argument("--sender-name", dest="email_sender_name", help="who emails come from")
    brand.add_argument("--sender-address", dest="email_sender_address")
    brand.add_argument(
        "--reset",
        action="append",
        default=[],
        choices=list(BRAND_OPTIONS),
        help="put a field back to its neutral default (repeatable); logo_url removes any logo",
    )
