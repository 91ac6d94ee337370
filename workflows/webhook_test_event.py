"""A test event to one endpoint, on the white label's request: one attempt, its outcome back.

The request waits for the answer, so nothing is retried: the person who pressed the button
sees what their endpoint said and presses again if they want. The POST runs on the delivery
queue's worker, like every delivery, so the API itself never calls a white label's endpoint.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from domain.webhooks import TEST_WORKFLOW, WebhookTestInput, WebhookTestResult


@workflow.defn(name=TEST_WORKFLOW)
class WebhookTestWorkflow:
    @workflow.run
    async def run(self, data: WebhookTestInput) -> WebhookTestResult:
        workflow.set_current_details("**Sending** a test event")
        result: WebhookTestResult = await workflow.execute_activity_method(
            WebhookActivities.send_test_webhook,
            data,
            summary="POST a test event",
            # The HTTP call gives up after 10 s; the rest is reading the endpoint.
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        outcome = "delivered" if result.delivered else (result.error or "not delivered")
        workflow.set_current_details(f"**Done:** {outcome}")
        return result
