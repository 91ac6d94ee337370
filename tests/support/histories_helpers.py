"""Replaying workflow histories on the current code, and saving them for later runs."""

import os
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.conftest import SEALED
from worker import WORKFLOWS, workflow_runner

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def replayer() -> Replayer:
    return Replayer(
        workflows=list(WORKFLOWS),
        # Sealed histories open with the tests' key; older, unsealed ones pass through.
        data_converter=SEALED,
        workflow_runner=workflow_runner(),
    )


async def assert_replays(history: WorkflowHistory, name: str) -> None:
    """Replays the history; with RECORD_HISTORIES=1 also saves it as tests/histories/NAME.json."""
    result = await replayer().replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{name}: {result.replay_failure}"
    if os.environ.get("RECORD_HISTORIES") == "1":
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
