"""The customer account record and its Account Administrators."""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.refusals import refuse
from domain.enums import AdministratorKind, CustomerStatus
from domain.errors import BusinessError
from domain.handover import HandoverClosedInput
from domain.self_serve import MarkStatusInput
from domain.signup import (
    AccountCreated,
    AdministratorInput,
    CreateAccountInput,
    CustomerRef,
    MarkFailedInput,
)
from store import audit
from store.engine import SessionFactory
from store.schema import AccountAdministrator, Customer, Plan, WlUser, utcnow


async def _load_customer(session: AsyncSession, ref: CustomerRef) -> Customer:
    customer = await session.get(Customer, ref.customer_id)
    if customer is None:
        raise LookupError(f"customer {ref.customer_id} does not exist")
    return customer


def _contact_email(customer: Customer) -> str:
    email = (customer.contact or {}).get("email")
    if not email:
        raise RuntimeError(f"customer {customer.id} has no contact email")
    return str(email)


async def add_wl_administrator_in(session: AsyncSession, data: AdministratorInput) -> None:
    """Inside the caller's transaction, so a conversion adds the role with everything else."""
    customer = await _load_customer(session, CustomerRef(customer_id=data.customer_id))
    user = await session.get_one(WlUser, data.wl_user_id)
    exists = await session.scalar(
        select(AccountAdministrator.id).where(
            AccountAdministrator.customer_id == customer.id,
            AccountAdministrator.email == user.email,
        )
    )
    if exists is not None:
        return
    session.add(
        AccountAdministrator(
            customer_id=customer.id,
            kind=AdministratorKind.WL_ADMINISTRATOR.value,
            email=user.email,
            wl_user_id=user.id,
        )
    )
    audit.record(
        session,
        white_label_id=customer.white_label_id,
        customer_id=customer.id,
        action="account_administrator.added",
        detail={
            "kind": AdministratorKind.WL_ADMINISTRATOR.value,
            "wl_user_id": str(user.id),
        },
    )


class AccountActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def create_account(self, data: CreateAccountInput) -> AccountCreated:
        async with self._sessions.begin() as session:
            customer = await session.get(Customer, data.customer_id)
            if customer is not None:
                plan = await session.get_one(Plan, customer.plan_id)
                return AccountCreated(
                    customer_id=customer.id,
                    plan_id=plan.id,
                    plan_code=plan.code,
                    currency=plan.currency,
                    amount_due=plan.initial_funding,
                )
            plan_or_none = await session.scalar(
                select(Plan).where(
                    Plan.white_label_id == data.white_label_id,
                    Plan.code == data.request.plan_code,
                )
            )
            if plan_or_none is None:
                raise refuse(
                    BusinessError.PLAN_UNKNOWN,
                    f"plan_code: this white label has no plan {data.request.plan_code!r}",
                )
            request = data.request
            session.add(
                Customer(
                    id=data.customer_id,
                    white_label_id=data.white_label_id,
                    path=request.path.value,
                    status=data.status.value,
                    contact=request.contact.model_dump(mode="json"),
                    business=request.business.model_dump(mode="json"),
                    address=request.address.model_dump(mode="json"),
                    service_address=request.effective_service_address.model_dump(mode="json"),
                    plan_id=plan_or_none.id,
                    created_by_user_id=data.created_by_user_id,
                    activation_expires_at=data.activation_expires_at,
                )
            )
            audit.record(
                session,
                white_label_id=data.white_label_id,
                customer_id=data.customer_id,
                actor=f"wl_user:{data.created_by_user_id}",
                action="customer.created",
                detail={"path": request.path.value, "plan_code": plan_or_none.code},
            )
        activity.logger.info(
            "customer account created", extra={"customer_id": str(data.customer_id)}
        )
        return AccountCreated(
            customer_id=data.customer_id,
            plan_id=plan_or_none.id,
            plan_code=plan_or_none.code,
            currency=plan_or_none.currency,
            amount_due=plan_or_none.initial_funding,
        )

    @activity.defn
    async def add_wl_administrator(self, data: AdministratorInput) -> None:
        """Makes the requesting WL administrator the customer's Account Administrator."""
        async with self._sessions.begin() as session:
            await add_wl_administrator_in(session, data)

    @activity.defn
    async def remove_account_administrators(self, ref: CustomerRef) -> None:
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, ref)
            removed = await session.execute(
                delete(AccountAdministrator).where(AccountAdministrator.customer_id == customer.id)
            )
            if removed.rowcount:  # type: ignore[attr-defined]
                audit.record(
                    session,
                    white_label_id=customer.white_label_id,
                    customer_id=customer.id,
                    action="account_administrator.removed",
                )

    @activity.defn
    async def add_contact_administrator(self, ref: CustomerRef) -> None:
        """The authorized contact administers the account they activated and paid for."""
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, ref)
            email = _contact_email(customer)
            exists = await session.scalar(
                select(AccountAdministrator.id).where(
                    AccountAdministrator.customer_id == customer.id,
                    AccountAdministrator.email == email,
                )
            )
            if exists is not None:
                return
            session.add(
                AccountAdministrator(
                    customer_id=customer.id,
                    kind=AdministratorKind.CUSTOMER_CONTACT.value,
                    email=email,
                )
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action="account_administrator.added",
                detail={"kind": AdministratorKind.CUSTOMER_CONTACT.value},
            )

    @activity.defn
    async def hand_over_administration(self, ref: CustomerRef) -> None:
        """The authorized contact accepted the invitation: they become Account Administrator
        and the WL's administrators step down, in one transaction."""
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, ref)
            email = _contact_email(customer)
            admins = list(
                await session.scalars(
                    select(AccountAdministrator).where(
                        AccountAdministrator.customer_id == customer.id
                    )
                )
            )
            if any(admin.kind == AdministratorKind.CUSTOMER_CONTACT.value for admin in admins):
                return  # a retry after the commit
            await session.execute(
                delete(AccountAdministrator).where(
                    AccountAdministrator.customer_id == customer.id,
                    AccountAdministrator.kind == AdministratorKind.WL_ADMINISTRATOR.value,
                )
            )
            session.add(
                AccountAdministrator(
                    customer_id=customer.id,
                    kind=AdministratorKind.CUSTOMER_CONTACT.value,
                    email=email,
                )
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                actor=audit.CUSTOMER_CONTACT_ACTOR,
                action="account_administrator.handed_over",
                detail={
                    "kind": AdministratorKind.CUSTOMER_CONTACT.value,
                    "replaced": len(admins),
                },
            )

    @activity.defn
    async def record_handover_closed(self, data: HandoverClosedInput) -> None:
        """An invitation that expired or was withdrawn, in the audit trail (once)."""
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, CustomerRef(customer_id=data.customer_id))
            await audit.record_once(
                session,
                dedupe_key=f"{activity.info().workflow_run_id}:handover:{data.state.value}",
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action=f"handover.{data.state.value}",
            )

    @activity.defn
    async def mark_status(self, data: MarkStatusInput) -> None:
        """A status change that needs nothing else: awaiting payment, expired, cancelled."""
        status = CustomerStatus(data.status)
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, CustomerRef(customer_id=data.customer_id))
            if customer.status == status.value:
                return
            await session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(status=status.value, updated_at=utcnow())
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action=f"customer.{status.value}",
            )

    @activity.defn
    async def mark_active(self, ref: CustomerRef) -> None:
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, ref)
            if customer.status == CustomerStatus.ACTIVE:
                return
            now = utcnow()
            await session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(status=CustomerStatus.ACTIVE.value, activated_at=now, updated_at=now)
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action="customer.active",
            )

    @activity.defn
    async def mark_failed(self, data: MarkFailedInput) -> None:
        async with self._sessions.begin() as session:
            customer = await _load_customer(session, CustomerRef(customer_id=data.customer_id))
            if customer.status == CustomerStatus.FAILED:
                return
            await session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(
                    status=CustomerStatus.FAILED.value,
                    failure_type=data.failure_type,
                    failure_message=data.message,
                    updated_at=utcnow(),
                )
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                action="customer.failed",
                detail={"type": data.failure_type, "message": data.message},
            )
