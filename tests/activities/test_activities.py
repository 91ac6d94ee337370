"""Each activity against the real database and a real SMTP server: idempotent on retry."""

import uuid
from decimal import Decimal
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.accounts import AccountActivities
from activities.email import EmailActivities, build_message
from activities.ledger import LedgerActivities
from activities.mailer import SmtpMailer, SmtpSettings
from activities.numbers import NumberActivities
from activities.pbx import PbxActivities
from devstack.mailsink import MailSink
from domain.brand import BrandSettings, effective_brand
from domain.customer import CreateCustomerRequest, PbxSettings
from domain.enums import CustomerStatus
from domain.settings import Settings
from domain.signup import (
    AdministratorInput,
    AllocateNumbersInput,
    ApplyPbxSettingsInput,
    CreateAccountInput,
    CustomerRef,
    DebitInput,
)
from store.engine import SessionFactory
from store.schema import AccountAdministrator, Customer, PhoneNumber, WlLedgerEntry
from tests.conftest import WhiteLabelFixture, customer_request, free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")
run = ActivityEnvironment().run


async def create_account(sessions: SessionFactory, white_label: WhiteLabelFixture) -> uuid.UUID:
    customer_id = uuid.uuid4()
    await run(
        AccountActivities(sessions).create_account,
        CreateAccountInput(
            customer_id=customer_id,
            white_label_id=white_label.id,
            created_by_user_id=white_label.admin_user_id,
            request=CreateCustomerRequest.model_validate(customer_request()),
            status=CustomerStatus.PROVISIONING,
        ),
    )
    return customer_id


async def count(sessions: SessionFactory, query: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def test_create_account_twice_creates_one_customer(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    data = CreateAccountInput(
        customer_id=uuid.uuid4(),
        white_label_id=white_label.id,
        created_by_user_id=white_label.admin_user_id,
        request=CreateCustomerRequest.model_validate(customer_request()),
        status=CustomerStatus.PROVISIONING,
    )
    first = await run(AccountActivities(sessions).create_account, data)
    second = await run(AccountActivities(sessions).create_account, data)

    assert first == second
    assert (
        await count(sessions, select(func.count()).where(Customer.white_label_id == white_label.id))
        == 1
    )


async def test_create_account_refuses_an_unknown_plan(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    data = CreateAccountInput(
        customer_id=uuid.uuid4(),
        white_label_id=white_label.id,
        created_by_user_id=white_label.admin_user_id,
        request=CreateCustomerRequest.model_validate(customer_request(plan_code="gold")),
        status=CustomerStatus.PROVISIONING,
    )
    with pytest.raises(ApplicationError) as refused:
        await run(AccountActivities(sessions).create_account, data)

    assert refused.value.type == "PlanUnknown"
    assert refused.value.non_retryable


async def test_debit_run_twice_writes_one_ledger_entry(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await create_account(sessions, white_label)
    debit = DebitInput(customer_id=customer_id, white_label_id=white_label.id)

    first = await run(LedgerActivities(sessions).debit_signup_charges, debit)
    second = await run(LedgerActivities(sessions).debit_signup_charges, debit)

    assert first == second
    assert first.amount == Decimal("74.00")
    assert (
        await count(sessions, select(func.count()).where(WlLedgerEntry.customer_id == customer_id))
        == 1
    )


async def test_reversal_run_twice_cancels_the_charge_once(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await create_account(sessions, white_label)
    ledger = LedgerActivities(sessions)
    await run(
        ledger.debit_signup_charges,
        DebitInput(customer_id=customer_id, white_label_id=white_label.id),
    )

    await run(ledger.reverse_signup_charges, CustomerRef(customer_id=customer_id))
    await run(ledger.reverse_signup_charges, CustomerRef(customer_id=customer_id))

    async with sessions() as session:
        amounts = sorted(
            await session.scalars(
                select(WlLedgerEntry.amount).where(WlLedgerEntry.customer_id == customer_id)
            )
        )
    assert amounts == [Decimal("-74.00"), Decimal("74.00")]


async def test_allocating_twice_returns_the_same_numbers(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await create_account(sessions, white_label)
    request = AllocateNumbersInput(customer_id=customer_id, white_label_id=white_label.id, count=3)

    first = await run(NumberActivities(sessions).allocate_numbers, request)
    second = await run(NumberActivities(sessions).allocate_numbers, request)

    assert first.numbers == second.numbers == white_label.numbers[:3]
    assert (
        await count(sessions, select(func.count()).where(PhoneNumber.customer_id == customer_id))
        == 3
    )


async def test_released_numbers_can_be_allocated_again(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    numbers = NumberActivities(sessions)
    first_customer = await create_account(sessions, white_label)
    second_customer = await create_account(sessions, white_label)
    await run(
        numbers.allocate_numbers,
        AllocateNumbersInput(
            customer_id=first_customer,
            white_label_id=white_label.id,
            count=len(white_label.numbers),
        ),
    )

    await run(numbers.release_numbers, CustomerRef(customer_id=first_customer))
    again = await run(
        numbers.allocate_numbers,
        AllocateNumbersInput(
            customer_id=second_customer,
            white_label_id=white_label.id,
            numbers=[white_label.numbers[0]],
        ),
    )

    assert again.numbers == [white_label.numbers[0]]


async def test_adding_the_administrator_twice_keeps_one_row(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await create_account(sessions, white_label)
    data = AdministratorInput(customer_id=customer_id, wl_user_id=white_label.admin_user_id)

    await run(AccountActivities(sessions).add_wl_administrator, data)
    await run(AccountActivities(sessions).add_wl_administrator, data)

    assert (
        await count(
            sessions,
            select(func.count()).where(AccountAdministrator.customer_id == customer_id),
        )
        == 1
    )


async def test_pbx_caller_id_must_be_one_of_the_customers_numbers(
    sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    customer_id = await create_account(sessions, white_label)
    settings = PbxSettings.model_validate(
        {"timezone": "Pacific/Auckland", "outbound_caller_id": white_label.numbers[1]}
    )

    with pytest.raises(ApplicationError) as refused:
        await run(
            PbxActivities(sessions).apply_pbx_settings,
            ApplyPbxSettingsInput(
                customer_id=customer_id, settings=settings, numbers=[white_label.numbers[0]]
            ),
        )

    assert refused.value.type == "InvalidPbxSettings"
    assert "outbound_caller_id" in refused.value.message


async def test_confirmation_email_sent_twice_is_delivered_once(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    settings: Settings,
    mail_sink: MailSink,
) -> None:
    customer_id = await create_account(sessions, white_label)
    mailer = SmtpMailer(SmtpSettings(host=settings.smtp_host, port=settings.smtp_port))
    email = EmailActivities(sessions, mailer, settings.mail_from)

    await run(email.send_wl_confirmation, CustomerRef(customer_id=customer_id))
    await run(email.send_wl_confirmation, CustomerRef(customer_id=customer_id))

    [message] = mail_sink.to(white_label.admin_email)
    assert message["Message-ID"] == f"<customer-{customer_id}.email.wl_confirmation@wl.example.com>"
    assert message["From"].startswith("Reseller ")


class RejectingHandler:
    async def handle_RCPT(
        self, _server: Any, _session: Any, _envelope: Any, _address: str, _options: Any
    ) -> str:
        return "550 5.1.1 mailbox unavailable"


def a_message() -> Any:
    return build_message(
        sender="Provisioning <provisioning@wl.example.com>",
        brand=effective_brand(str(uuid.uuid4()), "Reseller", BrandSettings()),
        recipient="someone@example.com",
        subject="Test",
        template="wl_confirmation",
        message_id="<test@wl.example.com>",
        context={"numbers": []},
    )


async def test_a_permanent_smtp_refusal_is_not_retried() -> None:
    controller = Controller(RejectingHandler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=controller.port))
        with pytest.raises(ApplicationError) as refused:
            await mailer.send(a_message())
    finally:
        controller.stop()

    assert refused.value.type == "EmailRejected"
    assert refused.value.non_retryable
    assert "550" in refused.value.message


async def test_an_smtp_server_that_is_down_is_a_retryable_error() -> None:
    mailer = SmtpMailer(SmtpSettings(host="127.0.0.1", port=free_port(), timeout_seconds=2))

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await mailer.send(a_message())
