"""`python -m starter ...`: the management CLI. Every command takes --json.

Bad arguments exit 2 with one line naming the problem, and write nothing.
"""

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from domain.brand import BrandUpdate
from domain.customer import CreateCustomerRequest
from domain.enums import UserRole
from domain.settings import Settings, load_settings
from domain.validation import field_message, field_path
from starter import admin
from starter.auth import Caller, caller_for_key
from store.engine import SessionFactory, create_engine, create_session_factory
from store.migrate import DatabaseNotMigrated


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


class UsageError(Exception):
    """A bad argument found after parsing; exits 2 like argparse does."""


def amount(value: str) -> Decimal:
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount like 49.00") from None
    if not parsed.is_finite() or parsed < 0 or parsed != parsed.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount like 49.00")
    return parsed.quantize(Decimal("0.01"))


def currency(value: str) -> str:
    import pycountry

    if pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-4217 currency code")
    return value.upper()


def email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise argparse.ArgumentTypeError(f"{value!r}: {error}") from None


def output(args: argparse.Namespace, data: dict[str, Any], human: str) -> None:
    if args.json:
        print(json.dumps(data, default=str, indent=2))
    else:
        print(human)


async def _with_sessions(
    settings: Settings, action: Callable[[SessionFactory], Awaitable[None]]
) -> None:
    from store.migrate import ensure_migrated

    engine = create_engine(settings.database_url)
    try:
        await ensure_migrated(engine)
        await action(create_session_factory(engine))
    finally:
        await engine.dispose()


async def _acting_administrator(sessions: SessionFactory, api_key: str) -> Caller:
    """The user whose `--api-key` a command acts as, as the API would see them."""
    async with sessions() as session:
        caller = await caller_for_key(session, api_key)
    if caller is None:
        raise UsageError("--api-key: not a valid API key")
    return caller


async def db_upgrade(args: argparse.Namespace, settings: Settings) -> None:
    from store.migrate import head_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    output(args, {"revision": head_revision()}, f"database at revision {head_revision()}")


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

    await _with_sessions(settings, act)


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

    await _with_sessions(settings, act)


async def wl_revoke_key(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        user_id = await admin.revoke_key(sessions, user_id=args.user, api_key=args.key)
        output(
            args,
            {"user_id": user_id, "revoked": True},
            f"the API key of user {user_id} is revoked",
        )

    await _with_sessions(settings, act)


async def wl_issue_key(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        issued = await admin.issue_key(sessions, user_id=args.user)
        output(
            args,
            {"user_id": issued.user_id, "api_key": issued.api_key},
            f"user {issued.user_id}\nnew API key (shown once; the old one no longer works): "
            f"{issued.api_key}",
        )

    await _with_sessions(settings, act)


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

    await _with_sessions(settings, act)


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
        )
        output(
            args,
            brand.model_dump(mode="json"),
            f"{brand.display_name}: colour {brand.primary_colour} (text {brand.text_on_primary}), "
            f"logo {brand.logo_src or 'none'}, emails from {brand.email_sender_name}",
        )

    await _with_sessions(settings, act)


async def plans_add(args: argparse.Namespace, settings: Settings) -> None:
    async def act(sessions: SessionFactory) -> None:
        plan = await admin.add_plan(
            sessions,
            white_label_id=args.wl,
            code=args.code,
            name=args.name,
            setup_fee=args.setup_fee,
            monthly_fee=args.monthly_fee,
            initial_funding=args.initial_funding,
        )
        output(
            args,
            {"plan_id": plan.id, "code": plan.code, "currency": plan.currency},
            f"plan {plan.code} ({plan.id})",
        )

    await _with_sessions(settings, act)


async def numbers_add(args: argparse.Namespace, settings: Settings) -> None:
    numbers = list(args.numbers)
    if args.range:
        first, _, last = args.range.partition(":")
        numbers += admin.expand_number_range(first, last)
    if not numbers:
        raise UsageError("give numbers in E.164 form or --range FIRST:LAST")

    async def act(sessions: SessionFactory) -> None:
        added, present = await admin.add_numbers(sessions, white_label_id=args.wl, numbers=numbers)
        output(
            args,
            {"added": added, "already_present": present},
            f"{len(added)} numbers added, {len(present)} already present",
        )

    await _with_sessions(settings, act)


RequestBody = TypeVar("RequestBody", bound=BaseModel)


def _request_file(model: type[RequestBody], file: str) -> RequestBody:
    """A request body from a JSON file, its first problem named as the API would name it."""
    try:
        return model.model_validate(json.loads(Path(file).read_text()))
    except OSError as error:
        raise UsageError(f"--file: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--file: not JSON ({error.msg} at line {error.lineno})") from None
    except ValidationError as error:
        first = error.errors()[0]
        path = field_path(first["loc"])
        raise UsageError(f"--file: {path}: {first['msg']}") from None


async def customers_create(args: argparse.Namespace, settings: Settings) -> None:
    from starter.administration import SignupRejected
    from starter.signups import SignupService
    from starter.temporal import connect
    from starter.views import customer_view

    request = _request_file(CreateCustomerRequest, args.file)

    async def act(sessions: SessionFactory) -> None:
        caller = await _acting_administrator(sessions, args.api_key)
        service = SignupService(await connect(settings), sessions, settings)
        try:
            outcome = await service.create(caller, request, args.idempotency_key)
        except SignupRejected as rejected:
            raise UsageError(f"{rejected.kind}: {rejected.message}") from None
        async with sessions() as session:
            view = await customer_view(
                session, outcome.customer_id, caller.white_label_id, settings
            )
        data: dict[str, Any] = (
            view.model_dump(mode="json") if view else {"customer_id": str(outcome.customer_id)}
        )
        if outcome.failure:
            data["error"] = outcome.failure.model_dump()
        status = view.status.value if view else "provisioning"
        output(args, data, f"customer {outcome.customer_id}: {status}")
        if outcome.failure:
            print(f"{outcome.failure.type}: {outcome.failure.message}", file=sys.stderr)
            raise SystemExit(1)

    await _with_sessions(settings, act)


def _import_line(row: dict[str, Any]) -> str:
    """One row of an import report, for a person: what happened, or what to fix."""
    where = f"row {row['row']}" + (f" (line {row['line']})" if "line" in row else "")
    said = str(row["outcome"]).replace("_", " ")
    if "customer_id" in row:
        said += f" {row['customer_id']} ({row.get('status', 'provisioning')})"
    problems = [
        f"\n    {problem['path'] or 'row'}: {problem['message']} [{problem['type']}]"
        for problem in row.get("errors", [])
    ]
    return f"{where}: {said}" + "".join(problems)


async def customers_import(args: argparse.Namespace, settings: Settings) -> None:
    """Bulk onboarding from a CSV or JSON file: what `POST /v1/customers/bulk` does, acting as
    the administrator whose key is given. Exits 1 when any row is invalid or failed."""
    from starter.administration import SignupRejected
    from starter.bulk import BulkOnboarding, RowOutcome
    from starter.rows_file import RowsFileError, read_rows_file
    from starter.signups import SignupService
    from starter.temporal import connect

    try:
        found = read_rows_file(Path(args.file))
    except RowsFileError as error:
        raise UsageError(str(error)) from None
    dry_run = args.dry_run or found.dry_run

    async def act(sessions: SessionFactory) -> None:
        caller = await _acting_administrator(sessions, args.api_key)
        signups = SignupService(await connect(settings), sessions, settings)
        try:
            report = await BulkOnboarding(signups, sessions).run(
                caller, found.rows, dry_run=dry_run
            )
        except SignupRejected as rejected:
            raise UsageError(f"{rejected.kind}: {rejected.message}") from None
        data = report.model_dump(mode="json", exclude_none=True)
        if found.lines is not None:
            for row in data["rows"]:
                row["line"] = found.lines[row["row"] - 1]
        counts = data["summary"]
        totals = ", ".join(
            f"{counts[name]} {name.replace('_', ' ')}"
            for name in (outcome.value for outcome in RowOutcome)
            if counts[name]
        )
        human = [_import_line(row) for row in data["rows"]]
        human.append(
            f"{counts['rows']} rows: {totals}"
            + (" (dry run: nothing was started)" if dry_run else "")
        )
        output(args, data, "\n".join(human))
        if not report.all_good:
            raise SystemExit(1)

    await _with_sessions(settings, act)


async def customers_cancel_or_resend(args: argparse.Namespace, settings: Settings) -> None:
    """What the API's cancel and activation-email routes do, for an operator at a shell; the
    audit trail names the administrator whose key is given."""
    from starter.administration import SignupRejected
    from starter.signups import PendingSignups
    from starter.temporal import connect

    async def act(sessions: SessionFactory) -> None:
        caller = await _acting_administrator(sessions, args.api_key)
        pending = PendingSignups(await connect(settings), sessions, settings)
        try:
            if args.customers == "cancel":
                await pending.cancel(caller, args.id)
            else:
                await pending.resend_activation(caller, args.id)
        except SignupRejected as rejected:
            raise UsageError(f"{rejected.kind}: {rejected.message}") from None
        done = "cancellation requested" if args.customers == "cancel" else "new link sent"
        output(args, {"customer_id": args.id, "done": done}, f"customer {args.id}: {done}")

    await _with_sessions(settings, act)


async def customers_convert(args: argparse.Namespace, settings: Settings) -> None:
    """What `POST /v1/customers/{id}/convert-to-wl-managed` does, for an operator at a shell."""
    from domain.conversion import ConvertToWlManagedRequest
    from starter.administration import SignupRejected
    from starter.signups import PendingSignups
    from starter.temporal import connect

    request = (
        _request_file(ConvertToWlManagedRequest, args.file)
        if args.file
        else ConvertToWlManagedRequest()
    )

    async def act(sessions: SessionFactory) -> None:
        caller = await _acting_administrator(sessions, args.api_key)
        pending = PendingSignups(await connect(settings), sessions, settings)
        try:
            converted = await pending.convert_to_wl_managed(caller, args.id, request)
        except SignupRejected as rejected:
            raise UsageError(f"{rejected.kind}: {rejected.message}") from None
        numbers = ", ".join(converted.numbers) or "none"
        output(
            args,
            converted.model_dump(mode="json"),
            f"customer {args.id}: converted to wl_managed and active (numbers {numbers})",
        )

    await _with_sessions(settings, act)


async def customers_handover(args: argparse.Namespace, settings: Settings) -> None:
    """What `POST /v1/customers/{id}/handover` (and `.../handover/cancel`) do, at a shell."""
    from starter.administration import SignupRejected
    from starter.handover import Handovers
    from starter.temporal import connect

    async def act(sessions: SessionFactory) -> None:
        caller = await _acting_administrator(sessions, args.api_key)
        handovers = Handovers(await connect(settings), sessions, settings)
        try:
            if args.withdraw:
                view = await handovers.cancel(caller, args.id)
            else:
                view = await handovers.invite(caller, args.id)
        except SignupRejected as rejected:
            raise UsageError(f"{rejected.kind}: {rejected.message}") from None
        output(
            args,
            view.model_dump(mode="json"),
            f"customer {args.id}: invitation {view.state.value}"
            + (f" until {view.expires_at:%Y-%m-%d %H:%M UTC}" if not args.withdraw else ""),
        )

    await _with_sessions(settings, act)


async def customers_show(args: argparse.Namespace, settings: Settings) -> None:
    from sqlalchemy import select

    from starter.views import customer_views
    from store import audit
    from store.schema import Customer

    async def act(sessions: SessionFactory) -> None:
        async with sessions() as session:
            customer = await session.scalar(select(Customer).where(Customer.id == args.id))
            if customer is None:
                raise UsageError(f"no customer {args.id}")
            view = (await customer_views(session, [customer], settings))[0]
        # The view carries contact data: the WL's audit trail says an operator was shown it.
        async with sessions.begin() as session:
            audit.record_reads(
                session,
                white_label_id=customer.white_label_id,
                customer_ids=[customer.id],
                actor="operator:cli",
                route="customers show",
            )
        output(
            args,
            view.model_dump(mode="json"),
            f"customer {view.customer_id}: {view.status.value} ({view.path.value}, "
            f"plan {view.plan_code}, numbers {', '.join(view.numbers) or 'none'})",
        )

    await _with_sessions(settings, act)


async def customers_erase_abandoned(args: argparse.Namespace, settings: Settings) -> None:
    from starter.erasure_schedule import erase_abandoned_now
    from starter.temporal import connect

    result = await erase_abandoned_now(
        await connect(settings),
        task_queue=settings.temporal_task_queue,
        retention=settings.erasure_retention,
    )
    output(
        args,
        {"erased": result.erased, "cutoff": result.cutoff.isoformat()},
        f"contact data erased from {result.erased} abandoned signup(s) "
        f"closed before {result.cutoff:%Y-%m-%d %H:%M} UTC",
    )


async def temporal_setup(args: argparse.Namespace, settings: Settings) -> None:
    from starter.temporal import connect, register_search_attributes

    client = await connect(settings)
    added = await register_search_attributes(client, settings.temporal_namespace)
    output(
        args,
        {"namespace": settings.temporal_namespace, "added": added},
        f"search attributes on {settings.temporal_namespace}: "
        + (f"added {', '.join(added)}" if added else "all present"),
    )


async def api(args: argparse.Namespace, settings: Settings) -> None:
    from starter.server import serve_api

    await serve_api(settings, host=args.host, port=args.port)


async def dev(args: argparse.Namespace, settings: Settings) -> None:
    from starter.dev import run_dev_stack

    await run_dev_stack(json_output=args.json)


Command = Callable[[argparse.Namespace, Settings], Awaitable[None]]


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m starter", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    common = OneLineParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON")

    def command(group: Any, name: str, handler: Command, help_text: str) -> OneLineParser:
        sub: OneLineParser = group.add_parser(name, parents=[common], help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    db = commands.add_parser("db", help="the database").add_subparsers(dest="db", required=True)
    command(db, "upgrade", db_upgrade, "apply migrations")

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

    plans = commands.add_parser("plans", help="plans").add_subparsers(dest="plans", required=True)
    plan = command(plans, "add", plans_add, "add a plan to a white label")
    plan.add_argument("--wl", required=True, type=uuid.UUID)
    plan.add_argument("--code", required=True)
    plan.add_argument("--name", required=True)
    plan.add_argument("--setup-fee", required=True, type=amount)
    plan.add_argument("--monthly-fee", required=True, type=amount)
    plan.add_argument("--initial-funding", type=amount, default=Decimal("0.00"))

    numbers = commands.add_parser("numbers", help="number inventory").add_subparsers(
        dest="numbers_command", required=True
    )
    add_numbers = command(numbers, "add", numbers_add, "add numbers to a white label's pool")
    add_numbers.add_argument("--wl", required=True, type=uuid.UUID)
    add_numbers.add_argument("numbers", nargs="*", help="E.164 numbers")
    add_numbers.add_argument("--range", help="FIRST:LAST, both E.164")

    customers = commands.add_parser("customers", help="customers").add_subparsers(
        dest="customers", required=True
    )
    create_customer = command(customers, "create", customers_create, "create a customer")
    create_customer.add_argument("--file", required=True, help="request JSON, as the API takes")
    create_customer.add_argument("--api-key", required=True, help="the acting administrator's key")
    create_customer.add_argument("--idempotency-key")
    import_customers = command(
        customers, "import", customers_import, "create many customers from a CSV or JSON file"
    )
    import_customers.add_argument(
        "file", help="FILE.csv (a header of field paths) or FILE.json (a list of rows)"
    )
    import_customers.add_argument("--api-key", required=True, help="the acting administrator's key")
    import_customers.add_argument(
        "--dry-run", action="store_true", help="validate every row and start nothing"
    )
    for name, help_text in (
        ("cancel", "cancel a pending self-serve signup"),
        ("resend", "send a new activation link (the old one stops working)"),
    ):
        pending = command(customers, name, customers_cancel_or_resend, help_text)
        pending.add_argument("id", type=uuid.UUID)
        pending.add_argument("--api-key", required=True, help="the acting administrator's key")
    convert = command(
        customers,
        "convert",
        customers_convert,
        "take a pending self-serve signup over: WL-billed, you its Account Administrator",
    )
    convert.add_argument("id", type=uuid.UUID)
    convert.add_argument("--api-key", required=True, help="the acting administrator's key")
    convert.add_argument("--file", help='JSON like {"numbers": {"count": 1}, "pbx_settings": ...}')
    handover = command(
        customers,
        "hand-over",
        customers_handover,
        "invite the customer to administer a WL-managed account (again: a new link)",
    )
    handover.add_argument("id", type=uuid.UUID)
    handover.add_argument("--api-key", required=True, help="the acting administrator's key")
    handover.add_argument("--withdraw", action="store_true", help="withdraw the invitation instead")
    show = command(customers, "show", customers_show, "show a customer")
    show.add_argument("id", type=uuid.UUID)
    command(
        customers,
        "erase-abandoned",
        customers_erase_abandoned,
        "erase the contact data of signups expired or cancelled before ERASURE_RETENTION, now",
    )

    temporal = commands.add_parser("temporal", help="Temporal").add_subparsers(
        dest="temporal", required=True
    )
    command(temporal, "setup", temporal_setup, "register the custom search attributes")

    serve = command(commands, "api", api, "serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    command(commands, "dev", dev, "run the whole local stack (what `make run` starts)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        asyncio.run(args.handler(args, settings))
    except (UsageError, admin.AdminError) as error:
        print(f"python -m starter: {error}", file=sys.stderr)
        return 2
    except DatabaseNotMigrated as error:
        print(f"python -m starter: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
