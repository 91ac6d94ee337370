"""The daily erasure of abandoned signups: its Temporal Schedule, and a run on demand.

The worker creates the schedule when it starts, or updates it when it exists, so a changed
`ERASURE_RETENTION` takes effect with the next worker start. One schedule per task queue:
its id names the queue, so deployments sharing a namespace do not overwrite each other's.
It names the workflow by its registered name: process plumbing does not import workflow code.
"""

import uuid
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.erasure import ERASURE_WORKFLOW, ErasureInput, ErasureResult, erasure_workflow_id

EVERY = timedelta(days=1)
# 03:00 UTC: a quiet hour for most of the world's business days.
AT = timedelta(hours=3)
SUMMARY = "Erase the contact data of abandoned self-serve signups"


def erasure_schedule_id(task_queue: str) -> str:
    return erasure_workflow_id(task_queue)


def erasure_schedule(task_queue: str, retention: timedelta) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ERASURE_WORKFLOW,
            ErasureInput(retention=retention),
            id=erasure_workflow_id(task_queue),
            task_queue=task_queue,
            static_summary=SUMMARY,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=EVERY, offset=AT)]),
        # A run still busy with a large backlog is not joined by a second one; a run missed
        # while Temporal was down is made up within a day, then waits for the next.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=EVERY),
    )


async def ensure_erasure_schedule(
    client: Client, *, task_queue: str, retention: timedelta
) -> ScheduleHandle:
    """Creates the schedule, or brings an existing one to this retention and timing.

    An existing schedule keeps its state, so one an operator paused stays paused.
    """
    schedule_id = erasure_schedule_id(task_queue)
    wanted = erasure_schedule(task_queue, retention)
    try:
        return await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:
        pass

    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        wanted.state = current.description.schedule.state
        return ScheduleUpdate(schedule=wanted)

    handle = client.get_schedule_handle(schedule_id)
    await handle.update(keep_state)
    return handle


async def erase_abandoned_now(
    client: Client, *, task_queue: str, retention: timedelta
) -> ErasureResult:
    """Runs the erasure once, now, on the worker of this task queue, and waits for it.

    Beside a scheduled run that is still going this is safe: each customer is erased by
    whichever run gets to it first, and counted by that one only.
    """
    result: ErasureResult = await client.execute_workflow(
        ERASURE_WORKFLOW,
        ErasureInput(retention=retention),
        result_type=ErasureResult,
        id=f"{erasure_workflow_id(task_queue)}-now-{uuid.uuid4()}",
        task_queue=task_queue,
        static_summary=SUMMARY + " (on demand)",
    )
    return result
