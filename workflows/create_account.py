"""The first step of every signup path: write the customer's account row.

Both signup workflows run it the same way (the same activity, input and summary); what a
refusal means for the run (which status, which details) is the workflow's own, so each passes
how it ends the run.
"""

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn

from temporalio import workflow

from workflows.failures import Refusal, StepFailure, business_refusal
from workflows.policies import database_step

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from domain.signup import AccountCreated, CreateAccountInput, SignupStart
    from domain.signup_paths import SignupPathRule


async def create_account(
    signup: SignupStart,
    rule: SignupPathRule,
    *,
    local: bool,
    refused: Callable[[Refusal], NoReturn],
    activation_expires_at: datetime | None = None,
) -> AccountCreated:
    """Writes the account in the path's first status; a business refusal (an unknown plan,
    say) ends the run through `refused`, and anything else is retried or raised as it is."""
    try:
        created: AccountCreated = await database_step(
            local,
            AccountActivities.create_account,
            CreateAccountInput(
                customer_id=signup.customer_id,
                white_label_id=signup.white_label_id,
                created_by_user_id=signup.requested_by_user_id,
                request=signup.request,
                status=rule.first_status,
                activation_expires_at=activation_expires_at,
            ),
            summary="create the customer account",
        )
    except StepFailure as error:
        refusal = business_refusal(error)
        if refusal is None:
            raise
        refused(refusal)
    return created
