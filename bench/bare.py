"""The engine's ceiling: a workflow with as many no-op activities as a WL-managed signup.

`bench/bare_worker.py` serves it beside the real workers, so both are measured on the same
dev server, sandbox and machine. Two shapes: seven activities (the issue's ceiling), and the
shape the signup really has since its database steps became local activities (six local, one
activity for the email), so the ratio can be read against either.
"""

from datetime import timedelta

from temporalio import activity, workflow

# create, debit, administrator, numbers, PBX settings, mark active, confirmation email
STEPS = 7
TASK_QUEUE_VARIABLE = "BENCH_TASK_QUEUE"
TIMEOUT = timedelta(seconds=30)


@activity.defn
async def noop(step: int) -> int:
    return step


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self) -> int:
        done = 0
        for step in range(STEPS):
            done += await workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT) >= 0
        return done


@workflow.defn
class BareLocalStepsWorkflow:
    @workflow.run
    async def run(self) -> int:
        done = 0
        for step in range(STEPS - 1):
            done += (
                await workflow.execute_local_activity(noop, step, start_to_close_timeout=TIMEOUT)
                >= 0
            )
        done += await workflow.execute_activity(noop, STEPS, start_to_close_timeout=TIMEOUT) >= 0
        return done
