"""Probes an orchestrator or an operator uses."""

import httpx
import pytest

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
