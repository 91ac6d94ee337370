"""An API as production runs it for webhooks (private targets refused), with a resolver the
test controls: no DNS server is asked anything, and refused addresses are never dialled."""

import contextlib
import ipaddress
from collections.abc import AsyncIterator

import httpx
from temporalio.client import Client

from domain.addresses import IPAddress
from domain.settings import Settings
from starter.api.app import create_app
from store.engine import SessionFactory
from tests.conftest import in_process

PUBLIC = ipaddress.ip_address("93.184.215.14")
ANSWERS: dict[str, list[IPAddress]] = {
    "hooks.example.com": [PUBLIC],
    "example.com": [PUBLIC],
    "internal.example.com": [ipaddress.ip_address("10.0.0.5")],
    "mixed.example.com": [PUBLIC, ipaddress.ip_address("169.254.169.254")],
    "localhost.": [ipaddress.ip_address("127.0.0.1")],
}


async def chosen_answers(host: str, _port: int) -> list[IPAddress]:
    """A resolver under the test's control: no DNS server is asked anything."""
    return ANSWERS.get(host.lower(), [])


@contextlib.asynccontextmanager
async def production_api(
    settings: Settings, sessions: SessionFactory, client: Client, **changes: object
) -> AsyncIterator[httpx.AsyncClient]:
    """The API as production runs it: WEBHOOK_ALLOW_PRIVATE_TARGETS off."""
    own = settings.model_copy(update={"webhook_allow_private_targets": False, **changes})
    app = create_app(own, sessions, client, resolver=chosen_answers)
    async with in_process(app) as http:
        yield http
