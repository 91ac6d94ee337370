"""`wl`: white labels, their users and keys, payment gateway and brand."""

import argparse
import uuid
from collections.abc import Awaitable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from domain.brand import BrandUpdate
from domain.enums import UserRole
from domain.errors import Refused
from domain.settings import Settings
from domain.users import UserInvite, UserView
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
from starter.users import WlUsers
from store.engine import SessionFactory

Result = TypeVar("Result")


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
    register_users(wl, command)

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


OPERATOR = "operator:cli"


def _user_line(user: UserView) -> str:
    seen = (
        f"last signed in {user.last_signed_in_at:%Y-%m-%d %H:%M} UTC"
        if user.last_signed_in_at
        else "never signed in"
    )
    invited = (
        f", invitation until {user.invitation_expires_at:%Y-%m-%d %H:%M} UTC"
        if user.invitation_expires_at
        else ""
    )
    return f"{user.id}  {user.email}  {user.role.value}  {seen}{invited}"


async def wl_users_list(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        users = await WlUsers(sessions, settings).list(args.wl)
        output(
            args,
            {"users": [user.model_dump(mode="json") for user in users]},
            "\n".join(_user_line(user) for user in users) or "no users",
        )

    await with_sessions(settings, act)


async def wl_users_invite(args: argparse.Namespace, settings: Settings) -> None:
    from runtime.temporal import connect

    try:
        invite = UserInvite(email=args.email, role=UserRole(args.role))
    except ValidationError as error:
        raise UsageError(f"--email: {field_message(str(error.errors()[0]['msg']))}") from None

    async def act(sessions: SessionFactory) -> None:
        users = WlUsers(sessions, settings, await connect(settings))
        user = await _refusals_named(users.invite(args.wl, invite, OPERATOR))
        output(
            args,
            user.model_dump(mode="json"),
            f"invited {user.email} as {user.role.value} (user {user.id}); the link works once, "
            f"until {user.invitation_expires_at:%Y-%m-%d %H:%M} UTC",
        )

    await with_sessions(settings, act)


async def wl_users_set_role(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        users = WlUsers(sessions, settings)
        user = await _refusals_named(
            users.change_role(args.wl, args.user, UserRole(args.role), OPERATOR)
        )
        output(args, user.model_dump(mode="json"), f"{user.email} is {user.role.value}")

    await with_sessions(settings, act)


async def wl_users_remove(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        await _refusals_named(WlUsers(sessions, settings).remove(args.wl, args.user, OPERATOR))
        output(
            args,
            {"user_id": args.user, "removed": True},
            f"user {args.user} is removed: their sessions ended and their key stopped",
        )

    await with_sessions(settings, act)


async def wl_users_end_sessions(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        users = WlUsers(sessions, settings)
        ended = await _refusals_named(users.end_sessions(args.wl, args.user, OPERATOR))
        output(
            args,
            ended.model_dump(mode="json"),
            f"{ended.sessions_ended} console sessions of user {args.user} ended",
        )

    await with_sessions(settings, act)


async def _refusals_named(call: Awaitable[Result]) -> Result:
    """A refusal of the service, as the CLI's one line naming the option it is about."""
    try:
        return await call
    except Refused as refusal:
        option = {"email": "--email", "role": "--role"}.get(refusal.rule.field, "--user")
        raise UsageError(f"{option}: {refusal.message} [{refusal.code}]") from None


def register_users(wl: Any, command: AddCommand) -> None:
    users = wl.add_parser("users", help="the white label's users").add_subparsers(
        dest="users", required=True
    )
    listed = command(users, "list", wl_users_list, "the users, with role and last sign-in")
    listed.add_argument("--wl", required=True, type=uuid.UUID)
    invite = command(users, "invite", wl_users_invite, "email a user an invitation to the console")
    invite.add_argument("--wl", required=True, type=uuid.UUID)
    invite.add_argument("--email", required=True, type=email)
    invite.add_argument("--role", required=True, choices=[role.value for role in UserRole])
    set_role = command(users, "set-role", wl_users_set_role, "make a user administrator or staff")
    set_role.add_argument("--wl", required=True, type=uuid.UUID)
    set_role.add_argument("--user", required=True, type=uuid.UUID)
    set_role.add_argument("--role", required=True, choices=[role.value for role in UserRole])
    remove = command(users, "remove", wl_users_remove, "remove a user (sessions and key end)")
    remove.add_argument("--wl", required=True, type=uuid.UUID)
    remove.add_argument("--user", required=True, type=uuid.UUID)
    end = command(users, "end-sessions", wl_users_end_sessions, "sign a user out everywhere")
    end.add_argument("--wl", required=True, type=uuid.UUID)
    end.add_argument("--user", required=True, type=uuid.UUID)
