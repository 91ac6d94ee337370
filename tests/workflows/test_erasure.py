"""Abandoned self-serve signups lose their contact data once the retention has passed.

Expired and cancelled self-serve signups keep their contact, business and addresses for
ERASURE_RETENTION after they closed; then those become null, the Stripe customer is deleted,
and what remains (ids, status, plan, times, money, the audit trail) names nobody.
"""

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import func, select, update
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleOverlapPolicy
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.erasure import ErasureActivities
from devstack.mailsink import MailSink
from domain.customer import CreateCustomerRequest
from domain.erasure import EraseBatchInput, ErasureInput, ErasureResult
from domain.settings import Settings
from runtime.erasure_schedule import ensure_erasure_schedule, erasure_schedule_id
from runtime.stripe_client import stripe_client
from starter.signups import request_fingerprint
from store import audit
from store.engine import SessionFactory
from store.schema import AuditEntry, Customer, IdempotencyKey, Plan, utcnow
from tests.cli.test_cli import starter
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.histories_helpers import assert_replays
from tests.support.self_serve_helpers import activate_from_email, customer, stripe_sdk, until_status
from tests.support.worker_processes import ROOT, settings_environment, stop
from workflows.erasure import AbandonedSignupErasureWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")

RETENTION = timedelta(days=30)
ERASED = ("contact", "business", "address", "service_address")


@dataclass(frozen=True)
class Signup:
    customer_id: uuid.UUID
    body: dict[str, Any]

    @property
    def personal_data(self) -> list[str]:
        """Strings that name the person or their business, and must not outlive erasure."""
        contact, business, address = (
            self.body["contact"],
            self.body["business"],
            self.body["address"],
        )
        return [
            contact["email"],
            contact["first_name"],
            contact["last_name"],
            contact["phone"],
            business["name"],
            address["line1"],
        ]


async def signup_in_store(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    *,
    status: str,
    closed: timedelta,
    path: str = "self_serve",
) -> Signup:
    """A signup as the workflows leave it, its last change `closed` ago, with its create audit."""
    body = customer_request(path=path)
    request = CreateCustomerRequest.model_validate(body)
    customer_id = uuid.uuid4()
    last_change = utcnow() - closed
    async with sessions.begin() as session:
        plan_id = await session.scalar(
            select(Plan.id).where(Plan.white_label_id == white_label.id, Plan.code == "business")
        )
        assert plan_id is not None
        session.add(
            Customer(
                id=customer_id,
                white_label_id=white_label.id,
                path=path,
                status=status,
                contact=request.contact.model_dump(mode="json"),
                business=request.business.model_dump(mode="json"),
                address=request.address.model_dump(mode="json"),
                service_address=request.effective_service_address.model_dump(mode="json"),
                plan_id=plan_id,
                created_by_user_id=white_label.admin_user_id,
                created_at=last_change - timedelta(days=7),
                updated_at=last_change,
            )
        )
        session.add(
            IdempotencyKey(
                white_label_id=white_label.id,
                key=f"key-{customer_id}",
                request_hash=request_fingerprint(request),
                customer_id=customer_id,
            )
        )
        audit.record(
            session,
            white_label_id=white_label.id,
            customer_id=customer_id,
            actor=f"wl_user:{white_label.admin_user_id}",
            action="customer.created",
            detail={"path": path, "plan_code": "business"},
        )
    return Signup(customer_id=customer_id, body=body)


async def closed_days_ago(sessions: SessionFactory, customer_id: uuid.UUID, days: int) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(updated_at=utcnow() - timedelta(days=days))
        )


async def row(sessions: SessionFactory, customer_id: uuid.UUID) -> Customer:
    async with sessions() as session:
        return await session.get_one(Customer, customer_id)


async def audit_trail(sessions: SessionFactory, customer_id: uuid.UUID) -> list[AuditEntry]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.customer_id == customer_id)
                .order_by(AuditEntry.created_at)
            )
        )


async def null_columns(sessions: SessionFactory, customer_id: uuid.UUID) -> list[str]:
    """The erasable columns that are SQL NULL (not a JSON `null`) in the database."""
    nulls = []
    async with sessions() as session:
        for name in ERASED:
            column = getattr(Customer, name)
            found = await session.scalar(
                select(func.count()).where(Customer.id == customer_id, column.is_(None))
            )
            if found:
                nulls.append(name)
    return nulls


async def erase(client: Client, settings: Settings, **overrides: Any) -> ErasureResult:
    """One run of the workflow the daily schedule starts, on the test worker."""
    handle = await client.start_workflow(
        AbandonedSignupErasureWorkflow.run,
        ErasureInput(retention=RETENTION, **overrides),
        id=f"erasure-test-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
    )
    return await handle.result()


async def test_an_abandoned_signup_is_erased_after_the_retention_and_keeps_its_history(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    mail_sink: MailSink,
    localstripe: str,
    sessions: SessionFactory,
    client: Client,
    settings: Settings,
    worker: Worker,
) -> None:
    # A customer who activated (so Stripe holds their name and email), then was cancelled.
    body = customer_request(path="self_serve")
    started = await api.post(
        "/v1/customers",
        json=body,
        headers={**white_label.headers, "Idempotency-Key": f"signup-{uuid.uuid4()}"},
    )
    assert started.status_code == 202, started.text
    cancelled = Signup(customer_id=uuid.UUID(started.json()["customer_id"]), body=body)
    await activate_from_email(api, mail_sink, body["contact"]["email"])  # type: ignore[index]
    await until_status(api, white_label, str(cancelled.customer_id), "awaiting_payment")
    answer = await api.post(
        f"/v1/customers/{cancelled.customer_id}/cancel", headers=white_label.headers
    )
    assert answer.json()["status"] == "cancelled", answer.text
    await closed_days_ago(sessions, cancelled.customer_id, 31)
    expired = await signup_in_store(
        sessions, white_label, status="expired", closed=RETENTION + timedelta(hours=1)
    )
    before = {
        signup.customer_id: (
            await row(sessions, signup.customer_id),
            await audit_trail(sessions, signup.customer_id),
        )
        for signup in (cancelled, expired)
    }
    stripe_customer_id = before[cancelled.customer_id][0].stripe_customer_id
    assert stripe_customer_id is not None

    handle = await client.start_workflow(
        AbandonedSignupErasureWorkflow.run,
        ErasureInput(retention=RETENTION),
        id=f"erasure-test-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
    )
    result = await handle.result()

    assert result.erased >= 2
    for signup in (cancelled, expired):
        kept, trail = before[signup.customer_id]
        erased = await row(sessions, signup.customer_id)
        assert await null_columns(sessions, signup.customer_id) == list(ERASED)
        assert erased.contact_erased_at is not None
        assert (erased.status, erased.path, erased.plan_id, erased.created_at) == (
            kept.status, kept.path, kept.plan_id, kept.created_at,
        )  # fmt: skip
        assert erased.stripe_customer_id == kept.stripe_customer_id

        view = await customer(api, white_label, str(signup.customer_id))
        assert view["status"] == kept.status
        assert [view[field] for field in ERASED] == [None, None, None, None]
        assert view["contact_erased_at"] is not None
        assert view["billing"]["mode"] == "customer_card"

        after = await audit_trail(sessions, signup.customer_id)
        kept_entries = {entry.id for entry in trail}
        assert kept_entries <= {entry.id for entry in after}
        added = [entry.action for entry in after if entry.id not in kept_entries]
        # The erasure, then this test's own read of the view above.
        assert added == ["customer.contact_erased", "customer.read"]
        recorded = json.dumps([[e.actor, e.action, e.detail] for e in after])
        assert not [value for value in signup.personal_data if value in recorded]

        async with sessions() as session:
            keys = await session.scalar(
                select(func.count()).where(IdempotencyKey.customer_id == signup.customer_id)
            )
        assert keys == 0
    with pytest.raises(stripe.InvalidRequestError) as gone:
        await stripe_sdk(localstripe).v1.customers.retrieve_async(stripe_customer_id)
    assert gone.value.http_status == 404
    await assert_replays(await handle.fetch_history(), "abandoned_signup_erasure")


@pytest.mark.parametrize(
    ("path", "status", "closed"),
    [
        ("self_serve", "expired", RETENTION - timedelta(hours=1)),
        ("self_serve", "cancelled", RETENTION - timedelta(hours=1)),
        ("self_serve", "active", timedelta(days=400)),
        ("self_serve", "failed", timedelta(days=400)),
        ("self_serve", "awaiting_activation", timedelta(days=400)),
        ("self_serve", "awaiting_payment", timedelta(days=400)),
        ("wl_managed", "active", timedelta(days=400)),
        ("wl_managed", "failed", timedelta(days=400)),
        ("wl_managed", "cancelled", timedelta(days=400)),
    ],
)
async def test_customers_and_recent_signups_keep_their_contact_data(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    client: Client,
    settings: Settings,
    worker: Worker,
    path: str,
    status: str,
    closed: timedelta,
) -> None:
    signup = await signup_in_store(sessions, white_label, status=status, closed=closed, path=path)

    await erase(client, settings)

    kept = await row(sessions, signup.customer_id)
    assert kept.contact == signup.body["contact"]
    assert (kept.business or {}).get("name") == signup.body["business"]["name"]
    assert (kept.address or {}).get("line1") == signup.body["address"]["line1"]
    assert (kept.service_address or {}).get("line1") == signup.body["address"]["line1"]
    assert kept.contact_erased_at is None
    assert [entry.action for entry in await audit_trail(sessions, signup.customer_id)] == [
        "customer.created"
    ]


async def test_erasing_again_or_twice_at_once_erases_each_signup_once(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    client: Client,
    settings: Settings,
    worker: Worker,
) -> None:
    old = RETENTION + timedelta(days=1)
    signups = [
        await signup_in_store(sessions, white_label, status=status, closed=old)
        for status in ("expired", "cancelled", "expired", "cancelled", "expired")
    ]

    together = await asyncio.gather(
        erase(client, settings, batch_size=2), erase(client, settings, batch_size=2)
    )
    erased_at = {
        s.customer_id: (await row(sessions, s.customer_id)).contact_erased_at for s in signups
    }
    again = await erase(client, settings)

    assert sum(result.erased for result in together) >= len(signups)
    assert again.erased == 0
    for signup in signups:
        assert (await row(sessions, signup.customer_id)).contact_erased_at == erased_at[
            signup.customer_id
        ]
        actions = [entry.action for entry in await audit_trail(sessions, signup.customer_id)]
        assert actions == ["customer.created", "customer.contact_erased"]


async def test_the_activity_erases_in_bounded_batches_and_says_when_more_remain(
    sessions: SessionFactory, white_label: WhiteLabelFixture, settings: Settings
) -> None:
    signups = [
        await signup_in_store(sessions, white_label, status="expired", closed=RETENTION * 2)
        for _ in range(5)
    ]
    activities = ErasureActivities(sessions, stripe_client(settings))
    batch = EraseBatchInput(cutoff=utcnow() - RETENTION, limit=2)

    first = await ActivityEnvironment().run(activities.erase_abandoned_signups, batch)
    rest = [first]
    while rest[-1].more:
        rest.append(await ActivityEnvironment().run(activities.erase_abandoned_signups, batch))

    assert (first.erased, first.more) == (2, True)
    assert all(result.erased <= 2 for result in rest)
    assert sum(result.erased for result in rest) >= len(signups)
    for signup in signups:
        assert (await row(sessions, signup.customer_id)).contact_erased_at is not None


async def describe_erasure_schedule(client: Client, task_queue: str) -> dict[str, Any]:
    description = await client.get_schedule_handle(erasure_schedule_id(task_queue)).describe()
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    [argument] = await client.data_converter.decode(action.args, [ErasureInput])  # type: ignore[arg-type]
    [interval] = description.schedule.spec.intervals
    return {
        "workflow": action.workflow,
        "task_queue": action.task_queue,
        "retention": argument.retention,
        "every": interval.every,
        "overlap": description.schedule.policy.overlap,
        "paused": description.schedule.state.paused,
    }


async def until_schedule(
    client: Client, task_queue: str, retention: timedelta, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            described = await describe_erasure_schedule(client, task_queue)
            if described["retention"] == retention:
                return described
        except RPCError:
            pass  # not created yet
        assert time.monotonic() < deadline, f"no erasure schedule with retention {retention}"
        await asyncio.sleep(0.2)


async def start_worker_process(settings: Settings, retention: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "worker.py",
        cwd=ROOT,
        env={**settings_environment(settings), "ERASURE_RETENTION": retention},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_the_worker_schedules_the_erasure_daily_and_a_new_retention_updates_it(
    client: Client, settings: Settings
) -> None:
    queue = f"erasure-schedule-{uuid.uuid4()}"
    own = settings.model_copy(update={"temporal_task_queue": queue})
    try:
        first = await start_worker_process(own, "30d")
        created = await until_schedule(client, queue, timedelta(days=30))
        await stop(first)
        second = await start_worker_process(own, "7d")
        updated = await until_schedule(client, queue, timedelta(days=7))
        await stop(second)

        assert created == {
            "workflow": "AbandonedSignupErasureWorkflow",
            "task_queue": queue,
            "retention": timedelta(days=30),
            "every": timedelta(days=1),
            "overlap": ScheduleOverlapPolicy.SKIP,
            "paused": False,
        }
        assert updated == {**created, "retention": timedelta(days=7)}
    finally:
        await client.get_schedule_handle(erasure_schedule_id(queue)).delete()


async def test_a_paused_schedule_stays_paused_when_the_retention_changes(
    client: Client,
) -> None:
    queue = f"erasure-schedule-{uuid.uuid4()}"
    handle = await ensure_erasure_schedule(client, task_queue=queue, retention=RETENTION)
    try:
        await handle.pause(note="erasure on hold for a legal request")

        await ensure_erasure_schedule(client, task_queue=queue, retention=timedelta(days=60))

        described = await describe_erasure_schedule(client, queue)
        assert (described["retention"], described["paused"]) == (timedelta(days=60), True)
    finally:
        await handle.delete()


async def test_operators_erase_abandoned_signups_now_from_the_cli(
    sessions: SessionFactory, white_label: WhiteLabelFixture, settings: Settings, worker: Worker
) -> None:
    signup = await signup_in_store(
        sessions, white_label, status="cancelled", closed=timedelta(days=3)
    )

    as_json = await starter(
        settings, "customers", "erase-abandoned", "--json", ERASURE_RETENTION="2d"
    )
    human = await starter(settings, "customers", "erase-abandoned", ERASURE_RETENTION="2d")

    assert as_json.code == 0, as_json.stderr
    assert int(str(as_json.json()["erased"])) >= 1
    assert (await row(sessions, signup.customer_id)).contact_erased_at is not None
    assert human.code == 0, human.stderr
    assert human.stdout.startswith("contact data erased from 0 abandoned signup(s) closed before")
    assert not [value for value in signup.personal_data if value in as_json.stdout + human.stdout]


async def test_a_retention_that_is_not_positive_stops_the_cli_with_one_line(
    settings: Settings,
) -> None:
    run = await starter(settings, "customers", "erase-abandoned", ERASURE_RETENTION="0s")

    assert run.code == 2
    assert run.stderr.strip().splitlines() == [
        "configuration error: ERASURE_RETENTION: Value error, must be a positive duration"
    ]
