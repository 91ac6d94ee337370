"""Erasing the contact data of abandoned self-serve signups once their retention has passed.

A Temporal Schedule starts this once a day (see `runtime.erasure_schedule`); operators can
run it at once with `python -m starter customers erase-abandoned`. Which customers it erased
is recorded in the store, never here: the history holds only the cutoff and counts.
"""

from temporalio import workflow

from workflows.policies import ERASURE_STEP

with workflow.unsafe.imports_passed_through():
    from activities.erasure import ErasureActivities
    from domain.erasure import ERASURE_WORKFLOW, EraseBatchInput, ErasureInput, ErasureResult


@workflow.defn(name=ERASURE_WORKFLOW)
class AbandonedSignupErasureWorkflow:
    @workflow.run
    async def run(self, data: ErasureInput) -> ErasureResult:
        # One cutoff for the whole run: a signup closing while it runs waits for tomorrow.
        cutoff = data.cutoff or workflow.now() - data.retention
        erased = data.erased_before
        while True:
            workflow.set_current_details(
                f"**Erasing** signups closed before {cutoff:%Y-%m-%d %H:%M} UTC, {erased} so far"
            )
            batch = await workflow.execute_activity_method(
                ErasureActivities.erase_abandoned_signups,
                EraseBatchInput(cutoff=cutoff, limit=data.batch_size),
                summary=f"erase up to {data.batch_size} abandoned signups",
                **ERASURE_STEP,
            )
            erased += batch.erased
            if not batch.more:
                break
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    data.model_copy(update={"cutoff": cutoff, "erased_before": erased})
                )
        workflow.set_current_details(f"**Done:** {erased} erased")
        return ErasureResult(erased=erased, cutoff=cutoff)
