"""A payment that arrived after its signup closed: refund it and tell the WL administrator."""

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows.policies import EMAIL_STEP, STRIPE_STEP

with workflow.unsafe.imports_passed_through():
    from activities.email import EmailActivities
    from activities.payments import PaymentActivities
    from domain.self_serve import RefundLatePaymentInput, WlNotice, WlNoticeInput


def late_payment_workflow_id(payment_intent_id: str) -> str:
    return f"late-payment-{payment_intent_id}"


@workflow.defn
class LatePaymentRefundWorkflow:
    @workflow.run
    async def run(self, data: RefundLatePaymentInput) -> None:
        workflow.set_current_details("**Refunding** a payment that arrived after the signup closed")
        await workflow.execute_activity_method(
            PaymentActivities.refund_payment, data, summary="refund", **STRIPE_STEP
        )
        try:
            await workflow.execute_activity_method(
                EmailActivities.send_wl_notice,
                WlNoticeInput(
                    customer_id=data.customer_id,
                    kind=WlNotice.LATE_PAYMENT_REFUNDED,
                    reference=data.payment.payment_intent_id,
                ),
                summary="notify the WL administrator",
                **EMAIL_STEP,
            )
        except ActivityError:
            workflow.logger.warning("late payment notice could not be sent")
        workflow.set_current_details("**Done:** refunded")
