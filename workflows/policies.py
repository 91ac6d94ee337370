"""Timeouts and retry policies shared by the workflows' activity calls.

Every step has a heartbeat timeout; the worker's `AutoHeartbeat` interceptor beats for it. A
step whose worker was killed is retried elsewhere after HEARTBEAT, not after its whole
start-to-close timeout.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

HEARTBEAT = timedelta(seconds=10)

# Database steps retry until the database is back: a signup is never lost to an outage.
DATABASE_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": HEARTBEAT,
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
    ),
}

# Email is retried with backoff for a day; a permanent refusal is a non-retryable error.
EMAIL_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=60),
    "schedule_to_close_timeout": timedelta(hours=24),
    "heartbeat_timeout": HEARTBEAT,
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=10),
    ),
}

# Stripe calls retry until Stripe answers; every create carries an idempotency key.
STRIPE_STEP: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": HEARTBEAT,
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
    ),
}

# An erasure batch may call Stripe once per customer, so it gets minutes rather than seconds;
# otherwise it retries as a Stripe step does, until the database and Stripe answer.
ERASURE_STEP: dict[str, Any] = {**STRIPE_STEP, "start_to_close_timeout": timedelta(minutes=10)}

# The versioned change that made them local: runs started before it replay as they ran.
LOCAL_DATABASE_STEPS_PATCH = "database-steps-as-local-activities"

# The same database step run as a local activity: in the worker, inside the workflow task, with
# one marker in history instead of a round trip through the server per step. Retries that wait
# longer than the threshold go through a workflow timer, so a database outage shows in the
# history (and the Web UI) within seconds rather than staying inside the worker.
LOCAL_DATABASE_STEP: dict[str, Any] = {
    "start_to_close_timeout": DATABASE_STEP["start_to_close_timeout"],
    "retry_policy": DATABASE_STEP["retry_policy"],
    "local_retry_threshold": timedelta(seconds=5),
}


def database_step(local: bool, activity: Any, argument: Any, *, summary: str) -> Any:
    """Schedules a short database step: as a local activity where `local`, else as an activity.

    Every database step is idempotent (keyed by the customer), so running one again after a
    worker dies mid-task, as a local activity may, writes nothing twice.
    """
    if local:
        return workflow.execute_local_activity_method(
            activity, argument, summary=summary, **LOCAL_DATABASE_STEP
        )
    return workflow.execute_activity_method(activity, argument, summary=summary, **DATABASE_STEP)


async def send_email(
    method: Callable[[Any, Any], Awaitable[None]], argument: Any, *, summary: str
) -> None:
    """Email is best effort after retries: no signup or hand-over fails because a mail
    bounced; the failure stays visible in the workflow's history."""
    try:
        await workflow.execute_activity_method(method, argument, summary=summary, **EMAIL_STEP)
    except ActivityError:
        workflow.logger.warning("email step failed: %s", summary)
