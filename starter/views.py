"""The customer view the API and the CLI show, assembled from the store."""

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.customer import (
    AccountAdministratorView,
    Address,
    BillingView,
    Business,
    Contact,
    CustomerView,
    FailureView,
    PbxSettings,
    WorkflowLink,
)
from domain.enums import AdministratorKind, BillingMode, CustomerStatus, SignupPath
from domain.settings import Settings
from domain.signup import workflow_id_for
from domain.signup_paths import SIGNUP_PATHS
from store.schema import (
    AccountAdministrator,
    Customer,
    CustomerBalanceEntry,
    CustomerPbxSettings,
    Payment,
    PhoneNumber,
    Plan,
    WlLedgerEntry,
)


def _billing(
    path: SignupPath, currency: str, wl_charged: Decimal, card_paid: Decimal, balance: Decimal
) -> BillingView:
    """WL-managed accounts are billed to the WL; self-serve ones are funded by card."""
    if SIGNUP_PATHS[path].billing is BillingMode.WL_ACCOUNT:
        return BillingView(mode=BillingMode.WL_ACCOUNT, charged=wl_charged, currency=currency)
    return BillingView(
        mode=BillingMode.CUSTOMER_CARD, charged=card_paid, currency=currency, balance=balance
    )


async def customer_views(
    session: AsyncSession, customers: Sequence[Customer], settings: Settings
) -> list[CustomerView]:
    """Views of several customers in a fixed number of queries, not one round per customer."""
    ids = [customer.id for customer in customers]
    if not ids:
        return []
    plans = {
        plan.id: plan
        for plan in await session.scalars(
            select(Plan).where(Plan.id.in_({customer.plan_id for customer in customers}))
        )
    }
    numbers: dict[uuid.UUID | None, list[str]] = {}
    for customer_id, e164 in await session.execute(
        select(PhoneNumber.customer_id, PhoneNumber.e164)
        .where(PhoneNumber.customer_id.in_(ids))
        .order_by(PhoneNumber.e164)
    ):
        numbers.setdefault(customer_id, []).append(e164)
    admins: dict[uuid.UUID, list[AccountAdministratorView]] = {}
    for admin in await session.scalars(
        select(AccountAdministrator)
        .where(AccountAdministrator.customer_id.in_(ids))
        .order_by(AccountAdministrator.created_at)
    ):
        admins.setdefault(admin.customer_id, []).append(
            AccountAdministratorView(email=admin.email, kind=AdministratorKind(admin.kind))
        )
    charged: dict[uuid.UUID | None, Decimal] = {
        customer_id: Decimal(total).quantize(Decimal("0.01"))
        for customer_id, total in await session.execute(
            select(WlLedgerEntry.customer_id, func.sum(WlLedgerEntry.amount))
            .where(WlLedgerEntry.customer_id.in_(ids))
            .group_by(WlLedgerEntry.customer_id)
        )
    }
    paid: dict[uuid.UUID, Decimal] = {
        customer_id: Decimal(total).quantize(Decimal("0.01"))
        for customer_id, total in await session.execute(
            select(Payment.customer_id, func.sum(Payment.amount))
            .where(Payment.customer_id.in_(ids), Payment.refunded_at.is_(None))
            .group_by(Payment.customer_id)
        )
    }
    balances: dict[uuid.UUID, Decimal] = {
        customer_id: Decimal(total).quantize(Decimal("0.01"))
        for customer_id, total in await session.execute(
            select(CustomerBalanceEntry.customer_id, func.sum(CustomerBalanceEntry.amount))
            .where(CustomerBalanceEntry.customer_id.in_(ids))
            .group_by(CustomerBalanceEntry.customer_id)
        )
    }
    pbx = {
        row.customer_id: row.settings
        for row in await session.scalars(
            select(CustomerPbxSettings).where(CustomerPbxSettings.customer_id.in_(ids))
        )
    }
    views = []
    for customer in customers:
        plan = plans[customer.plan_id]
        path = SignupPath(customer.path)
        workflow_id = workflow_id_for(customer.id)
        views.append(
            CustomerView(
                customer_id=customer.id,
                white_label_id=customer.white_label_id,
                path=path,
                status=CustomerStatus(customer.status),
                contact=Contact.model_validate(customer.contact) if customer.contact else None,
                business=Business.model_validate(customer.business) if customer.business else None,
                address=Address.model_validate(customer.address) if customer.address else None,
                service_address=Address.model_validate(customer.service_address)
                if customer.service_address
                else None,
                plan_code=plan.code,
                numbers=numbers.get(customer.id, []),
                account_administrators=admins.get(customer.id, []),
                billing=_billing(
                    path,
                    plan.currency,
                    charged.get(customer.id, Decimal("0.00")),
                    paid.get(customer.id, Decimal("0.00")),
                    balances.get(customer.id, Decimal("0.00")),
                ),
                pbx_settings=PbxSettings.model_validate(pbx[customer.id])
                if customer.id in pbx
                else None,
                created_at=customer.created_at,
                activated_at=customer.activated_at,
                activation_expires_at=customer.activation_expires_at
                if SIGNUP_PATHS[path].waits_for_customer
                else None,
                contact_erased_at=customer.contact_erased_at,
                failure=FailureView(
                    type=customer.failure_type, message=customer.failure_message or ""
                )
                if customer.failure_type
                else None,
                workflow=WorkflowLink(
                    id=workflow_id, temporal_ui_url=settings.shown_temporal_ui_link(workflow_id)
                ),
            )
        )
    return views


async def customer_view(
    session: AsyncSession, customer_id: uuid.UUID, white_label_id: uuid.UUID, settings: Settings
) -> CustomerView | None:
    """The customer if it belongs to this white label; another WL's customer is not found."""
    customer = await session.scalar(
        select(Customer).where(
            Customer.id == customer_id, Customer.white_label_id == white_label_id
        )
    )
    if customer is None:
        return None
    return (await customer_views(session, [customer], settings))[0]
