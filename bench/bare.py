"""The engine's ceiling: a workflow with as many no-op activities as a WL-managed signup.

`bench/bare_worker.py` serves it beside the real workers, so both are measured on the same
dev server, sandbox and machine.
"""

from datetime import timedelta

from temporalio import activity, workflow

# create, debit, administrator, numbers, PBX settings, mark active, confirmation email
STEPS = 7
TASK_QUEUE_VARIABLE = "BENCH_TASK_QUEUE"


@activity.defn
async def noop(step: int) -> int:
    return step


@workflow.defn
class BareWorkflow:
    @workflow.run
    async def run(self) -> int:
        done = 0
        for step in range(STEPS):
            done += (
                await workflow.execute_activity(
                    noop, step, start_to_close_timeout=timedelta(seconds=30)
                )
                >= 0
            )
        return done
