"""Telling a business refusal (compensate, report) from a fault (let Temporal retry)."""

from dataclasses import dataclass

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import BUSINESS_ERROR_TYPES
    from domain.self_serve import LinkRefusal


@dataclass(frozen=True)
class Refusal:
    failure_type: str
    message: str


# What a failed step raises in the workflow: a remote activity's failure arrives wrapped in an
# ActivityError; a local activity's arrives as the ApplicationError itself.
StepFailure = (ActivityError, ApplicationError)


def business_refusal(error: ActivityError | ApplicationError) -> Refusal | None:
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError) and cause.type in BUSINESS_ERROR_TYPES:
        return Refusal(cause.type or "", cause.message)
    return None


def link_refused(refusal: LinkRefusal, message: str) -> ApplicationError:
    """Why an emailed link no longer works; the API shows the customer one generic page."""
    return ApplicationError(message, type=refusal.value, non_retryable=True)
