"""`python worker.py`: runs the signup workflows and activities until SIGTERM or Ctrl-C."""

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.accounts import AccountActivities
from activities.balances import BalanceActivities
from activities.concise_failures import ConciseFailures
from activities.console_mail import ConsoleMailActivities
from activities.conversion import ConversionActivities
from activities.email import EmailActivities
from activities.erasure import ErasureActivities
from activities.heartbeats import AutoHeartbeat
from activities.ledger import LedgerActivities
from activities.mailer import SmtpMailer, SmtpSettings
from activities.numbers import NumberActivities
from activities.payments import PaymentActivities
from activities.pbx import PbxActivities
from activities.webhooks import WebhookActivities
from domain.settings import Settings, load_settings
from domain.webhooks import OutboxDispatchInput, delivery_task_queue
from runtime.erasure_schedule import ensure_erasure_schedule
from runtime.gc_tuning import tune_garbage_collector
from runtime.logs import configure_logging
from runtime.outbox_dispatcher import ensure_outbox_dispatcher
from runtime.process_exit import exit_after
from runtime.start_checks import refuse_to_start_unready
from runtime.stripe_client import stripe_client
from runtime.temporal import connect, metrics_runtime
from runtime.validators import warm_up_validators
from store.engine import SessionFactory, create_engine, create_session_factory
from workflows.console_sign_in import ConsoleSignInWorkflow
from workflows.erasure import AbandonedSignupErasureWorkflow
from workflows.handover import AccountHandoverWorkflow
from workflows.late_payment import LatePaymentRefundWorkflow
from workflows.outbox_dispatch import OutboxDispatchWorkflow
from workflows.self_serve import SelfServeSignupWorkflow
from workflows.webhook_delivery import WebhookDeliveryWorkflow
from workflows.webhook_test_event import WebhookTestWorkflow
from workflows.wl_managed import WlManagedSignupWorkflow

WORKFLOWS: Sequence[type] = (
    WlManagedSignupWorkflow,
    SelfServeSignupWorkflow,
    LatePaymentRefundWorkflow,
    AbandonedSignupErasureWorkflow,
    WebhookDeliveryWorkflow,
    WebhookTestWorkflow,
    OutboxDispatchWorkflow,
    AccountHandoverWorkflow,
    ConsoleSignInWorkflow,
)

# Validation libraries the domain models load lazily: deterministic, and heavy to re-import
# in every workflow sandbox. The workflows' own helper modules hold only constants and pure
# functions, so they are imported once too; each workflow module is still re-imported per run.
PASSED_THROUGH = (
    "workflows.create_account",
    "workflows.failures",
    "workflows.policies",
    "workflows.search_attributes",
    "workflows.signup_metrics",
    "pydantic",
    "pydantic_core",
    "pydantic_extra_types",
    "email_validator",
    "idna",
    "dns",
    "phonenumbers",
    "pycountry",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox every worker and replayer of these workflows uses."""
    warm_up_validators()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    )


def build_activities(settings: Settings, sessions: SessionFactory) -> list[Any]:
    """One instance of each activity class, holding its clients."""
    accounts = AccountActivities(sessions)
    ledger = LedgerActivities(sessions)
    numbers = NumberActivities(sessions)
    pbx = PbxActivities(sessions)
    mailer = SmtpMailer(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout_seconds=settings.smtp_timeout_seconds,
            envelope_from=settings.envelope_sender,
        )
    )
    email = EmailActivities(
        sessions,
        mailer,
        settings.mail_from,
        verified_sender_domains=settings.mail_verified_sender_domains,
        public_base_url=settings.public_base_url,
        activation_secret=settings.activation_secret.get_secret_value().encode()
        if settings.activation_secret
        else None,
    )
    console_mail = ConsoleMailActivities(
        sessions,
        mailer,
        settings.mail_from,
        public_base_url=settings.public_base_url,
        activation_secret=settings.activation_secret.get_secret_value().encode()
        if settings.activation_secret
        else None,
        verified_sender_domains=settings.mail_verified_sender_domains,
    )
    stripe = stripe_client(settings)
    payments = PaymentActivities(sessions, stripe, localstripe=settings.stripe_api_base is not None)
    balances = BalanceActivities(sessions)
    erasure = ErasureActivities(sessions, stripe)
    webhooks = _webhook_activities(settings, sessions)
    conversion = ConversionActivities(sessions)
    return [
        accounts.create_account,
        accounts.add_wl_administrator,
        accounts.add_contact_administrator,
        accounts.remove_account_administrators,
        accounts.mark_status,
        accounts.mark_active,
        accounts.mark_failed,
        balances.record_payment,
        payments.ensure_stripe_customer,
        payments.start_payment_attempt,
        payments.cancel_open_payments,
        payments.refund_payment,
        ledger.debit_signup_charges,
        ledger.reverse_signup_charges,
        numbers.allocate_numbers,
        numbers.release_numbers,
        pbx.apply_pbx_settings,
        pbx.remove_pbx_settings,
        email.send_wl_confirmation,
        email.send_activation,
        email.send_welcome,
        email.send_wl_notice,
        email.send_expiry_notice,
        email.send_conversion_notice,
        email.send_handover_invitation,
        email.send_handover_welcome,
        accounts.hand_over_administration,
        accounts.record_handover_closed,
        conversion.convert_to_wl_managed,
        erasure.erase_abandoned_signups,
        webhooks.dispatch_outbox,
        webhooks.deliver_webhook,
        webhooks.mark_delivery_failed,
        console_mail.send_console_sign_in,
    ]


def _webhook_activities(settings: Settings, sessions: SessionFactory) -> WebhookActivities:
    return WebhookActivities(sessions, allow_private_targets=settings.webhook_allow_private_targets)


def build_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    task_queue: str | None = None,
    max_cached_workflows: int = 1000,
    interceptors: Sequence[Interceptor] = (),
    max_concurrent_activities: int | None = None,
) -> Worker:
    """`max_cached_workflows=0` replays every workflow task from history (the tests use it);
    `max_concurrent_activities` None keeps the SDK's default (100)."""
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=build_activities(settings, sessions),
        workflow_runner=workflow_runner(),
        max_cached_workflows=max_cached_workflows,
        interceptors=[AutoHeartbeat(), ConciseFailures(), *interceptors],
        graceful_shutdown_timeout=settings.worker_shutdown_grace,
        max_concurrent_activities=max_concurrent_activities,
    )


def build_delivery_worker(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    task_queue: str | None = None,
    max_cached_workflows: int = 1000,
) -> Worker:
    """The worker of the webhook delivery queue: deliveries to white labels' endpoints, at
    most WEBHOOK_DELIVERY_CONCURRENCY at once, so endpoints that hang hold only these slots.
    (The main worker still runs deliveries started on its queue before this one existed.)"""
    webhooks = _webhook_activities(settings, sessions)
    return Worker(
        client,
        task_queue=delivery_task_queue(task_queue or settings.temporal_task_queue),
        workflows=[WebhookDeliveryWorkflow, WebhookTestWorkflow],
        activities=[
            webhooks.deliver_webhook,
            webhooks.mark_delivery_failed,
            webhooks.send_test_webhook,
        ],
        workflow_runner=workflow_runner(),
        max_cached_workflows=max_cached_workflows,
        max_concurrent_activities=settings.webhook_delivery_concurrency,
        interceptors=[AutoHeartbeat(), ConciseFailures()],
        graceful_shutdown_timeout=settings.worker_shutdown_grace,
    )


async def run(settings: Settings, interceptors: Sequence[Interceptor] = ()) -> None:
    engine = create_engine(settings.database_url)
    await refuse_to_start_unready(settings, engine, "worker")
    client = await connect(settings, runtime=metrics_runtime(settings))
    await ensure_erasure_schedule(
        client, task_queue=settings.temporal_task_queue, retention=settings.erasure_retention
    )
    await ensure_outbox_dispatcher(client, settings.temporal_task_queue, OutboxDispatchInput())
    sessions = create_session_factory(engine)
    worker = build_worker(client, settings, sessions, interceptors=interceptors)
    deliveries = build_delivery_worker(client, settings, sessions)
    tune_garbage_collector(first_generation_threshold=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker, deliveries:
        logging.getLogger("worker").info(
            "worker polling task queue %s", settings.temporal_task_queue
        )
        await stop.wait()
    await engine.dispose()


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_format)
    asyncio.run(run(settings))


if __name__ == "__main__":
    exit_after(main)
