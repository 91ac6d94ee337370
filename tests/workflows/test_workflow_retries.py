"""The workflow on the real dev server when activities fail: retries and compensation."""

import inspect
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from domain.enums import CustomerStatus
from domain.settings import Settings
from store.engine import SessionFactory
from store.schema import (
    AccountAdministrator,
    AuditEntry,
    Customer,
    CustomerPbxSettings,
    PhoneNumber,
    WlLedgerEntry,
)
from tests.conftest import WhiteLabelFixture, make_white_label
from tests.support.wl_managed_helpers import run_signup, signup_input
from worker import build_activities, workflow_runner
from workflows.wl_managed import WlManagedSignupWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")

FAIL_AFTER_EFFECT = ("debit_signup_charges", "add_wl_administrator", "allocate_numbers")


def fail_first_attempt_after_effect(
    real: Callable[..., Awaitable[Any]], attempts: Counter[str]
) -> Callable[..., Awaitable[Any]]:
    """The real activity runs, then its first attempt fails as if the worker died after it."""
    name = real.__name__

    async def wrapper(data: Any) -> Any:
        result = await real(data)
        attempts[name] += 1
        if activity.info().attempt == 1:
            raise RuntimeError(f"injected failure after {name} did its work")
        return result

    # The data converter decodes arguments by the real activity's type hints.
    wrapper.__signature__ = inspect.signature(real)  # type: ignore[attr-defined]
    wrapper.__annotations__ = dict(real.__annotations__)
    return activity.defn(name=name)(wrapper)


@pytest.fixture
def task_queue() -> str:
    return f"faults-{uuid.uuid4()}"


async def test_activities_retried_after_their_side_effect_do_nothing_twice(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    task_queue: str,
) -> None:
    attempts: Counter[str] = Counter()
    activities = [
        fail_first_attempt_after_effect(function, attempts)
        if function.__name__ in FAIL_AFTER_EFFECT
        else function
        for function in build_activities(settings, sessions)
    ]
    data = signup_input(white_label, numbers={"count": 2})

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[WlManagedSignupWorkflow],
        activities=activities,
        workflow_runner=workflow_runner(),
    ):
        result = await run_signup(client, task_queue, data)

    assert result.status is CustomerStatus.ACTIVE
    assert attempts == Counter({name: 2 for name in FAIL_AFTER_EFFECT})
    customer = data.customer_id
    async with sessions() as session:
        ledger = list(
            await session.scalars(
                select(WlLedgerEntry.amount).where(WlLedgerEntry.customer_id == customer)
            )
        )
        admins = await session.scalar(
            select(func.count()).where(AccountAdministrator.customer_id == customer)
        )
        numbers = list(
            await session.scalars(
                select(PhoneNumber.e164).where(PhoneNumber.customer_id == customer)
            )
        )
        debit_audits = await session.scalar(
            select(func.count()).where(
                AuditEntry.customer_id == customer, AuditEntry.action == "wl_ledger.debited"
            )
        )
    assert ledger == [Decimal("74.00")]
    assert admins == 1
    assert sorted(numbers) == white_label.numbers[:2]
    assert debit_audits == 1


async def test_compensation_undoes_the_steps_done_in_reverse_order(
    client: Client, white_label: WhiteLabelFixture, task_queue: str
) -> None:
    """Workflow logic only: the activities are stand-ins that record the order of calls."""
    calls: list[str] = []

    def recording(name: str, result: Any = None, refuse: str | None = None) -> Any:
        @activity.defn(name=name)
        async def stand_in(_data: Any) -> Any:
            calls.append(name)
            if refuse:
                raise ApplicationError("refused", type=refuse, non_retryable=True)
            return result

        return stand_in

    account = {"customer_id": str(uuid.uuid4()), "plan_id": str(uuid.uuid4())}
    stand_ins = [
        recording("create_account", {**account, "plan_code": "business", "currency": "NZD"}),
        recording(
            "debit_signup_charges",
            {"ledger_entry_id": str(uuid.uuid4()), "amount": "74.00", "currency": "NZD"},
        ),
        recording("add_wl_administrator"),
        recording("allocate_numbers", {"numbers": ["+6492000100"]}),
        recording("apply_pbx_settings", refuse="InvalidPbxSettings"),
        recording("remove_pbx_settings"),
        recording("release_numbers"),
        recording("remove_account_administrators"),
        recording("reverse_signup_charges"),
        recording("mark_failed"),
        recording("mark_active"),
        recording("send_wl_confirmation"),
    ]
    data = signup_input(
        white_label, numbers={"count": 1}, pbx_settings={"timezone": "Pacific/Auckland"}
    )

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[WlManagedSignupWorkflow],
        activities=stand_ins,
        workflow_runner=workflow_runner(),
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await run_signup(client, task_queue, data)

    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "InvalidPbxSettings"
    assert calls == [
        "create_account",
        "debit_signup_charges",
        "add_wl_administrator",
        "allocate_numbers",
        "apply_pbx_settings",
        "remove_pbx_settings",
        "release_numbers",
        "remove_account_administrators",
        "reverse_signup_charges",
        "mark_failed",
    ]


def refuse_after_effect(real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The real activity does its work, then the step is refused as a business failure."""

    async def wrapper(data: Any) -> Any:
        await real(data)
        raise ApplicationError(
            f"injected refusal after {real.__name__}", type="InvalidPbxSettings", non_retryable=True
        )

    wrapper.__signature__ = inspect.signature(real)  # type: ignore[attr-defined]
    wrapper.__annotations__ = dict(real.__annotations__)
    return activity.defn(name=real.__name__)(wrapper)


@pytest.mark.parametrize(
    "failing_step",
    [
        "debit_signup_charges",
        "add_wl_administrator",
        "allocate_numbers",
        "apply_pbx_settings",
        "mark_active",
    ],
)
async def test_a_failure_at_any_step_after_the_debit_leaves_nothing_behind(
    client: Client,
    settings: Settings,
    sessions: SessionFactory,
    task_queue: str,
    failing_step: str,
) -> None:
    white_label = await make_white_label(sessions)
    activities = [
        refuse_after_effect(function) if function.__name__ == failing_step else function
        for function in build_activities(settings, sessions)
    ]
    data = signup_input(
        white_label, numbers={"count": 3}, pbx_settings={"timezone": "Pacific/Auckland"}
    )

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[WlManagedSignupWorkflow],
        activities=activities,
        workflow_runner=workflow_runner(),
    ):
        with pytest.raises(WorkflowFailureError):
            await run_signup(client, task_queue, data)

    async with sessions() as session:
        customer = await session.get_one(Customer, data.customer_id)
        owed = await session.scalar(
            select(func.coalesce(func.sum(WlLedgerEntry.amount), 0)).where(
                WlLedgerEntry.white_label_id == white_label.id
            )
        )
        held = await session.scalar(
            select(func.count()).where(PhoneNumber.customer_id == data.customer_id)
        )
        admins = await session.scalar(
            select(func.count()).where(AccountAdministrator.customer_id == data.customer_id)
        )
        pbx = await session.get(CustomerPbxSettings, data.customer_id)
    assert customer.status == "failed"
    assert customer.failure_type == "InvalidPbxSettings"
    assert customer.failure_message == f"injected refusal after {failing_step}"
    assert owed == Decimal("0.00")
    assert held == 0
    assert admins == 0
    assert pbx is None
