"""Converting a pending self-serve signup into a WL-managed account.

The conversion is one database transaction (activities.conversion): the white label is
debited, the requesting administrator becomes Account Administrator, numbers and PBX settings
are applied and the account turns active together; after a refusal none of it happened and
the signup is still pending, its link working as before.
"""

from uuid import UUID

from pydantic import BaseModel, ValidationInfo, field_validator

from domain.customer import NumberCount, NumberList, PbxSettings, Strict, caller_id_among_numbers


class ConvertToWlManagedRequest(Strict):
    """What a WL administrator may add while taking the signup over; both are optional."""

    numbers: NumberCount | NumberList | None = None
    pbx_settings: PbxSettings | None = None

    @field_validator("pbx_settings")
    @classmethod
    def _caller_id_among_numbers(
        cls, settings: PbxSettings | None, info: ValidationInfo
    ) -> PbxSettings | None:
        if settings is None:
            return None
        return caller_id_among_numbers(settings, info.data.get("numbers"))


class ConvertSignup(BaseModel):
    """The `convert_to_wl_managed` update of a self-serve signup."""

    requested_by_user_id: UUID
    request: ConvertToWlManagedRequest


class ConvertAccountInput(BaseModel):
    customer_id: UUID
    white_label_id: UUID
    requested_by_user_id: UUID
    request: ConvertToWlManagedRequest


class ConversionResult(BaseModel):
    customer_id: UUID
    numbers: list[str]
