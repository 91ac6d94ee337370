"""What Temporal knows about a signup's steps: how often each ran, and which one is retrying."""

import asyncio
import time

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


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
                return pending.activity_type.name, pending.last_failure.message
        await asyncio.sleep(0.2)
    raise AssertionError(f"{step or 'no step'} reached attempt {attempts} within 60 s")
