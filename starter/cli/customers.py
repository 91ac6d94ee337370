"""`customers`: what the API does with customers, for an operator at a shell, acting as the
administrator whose key is given in WL_API_KEY or `--api-key` (the audit trail names them)."""

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from starter.cli.common import (
    AddCommand,
    UsageError,
    acting_administrator,
    add_api_key,
    output,
    request_file,
    with_sessions,
)
from store.engine import SessionFactory


async def customers_create(args: argparse.Namespace, settings: Settings) -> None:
    from runtime.temporal import connect
    from starter.signups import SignupService
    from starter.views import customer_view

    request = request_file(CreateCustomerRequest, args.file)

    async def act(sessions: SessionFactory) -> None:
        caller = await acting_administrator(sessions, args.api_key)
        service = SignupService(await connect(settings), sessions, settings)
        outcome = await service.create(caller, request, args.idempotency_key)
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

    await with_sessions(settings, act)


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
    from runtime.temporal import connect
    from starter.bulk import BulkOnboarding, RowOutcome
    from starter.rows_file import RowsFileError, read_rows_file
    from starter.signups import SignupService

    try:
        found = read_rows_file(Path(args.file))
    except RowsFileError as error:
        raise UsageError(str(error)) from None
    dry_run = args.dry_run or found.dry_run

    async def act(sessions: SessionFactory) -> None:
        caller = await acting_administrator(sessions, args.api_key)
        signups = SignupService(await connect(settings), sessions, settings)
        report = await BulkOnboarding(signups, sessions).run(caller, found.rows, dry_run=dry_run)
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

    await with_sessions(settings, act)


async def customers_cancel_or_resend(args: argparse.Namespace, settings: Settings) -> None:
    """What the API's cancel and activation-email routes do, for an operator at a shell; the
    audit trail names the administrator whose key is given."""
    from runtime.temporal import connect
    from starter.signups import PendingSignups

    async def act(sessions: SessionFactory) -> None:
        caller = await acting_administrator(sessions, args.api_key)
        pending = PendingSignups(await connect(settings), sessions, settings)
        if args.customers == "cancel":
            await pending.cancel(caller, args.id)
        else:
            await pending.resend_activation(caller, args.id)
        done = "cancellation requested" if args.customers == "cancel" else "new link sent"
        output(args, {"customer_id": args.id, "done": done}, f"customer {args.id}: {done}")

    await with_sessions(settings, act)


async def customers_convert(args: argparse.Namespace, settings: Settings) -> None:
    """What `POST /v1/customers/{id}/convert-to-wl-managed` does, for an operator at a shell."""
    from domain.conversion import ConvertToWlManagedRequest
    from runtime.temporal import connect
    from starter.signups import PendingSignups

    request = (
        request_file(ConvertToWlManagedRequest, args.file)
        if args.file
        else ConvertToWlManagedRequest()
    )

    async def act(sessions: SessionFactory) -> None:
        caller = await acting_administrator(sessions, args.api_key)
        pending = PendingSignups(await connect(settings), sessions, settings)
        converted = await pending.convert_to_wl_managed(caller, args.id, request)
        numbers = ", ".join(converted.numbers) or "none"
        output(
            args,
            converted.model_dump(mode="json"),
            f"customer {args.id}: converted to wl_managed and active (numbers {numbers})",
        )

    await with_sessions(settings, act)


async def customers_handover(args: argparse.Namespace, settings: Settings) -> None:
    """What `POST /v1/customers/{id}/handover` (and `.../handover/cancel`) do, at a shell."""
    from runtime.temporal import connect
    from starter.handover import Handovers

    async def act(sessions: SessionFactory) -> None:
        caller = await acting_administrator(sessions, args.api_key)
        handovers = Handovers(await connect(settings), sessions, settings)
        if args.withdraw:
            view = await handovers.cancel(caller, args.id)
        else:
            view = await handovers.invite(caller, args.id)
        output(
            args,
            view.model_dump(mode="json"),
            f"customer {args.id}: invitation {view.state.value}"
            + (f" until {view.expires_at:%Y-%m-%d %H:%M UTC}" if not args.withdraw else ""),
        )

    await with_sessions(settings, act)


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

    await with_sessions(settings, act)


async def customers_erase_abandoned(args: argparse.Namespace, settings: Settings) -> None:
    from runtime.erasure_schedule import erase_abandoned_now
    from runtime.temporal import connect

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


def register(commands: Any, command: AddCommand) -> None:
    customers = commands.add_parser("customers", help="customers").add_subparsers(
        dest="customers", required=True
    )
    create_customer = command(customers, "create", customers_create, "create a customer")
    create_customer.add_argument("--file", required=True, help="request JSON, as the API takes")
    add_api_key(create_customer)
    create_customer.add_argument("--idempotency-key")
    import_customers = command(
        customers, "import", customers_import, "create many customers from a CSV or JSON file"
    )
    import_customers.add_argument(
        "file", help="FILE.csv (a header of field paths) or FILE.json (a list of rows)"
    )
    add_api_key(import_customers)
    import_customers.add_argument(
        "--dry-run", action="store_true", help="validate every row and start nothing"
    )
    for name, help_text in (
        ("cancel", "cancel a pending self-serve signup"),
        ("resend", "send a new activation link (the old one stops working)"),
    ):
        pending = command(customers, name, customers_cancel_or_resend, help_text)
        pending.add_argument("id", type=uuid.UUID)
        add_api_key(pending)
    convert = command(
        customers,
        "convert",
        customers_convert,
        "take a pending self-serve signup over: WL-billed, you its Account Administrator",
    )
    convert.add_argument("id", type=uuid.UUID)
    add_api_key(convert)
    convert.add_argument("--file", help='JSON like {"numbers": {"count": 1}, "pbx_settings": ...}')
    handover = command(
        customers,
        "hand-over",
        customers_handover,
        "invite the customer to administer a WL-managed account (again: a new link)",
    )
    handover.add_argument("id", type=uuid.UUID)
    add_api_key(handover)
    handover.add_argument("--withdraw", action="store_true", help="withdraw the invitation instead")
    show = command(customers, "show", customers_show, "show a customer")
    show.add_argument("id", type=uuid.UUID)
    command(
        customers,
        "erase-abandoned",
        customers_erase_abandoned,
        "erase the contact data of signups expired or cancelled before ERASURE_RETENTION, now",
    )
