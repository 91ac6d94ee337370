"""One outbox event to one endpoint: retried with backoff for up to three days."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.policies import DATABASE_STEP, HEARTBEAT

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from domain.webhooks import DELIVERY_WORKFLOW, DeliverWebhookInput, WebhookDeliveryInput

# A receiver that is down for up to three days loses nothing.
DELIVERY_WINDOW = timedelta(days=3)
MAXIMUM_BACKOFF = timedelta(hours=1)


@workflow.defn(name=DELIVERY_WORKFLOW)
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, data: WebhookDeliveryInput) -> str:
        workflow.set_current_details("**Delivering** a webhook")
        step = DeliverWebhookInput(delivery_id=data.delivery_id)
        try:
            outcome: str = await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook,
                step,
                summary="POST the event",
                # The HTTP call gives up after 10 s; the rest is the database around it.
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=DELIVERY_WINDOW,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=data.retry_initial_seconds),
                    backoff_coefficient=2.0,
                    maximum_interval=MAXIMUM_BACKOFF,
                ),
            )
        except ActivityError:
            await workflow.execute_activity_method(
                WebhookActivities.mark_delivery_failed,
                step,
                summary="give up after three days",
                **DATABASE_STEP,
            )
            outcome = "failed"
        workflow.set_current_details(f"**Done:** {outcome}")
        return outcome
