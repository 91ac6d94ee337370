"""What Temporal knows about a signup's steps: how often each ran, and which one is retrying."""

import asyncio
import json
import time
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.exceptions import FailureError

LOCAL_ACTIVITY_MARKER = "core_local_activity"


async def failure_message(client: Client, failure: Failure) -> str:
    """A failure's message as the Web UI shows it through the codec server: sealed, a failure
    reads "Encoded failure" and carries its message in its encoded attributes."""
    error = await client.data_converter.decode_failure(failure)
    return error.message if isinstance(error, FailureError) else str(error)


async def attempts_of(client: Client, workflow_id: str, step: str) -> int:
    """How many times the step was started: 2 means a first attempt was retried."""
    scheduled: set[int] = set()
    started = 0
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        scheduling = event.activity_task_scheduled_event_attributes
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and (
            scheduling.activity_type.name == step
        ):
            scheduled.add(event.event_id)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attributes = event.activity_task_started_event_attributes
            if attributes.scheduled_event_id in scheduled:
                started = max(started, attributes.attempt)
    return started


async def retrying_step(
    client: Client, workflow_id: str, *, attempts: int = 3, step: str | None = None
) -> tuple[str, str]:
    """Waits until a step (any, or the one named) is at its `attempts`th attempt.

    Returns the step's name and the message of its last failure, as the Web UI shows them.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        description = await client.get_workflow_handle(workflow_id).describe()
        for pending in description.raw_description.pending_activities:
            if pending.attempt >= attempts and step in (None, pending.activity_type.name):
                return pending.activity_type.name, await failure_message(
                    client, pending.last_failure
                )
        await asyncio.sleep(0.2)
    raise AssertionError(f"{step or 'no step'} reached attempt {attempts} within 60 s")


async def _local_step_markers(client: Client, workflow_id: str) -> list[tuple[dict[str, Any], str]]:
    """Each local step's marker: its data (type, attempt) and its failure message, if it failed."""
    markers = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        marker = event.marker_recorded_event_attributes
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED or (
            marker.marker_name != LOCAL_ACTIVITY_MARKER
        ):
            continue
        data = json.loads(marker.details["data"].payloads[0].data)
        failed = marker.HasField("failure")
        markers.append((data, await failure_message(client, marker.failure) if failed else ""))
    return markers


async def local_step_completions(client: Client, workflow_id: str, step: str) -> int:
    """How many times history records the local step as done: 1 when a rerun wrote nothing new."""
    markers = await _local_step_markers(client, workflow_id)
    return sum(1 for data, failure in markers if data["activity_type"] == step and not failure)


async def retrying_local_step(client: Client, workflow_id: str) -> tuple[str, str, int]:
    """Waits until history shows a local step failing and waiting to retry, as the UI shows it.

    Returns the step's name, the message of its last failure and its attempt.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for data, failure in await _local_step_markers(client, workflow_id):
            if failure:
                return data["activity_type"], failure, data["attempt"]
        await asyncio.sleep(0.2)
    raise AssertionError("no local step failed within 60 s")
