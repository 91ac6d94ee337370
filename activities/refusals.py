"""Business refusals raised by activities: typed and never retried."""

from temporalio.exceptions import ApplicationError

from domain.errors import BusinessError


def refuse(error: BusinessError, message: str) -> ApplicationError:
    """An error the workflow turns into a compensated `failed` signup and the API into a 422."""
    return ApplicationError(message, type=error.value, non_retryable=True)
