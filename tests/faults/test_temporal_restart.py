"""The Temporal server SIGKILLed and started again on the same database file.

25 self-serve signups are parked when the server dies: 20 waiting for their activation, 5
activated and waiting for a card payment. After the restart every one of them carries on to
`active`: the worker and the API reconnect on their own, and the signups' state, timers and
deadlines were in the server's database, not in any process.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from temporalio.client import Client

from devstack.mailsink import MailSink
from devstack.supervisor import temporal_dev_server
from domain.enums import CustomerStatus
from domain.settings import Settings
from domain.signup import SignupResult, workflow_id_for
from store.engine import SessionFactory
from tests.conftest import SEALED, free_port, make_white_label
from tests.support.holdings import holdings_of
from tests.support.private_stack import private_stack
from tests.support.self_serve_helpers import ActivationLink, link_in, mails_to, pay, start_signup

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]
T = TypeVar("T")
WAITING_FOR_ACTIVATION = 20
WAITING_FOR_PAYMENT = 5


class RestartableTemporal:
    """`temporal server start-dev --db-filename`, which a test can kill and start again."""

    def __init__(self, folder: Path) -> None:
        self.database = folder / "temporal.db"
        self.port = free_port()
        self.ui_port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> Client:
        command = temporal_dev_server(self.database, self.port, self.ui_port, "default")
        self.process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        for _ in range(240):
            assert self.process.returncode is None, "the Temporal dev server exited"
            try:
                client = await Client.connect(self.address, data_converter=SEALED)
                await client.service_client.check_health()
                return client
            except RuntimeError:
                await asyncio.sleep(0.25)
        raise AssertionError("the Temporal dev server did not come up within 60 s")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()


async def at_most(limit: int, calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """Runs the calls with at most `limit` in flight, as a handful of busy customers would."""
    gate = asyncio.Semaphore(limit)

    async def gated(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()

    return await asyncio.gather(*(gated(call) for call in calls))


async def test_parked_signups_carry_on_to_active_after_the_temporal_server_restarts(
    settings: Settings,
    sessions: SessionFactory,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    white_label = await make_white_label(sessions)
    server = RestartableTemporal(tmp_path)
    client = await server.start()
    try:
        async with private_stack(client, settings, sessions, tmp_path) as stack:
            api = stack.api
            total = WAITING_FOR_ACTIVATION + WAITING_FOR_PAYMENT
            signups = await at_most(5, [lambda: start_signup(api, white_label)] * total)

            async def link_of(email: str) -> ActivationLink:
                [message] = await mails_to(mail_sink, email, 1, timeout=60)
                return link_in(message)

            links = [await link_of(signup.email) for signup in signups]

            async def activate(link: ActivationLink) -> int:
                response = await api.post(link.path, data={"token": link.token})
                return response.status_code

            early, late = links[:WAITING_FOR_PAYMENT], links[WAITING_FOR_PAYMENT:]
            assert (
                await at_most(5, [lambda link=link: activate(link) for link in early])
                == [200] * WAITING_FOR_PAYMENT
            )

            await server.kill()
            await server.start()

            activated = await at_most(5, [lambda link=link: activate(link) for link in late])
            assert activated == [200] * WAITING_FOR_ACTIVATION
            paid = await at_most(
                5, [lambda link=link: pay(api, stack.localstripe, link) for link in links]
            )
            assert paid == [{"status": "succeeded"}] * total

            async def result_of(customer_id: str) -> SignupResult:
                handle = client.get_workflow_handle(
                    workflow_id_for(customer_id), result_type=SignupResult
                )
                return await asyncio.wait_for(handle.result(), timeout=120)

            results = await at_most(
                10, [lambda s=signup: result_of(s.customer_id) for signup in signups]
            )
    finally:
        await server.kill()

    assert [result.status for result in results] == [CustomerStatus.ACTIVE] * total
    for signup in signups:
        held = await holdings_of(sessions, uuid.UUID(signup.customer_id))
        assert len(held.payments) == 1
        assert held.administrators == 1
