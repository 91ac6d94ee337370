"""`python -m starter ...` (or `wl-provisioning ...`): the management CLI. Every command takes
--json.

Bad arguments exit 2 with one line naming the problem, and write nothing.
"""

import asyncio
import sys
from typing import Any

from domain.errors import Refused
from domain.settings import ConfigurationError, load_settings
from runtime.process_exit import exit_after
from starter import admin
from starter.cli import api, customers, db, dev, numbers, plans, temporal, wl
from starter.cli.common import Command, OneLineParser, UsageError
from store.migrate import DatabaseNotMigrated

NOUNS = (db, wl, plans, numbers, customers, temporal, api, dev)


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m starter", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    common = OneLineParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print JSON")

    def command(group: Any, name: str, handler: Command, help_text: str) -> OneLineParser:
        sub: OneLineParser = group.add_parser(name, parents=[common], help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    for noun in NOUNS:
        noun.register(commands, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        asyncio.run(args.handler(args, settings))
    except (UsageError, admin.AdminError, Refused) as error:
        # A refusal reads as the API's: its code, then its message.
        print(f"python -m starter: {error}", file=sys.stderr)
        return 2
    except (DatabaseNotMigrated, ConfigurationError) as error:
        print(f"python -m starter: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def run() -> None:
    """The console script: the CLI, leaving the process as `python -m starter` does."""
    exit_after(main)
