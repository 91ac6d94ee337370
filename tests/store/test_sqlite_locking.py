"""On SQLite, a request that only reads does not queue behind a write in progress.

Writers begin IMMEDIATE (they hold the write lock from their first read); readers begin
deferred and, with WAL, read the last committed state beside the writer.
"""

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.engine import SessionFactory, create_engine, create_session_factory, read_only
from store.migrate import upgrade
from store.schema import WhiteLabel

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _count_white_labels(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WhiteLabel)) or 0)


async def _reader_done_while_a_write_is_open(
    reader: SessionFactory, writer: SessionFactory
) -> bool:
    async with writer.begin() as writing:
        writing.add(
            WhiteLabel(id=uuid.uuid4(), name="Mid-write", currency="NZD", credit_limit=Decimal("1"))
        )
        await writing.flush()  # the write lock is held from here until the commit
        reading = asyncio.create_task(_count_white_labels(reader))
        await asyncio.sleep(1)
        done = reading.done()
    await reading
    return done


async def test_a_read_only_session_reads_beside_an_open_write(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    try:
        await upgrade(engine)
        sessions = create_session_factory(engine)

        assert await _reader_done_while_a_write_is_open(read_only(sessions), sessions)
        # A session that may write waits for the lock, as it must.
        assert not await _reader_done_while_a_write_is_open(sessions, sessions)
    finally:
        await engine.dispose()
