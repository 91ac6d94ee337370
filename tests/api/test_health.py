"""Probes an orchestrator or an operator uses."""

import uuid
from decimal import Decimal

import httpx
import pytest

from store.engine import SessionFactory
from store.schema import WhiteLabel

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_healthz_answers_while_the_process_is_up(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_temporal(api: httpx.AsyncClient) -> None:
    response = await api.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "temporal": "ok"}


async def test_openapi_document_describes_customer_creation(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert "post" in document["paths"]["/v1/customers"]


async def test_readyz_answers_while_a_write_holds_the_database(
    api: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    # On SQLite a session that may write waits for the write lock (up to its busy timeout):
    # the probe only reads, so it must not, or a long write would mark the API unready.
    async with sessions.begin() as writing:
        writing.add(
            WhiteLabel(id=uuid.uuid4(), name="Mid-write", currency="NZD", credit_limit=Decimal(1))
        )
        await writing.flush()  # the write lock is held from here until the end of the block
        response = await api.get("/readyz", timeout=3)
        await writing.rollback()
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
