"""Turning a pending self-serve signup into a WL-managed account, in one transaction.

Each part is the same code a WL-managed signup runs as its own step (debit, Account
Administrator, numbers, PBX settings), here run inside a single transaction: a refusal by any
part rolls back all the others, so there is nothing to compensate and the signup is left
exactly as it was.
"""

from sqlalchemy import select, update
from temporalio import activity

from activities.accounts import add_wl_administrator_in
from activities.ledger import debit_signup_charges_in
from activities.numbers import allocate_numbers_in
from activities.pbx import apply_pbx_settings_in
from activities.refusals import refuse
from domain.conversion import ConversionResult, ConvertAccountInput
from domain.customer import NumberCount, NumberList
from domain.enums import CustomerStatus, SignupPath
from domain.errors import BusinessError
from domain.signup import (
    AdministratorInput,
    AllocateNumbersInput,
    ApplyPbxSettingsInput,
    DebitInput,
)
from store import audit
from store.engine import SessionFactory
from store.schema import Customer, PhoneNumber, utcnow

CONVERTIBLE = {CustomerStatus.AWAITING_ACTIVATION.value, CustomerStatus.AWAITING_PAYMENT.value}


class ConversionActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def convert_to_wl_managed(self, data: ConvertAccountInput) -> ConversionResult:
        async with self._sessions.begin() as session:
            customer = await session.get_one(Customer, data.customer_id)
            if customer.path == SignupPath.WL_MANAGED.value:
                # A retry after the transaction committed: report what it did.
                held = await session.scalars(
                    select(PhoneNumber.e164)
                    .where(PhoneNumber.customer_id == customer.id)
                    .order_by(PhoneNumber.e164)
                )
                return ConversionResult(customer_id=customer.id, numbers=list(held))
            if customer.status not in CONVERTIBLE:
                raise refuse(
                    BusinessError.SIGNUP_NOT_PENDING,
                    f"cannot convert: the signup is {customer.status}",
                )
            previous_status = customer.status
            request = data.request
            await debit_signup_charges_in(
                session, DebitInput(customer_id=customer.id, white_label_id=data.white_label_id)
            )
            await add_wl_administrator_in(
                session,
                AdministratorInput(customer_id=customer.id, wl_user_id=data.requested_by_user_id),
            )
            numbers: list[str] = []
            if request.numbers is not None:
                allocated = await allocate_numbers_in(
                    session,
                    AllocateNumbersInput(
                        customer_id=customer.id,
                        white_label_id=data.white_label_id,
                        count=request.numbers.count
                        if isinstance(request.numbers, NumberCount)
                        else None,
                        numbers=request.numbers.numbers
                        if isinstance(request.numbers, NumberList)
                        else None,
                    ),
                )
                numbers = allocated.numbers
            if request.pbx_settings is not None:
                await apply_pbx_settings_in(
                    session,
                    ApplyPbxSettingsInput(
                        customer_id=customer.id, settings=request.pbx_settings, numbers=numbers
                    ),
                )
            now = utcnow()
            await session.execute(
                update(Customer)
                .where(Customer.id == customer.id)
                .values(
                    path=SignupPath.WL_MANAGED.value,
                    status=CustomerStatus.ACTIVE.value,
                    activation_expires_at=None,
                    activated_at=now,
                    updated_at=now,
                )
            )
            actor = f"wl_user:{data.requested_by_user_id}"
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                actor=actor,
                action="customer.converted",
                detail={"path": SignupPath.WL_MANAGED.value, "from_status": previous_status},
            )
            audit.record(
                session,
                white_label_id=customer.white_label_id,
                customer_id=customer.id,
                actor=actor,
                action="customer.active",
                detail={"path": SignupPath.WL_MANAGED.value},
            )
        activity.logger.info(
            "self-serve signup converted to WL-managed",
            extra={"customer_id": str(data.customer_id)},
        )
        return ConversionResult(customer_id=data.customer_id, numbers=numbers)
