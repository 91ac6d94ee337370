"""`make run` prints each new signup's Temporal UI link, so a developer who just called the API
can open the workflow at once."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from domain.settings import Settings
from domain.signup import workflow_id_for
from store.availability import UNREACHABLE
from store.engine import create_engine, create_session_factory
from store.schema import Customer

POLL_SECONDS = 1.0


async def announce_new_signups(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Runs until cancelled; each signup created after it started is announced once."""
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    since = datetime.now(UTC)
    announced: set[object] = set()
    try:
        while True:
            try:
                async with sessions() as session:
                    rows = (
                        await session.execute(
                            select(Customer.id, Customer.path)
                            .where(Customer.created_at >= since)
                            .order_by(Customer.created_at)
                        )
                    ).all()
            except UNREACHABLE:
                rows = []  # a busy SQLite file; the next poll sees the signup
            for customer_id, path in rows:
                if customer_id not in announced:
                    announced.add(customer_id)
                    link = settings.temporal_ui_link(workflow_id_for(customer_id))
                    say(f"new {path} signup {customer_id}: {link}")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await engine.dispose()
