"""Starting one delivery workflow per (event, endpoint): what the outbox dispatcher does for
new events and the API's replay does on request, so both start them the same way."""

import contextlib

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.webhooks import DELIVERY_WORKFLOW, WebhookDeliveryInput
from store.schema import WebhookDelivery


def delivery_workflow_id(delivery: WebhookDelivery) -> str:
    """One run per (event, endpoint); a replay is a new run with its own suffix."""
    base = f"webhook-{delivery.event_id}-{delivery.endpoint_id}"
    return base if delivery.replay == 0 else f"{base}-replay-{delivery.replay}"


async def start_delivery_workflows(
    client: Client, deliveries: list[WebhookDelivery], task_queue: str, retry_seconds: float
) -> None:
    """Starts each delivery's workflow once: a second start (after a crash) finds the first."""
    for delivery in deliveries:
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                DELIVERY_WORKFLOW,
                WebhookDeliveryInput(delivery_id=delivery.id, retry_initial_seconds=retry_seconds),
                id=delivery_workflow_id(delivery),
                task_queue=task_queue,
                # A finished delivery is not started again by a dispatcher that crashed before
                # marking its event dispatched.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
