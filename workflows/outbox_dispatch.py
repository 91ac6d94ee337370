"""The one long-running loop that hands committed outbox events to delivery workflows.

Why a workflow rather than a thread in the worker: it survives worker restarts and shows in the
Temporal UI; only one runs per task queue (fixed id), however many workers there are. Each loop
runs the `dispatch_outbox` activity, then sleeps a couple of seconds when there was nothing
more to do; after `ITERATIONS` loops it continues as new, so its history stays small. Each
worker starts it at start-up (`runtime.outbox_dispatcher`).
"""

from datetime import timedelta

from temporalio import workflow

from workflows.policies import DATABASE_STEP

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from domain.webhooks import OUTBOX_DISPATCH_WORKFLOW, DispatchOutboxInput, OutboxDispatchInput

ITERATIONS = 200
BATCH = 100


@workflow.defn(name=OUTBOX_DISPATCH_WORKFLOW)
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
