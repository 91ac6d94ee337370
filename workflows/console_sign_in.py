"""Emails a console sign-in link: one step, so the API never talks SMTP itself.

The link works for minutes, so the email is retried for as long as it could still be used and
no longer (the activity itself skips a link that has expired or been used meanwhile).
"""

from datetime import timedelta

from temporalio import workflow

from workflows.policies import EMAIL_STEP

with workflow.unsafe.imports_passed_through():
    from activities.console_mail import ConsoleMailActivities
    from domain.console import ConsoleSignInEmail

SIGN_IN_EMAIL_STEP = {**EMAIL_STEP, "schedule_to_close_timeout": timedelta(minutes=15)}


@workflow.defn
class ConsoleSignInWorkflow:
    @workflow.run
    async def run(self, data: ConsoleSignInEmail) -> None:
        workflow.set_current_details("**Sending** a console sign-in link")
        await workflow.execute_activity_method(
            ConsoleMailActivities.send_console_sign_in,
            data,
            summary="email the sign-in link",
            **SIGN_IN_EMAIL_STEP,
        )
        workflow.set_current_details("**Done:** sign-in link sent")
