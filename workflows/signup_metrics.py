"""Signup counters and timings, through the worker's Temporal metric meter.

Recorded from workflow code so each signup counts once, whatever its activities do; the SDK
drops what a workflow records while it replays, so a history replayed on another worker does
not count twice. They leave the worker on the SDK runtime's Prometheus endpoint
(`WORKER_METRICS_PORT`), next to the SDK's own metrics.
"""

import uuid
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.enums import CustomerStatus, SignupPath

STARTED = {CustomerStatus.PROVISIONING, CustomerStatus.AWAITING_ACTIVATION}
ABANDONED = {CustomerStatus.EXPIRED, CustomerStatus.CANCELLED}


def record_status(
    path: SignupPath, white_label_id: uuid.UUID, status: CustomerStatus, started_at: datetime
) -> None:
    """Counts a signup entering `status`; each workflow enters each status once."""
    meter = workflow.metric_meter().with_additional_attributes(
        {"path": path.value, "white_label_id": str(white_label_id)}
    )
    if status in STARTED:
        meter.create_counter("signups_started", "Signups started").add(1)
    elif status is CustomerStatus.ACTIVE:
        meter.create_counter("signups_completed", "Signups that ended active").add(1)
        meter.create_histogram_float(
            "signup_seconds_to_active", "From the signup's start to its account being active", "s"
        ).record((workflow.now() - started_at).total_seconds())
    elif status is CustomerStatus.FAILED:
        meter.create_counter("signups_failed", "Signups refused or undone").add(1)
    elif status in ABANDONED:
        meter.create_counter("signups_abandoned", "Self-serve signups expired or cancelled").add(
            1, {"status": status.value}
        )
