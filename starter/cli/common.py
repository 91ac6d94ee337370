"""What every command of the CLI shares: one-line errors, argument types, output, sessions."""

import argparse
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from domain.settings import Settings
from domain.validation import field_path
from starter.auth import Caller, caller_for_key
from store.engine import SessionFactory, create_engine, create_session_factory


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


async def with_sessions(
    settings: Settings, action: Callable[[SessionFactory], Awaitable[None]]
) -> None:
    from store.migrate import ensure_migrated

    engine = create_engine(settings.database_url)
    try:
        await ensure_migrated(engine)
        await action(create_session_factory(engine))
    finally:
        await engine.dispose()


API_KEY_VARIABLE = "WL_API_KEY"


def add_api_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key",
        help=f"the acting administrator's key; better in {API_KEY_VARIABLE}, since a command "
        "line shows in `ps` and in shell history (without either, it is asked for)",
    )


def given_api_key(option: str | None) -> tuple[str, str]:
    """The acting administrator's key, and where it came from: `--api-key`, else WL_API_KEY,
    else asked at a terminal."""
    if option:
        return option, "--api-key"
    if key := os.environ.get(API_KEY_VARIABLE):
        return key, API_KEY_VARIABLE
    if sys.stdin.isatty() and (key := getpass.getpass("API key of the acting administrator: ")):
        return key, "the API key"
    raise UsageError(f"give the acting administrator's key in {API_KEY_VARIABLE}")


async def acting_administrator(sessions: SessionFactory, api_key: str | None) -> Caller:
    """The user whose key a command acts as, as the API would see them."""
    key, source = given_api_key(api_key)
    async with sessions() as session:
        caller = await caller_for_key(session, key)
    if caller is None:
        raise UsageError(f"{source}: not a valid API key")
    return caller


RequestBody = TypeVar("RequestBody", bound=BaseModel)


def request_file(model: type[RequestBody], file: str) -> RequestBody:
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


Command = Callable[[argparse.Namespace, Settings], Awaitable[None]]


class AddCommand(Protocol):
    """Adds one command (with `--json`) to a noun's group and returns its parser."""

    def __call__(
        self, group: Any, name: str, handler: Command, help_text: str
    ) -> OneLineParser: ...
