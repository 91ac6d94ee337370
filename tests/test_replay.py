"""Workflow histories replay on the current code, so a non-deterministic change fails here.

`RECORD_HISTORIES=1 make pytest` saves fresh histories to tests/histories/; commit them when
a workflow change is meant to be incompatible (and version the workflow instead, if runs of
the old shape may still be open in production).
"""

import os
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.conftest import WhiteLabelFixture, customer_request
from worker import WORKFLOWS, workflow_runner

pytestmark = pytest.mark.asyncio(loop_scope="session")
HISTORIES = Path(__file__).parent / "histories"


def replayer() -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(),
    )


async def test_saved_histories_replay_on_the_current_workflow_code() -> None:
    files = sorted(HISTORIES.glob("*.json"))
    assert {file.stem for file in files} >= {"wl_managed_active", "wl_managed_compensated"}

    for file in files:
        history = WorkflowHistory.from_json(file.stem, file.read_text())
        result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"{file.name}: {result.replay_failure}"


@pytest.mark.parametrize(
    ("name", "overrides", "status_code"),
    [
        (
            "wl_managed_active",
            {"numbers": {"count": 2}, "pbx_settings": {"timezone": "Pacific/Auckland"}},
            201,
        ),
        ("wl_managed_compensated", {"numbers": {"count": 99}}, 422),
    ],
)
async def test_fresh_histories_replay(
    api: httpx.AsyncClient,
    client: Client,
    white_label: WhiteLabelFixture,
    name: str,
    overrides: dict[str, object],
    status_code: int,
) -> None:
    response = await api.post(
        "/v1/customers", json=customer_request(**overrides), headers=white_label.headers
    )
    assert response.status_code == status_code, response.text
    listed = await api.get("/v1/customers", headers=white_label.headers)
    [customer] = listed.json()["customers"]
    history = await client.get_workflow_handle(customer["workflow"]["id"]).fetch_history()

    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None
    if os.environ.get("RECORD_HISTORIES") == "1":
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
