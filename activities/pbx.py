"""PBX settings of a customer account, applied on the customer's behalf."""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.refusals import refuse
from domain.errors import BusinessError
from domain.signup import ApplyPbxSettingsInput, CustomerRef
from store import audit
from store.engine import SessionFactory
from store.schema import Customer, CustomerPbxSettings


async def apply_pbx_settings_in(session: AsyncSession, data: ApplyPbxSettingsInput) -> None:
    """The settings inside the caller's transaction: a refusal rolls back everything with it."""
    settings = data.settings
    caller_id = settings.outbound_caller_id
    if caller_id is None and data.numbers:
        settings = settings.model_copy(update={"outbound_caller_id": data.numbers[0]})
    elif caller_id is not None and caller_id not in data.numbers:
        raise refuse(
            BusinessError.INVALID_PBX_SETTINGS,
            "pbx_settings.outbound_caller_id: not one of the customer's numbers",
        )
    customer = await session.get_one(Customer, data.customer_id)
    stored = await session.get(CustomerPbxSettings, data.customer_id)
    values = settings.model_dump(mode="json")
    if stored is None:
        session.add(CustomerPbxSettings(customer_id=customer.id, settings=values))
    elif stored.settings != values:
        stored.settings = values
    else:
        return
    audit.record(
        session,
        white_label_id=customer.white_label_id,
        customer_id=customer.id,
        action="pbx_settings.applied",
        detail={"extensions": len(settings.extensions)},
    )


class PbxActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_pbx_settings(self, data: ApplyPbxSettingsInput) -> None:
        async with self._sessions.begin() as session:
            await apply_pbx_settings_in(session, data)

    @activity.defn
    async def remove_pbx_settings(self, ref: CustomerRef) -> None:
        """Compensation: the customer's PBX configuration is removed."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(CustomerPbxSettings).where(
                    CustomerPbxSettings.customer_id == ref.customer_id
                )
            )
