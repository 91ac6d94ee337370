"""The one long-running loop that hands committed outbox events to delivery workflows.

Why a workflow rather than a thread in the worker: it survives worker restarts and shows in the
Temporal UI; only one runs per task queue (fixed id), however many workers there are. Each loop
runs the `dispatch_outbox` activity, then sleeps a couple of seconds when there was nothing
more to do; after `ITERATIONS` loops it continues as new, so its history stays small.
"""

from datetime import timedelta

from temporalio import workflow

from workflows.policies import DATABASE_STEP

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client
    from temporalio.common import WorkflowIDConflictPolicy

    from activities.webhooks import WebhookActivities
    from domain.webhooks import DispatchOutboxInput, OutboxDispatchInput

ITERATIONS = 200
BATCH = 100


def outbox_dispatch_workflow_id(task_queue: str) -> str:
    return f"webhook-outbox-dispatch-{task_queue}"


@workflow.defn
class OutboxDispatchWorkflow:
    @workflow.run
    async def run(self, data: OutboxDispatchInput) -> None:
        workflow.set_current_details("**Dispatching** webhook events from the outbox")
        for _ in range(ITERATIONS):
            result = await workflow.execute_activity_method(
                WebhookActivities.dispatch_outbox,
                DispatchOutboxInput(retry_initial_seconds=data.retry_initial_seconds, limit=BATCH),
                summary="dispatch outbox",
                **{**DATABASE_STEP, "start_to_close_timeout": timedelta(minutes=2)},
            )
            if result.events < BATCH:
                await workflow.sleep(timedelta(seconds=data.poll_seconds))
        workflow.continue_as_new(data)


async def ensure_outbox_dispatcher(
    client: Client, task_queue: str, data: OutboxDispatchInput
) -> None:
    """Starts the dispatcher unless it already runs (each worker calls this at start-up)."""
    await client.start_workflow(
        OutboxDispatchWorkflow.run,
        data,
        id=outbox_dispatch_workflow_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
