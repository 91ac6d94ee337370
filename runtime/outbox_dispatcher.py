"""The one outbox dispatcher per task queue, which every worker makes sure is running."""

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from domain.webhooks import (
    OUTBOX_DISPATCH_WORKFLOW,
    OutboxDispatchInput,
    outbox_dispatch_workflow_id,
)


async def ensure_outbox_dispatcher(
    client: Client, task_queue: str, data: OutboxDispatchInput
) -> None:
    """Starts the dispatcher unless it already runs (each worker calls this at start-up)."""
    await client.start_workflow(
        OUTBOX_DISPATCH_WORKFLOW,
        data,
        id=outbox_dispatch_workflow_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
