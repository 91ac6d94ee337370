"""What a WL administrator sends to create a customer, and what the API shows back."""

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_extra_types.country import CountryAlpha2
from pydantic_extra_types.phone_numbers import PhoneNumberValidator
from pydantic_extra_types.timezone_name import TimeZoneName

from domain.enums import AdministratorKind, BillingMode, CustomerStatus, SignupPath
from domain.examples import WL_MANAGED_REQUEST
from domain.money import Amount
from domain.signup_paths import CONFIGURED_AT_SIGNUP
from domain.text import Printable

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Printable
]
Line = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Printable
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), Printable
]
PHONE_INPUT_MAX = 32


def _phone_input_bounded(value: object) -> object:
    """Bounds the raw input: the phone parser accepts spaces and punctuation around digits."""
    if isinstance(value, str) and len(value) > PHONE_INPUT_MAX:
        raise ValueError(f"at most {PHONE_INPUT_MAX} characters")
    return value


E164 = Annotated[
    str,
    PhoneNumberValidator(number_format="E164"),
    BeforeValidator(_phone_input_bounded),
    Field(max_length=PHONE_INPUT_MAX),
]
PlanCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{1,40}$")
]
LanguageTag = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
]
ExtensionNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,6}$")]


class Strict(BaseModel):
    """Unknown fields are refused so that a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Contact(Strict):
    first_name: Name
    last_name: Name
    email: EmailStr = Field(max_length=254)
    phone: E164


class Business(Strict):
    name: Line
    registration_number: ShortText | None = None
    tax_id: ShortText | None = None
    industry: Line | None = None
    website: Line | None = None


class Address(Strict):
    line1: Line
    line2: Line | None = None
    city: Name
    region: Name | None = None
    postal_code: ShortText
    country: CountryAlpha2


class NumberCount(Strict):
    """Take this many numbers from the WL's available pool."""

    count: int = Field(ge=1, le=100)


class NumberList(Strict):
    """Take exactly these numbers from the WL's inventory."""

    numbers: list[E164] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        if len(set(self.numbers)) != len(self.numbers):
            raise ValueError("numbers must not repeat")
        return self


class Extension(Strict):
    number: ExtensionNumber
    name: Name
    email: EmailStr | None = Field(default=None, max_length=254)


class PbxSettings(Strict):
    timezone: TimeZoneName
    language: LanguageTag = "en"
    outbound_caller_id: E164 | None = Field(
        default=None,
        description="One of the customer's numbers; defaults to the first allocated number.",
    )
    voicemail: bool = True
    call_recording: bool = False
    extensions: list[Extension] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _unique_extensions(self) -> Self:
        numbers = [extension.number for extension in self.extensions]
        if len(set(numbers)) != len(numbers):
            raise ValueError("extension numbers must not repeat")
        return self


def caller_id_among_numbers(
    settings: PbxSettings, numbers: NumberCount | NumberList | None
) -> PbxSettings:
    """The outbound caller id must be a number the same request adds to the account."""
    caller_id = settings.outbound_caller_id
    if caller_id is not None:
        if numbers is None:
            raise ValueError("outbound_caller_id needs numbers in the same request")
        if isinstance(numbers, NumberList) and caller_id not in numbers.numbers:
            raise ValueError("outbound_caller_id must be one of the requested numbers")
    return settings


def _configured_at_signup(info: ValidationInfo) -> bool:
    """Whether the request's path lets the administrator add numbers and PBX settings now."""
    path = info.data.get("path")
    return path is None or path in CONFIGURED_AT_SIGNUP


def _configuring_paths() -> str:
    return " or ".join(path.value for path in CONFIGURED_AT_SIGNUP)


class CreateCustomerRequest(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [WL_MANAGED_REQUEST]})

    path: SignupPath
    contact: Contact
    business: Business
    address: Address
    service_address: Address | None = Field(
        default=None, description="Defaults to `address` when omitted."
    )
    plan_code: PlanCode
    numbers: NumberCount | NumberList | None = None
    pbx_settings: PbxSettings | None = None

    @field_validator("numbers")
    @classmethod
    def _numbers_only_when_managed(
        cls, numbers: NumberCount | NumberList | None, info: ValidationInfo
    ) -> NumberCount | NumberList | None:
        if numbers is not None and not _configured_at_signup(info):
            raise ValueError(f"only a {_configuring_paths()} signup may add numbers")
        return numbers

    @field_validator("pbx_settings")
    @classmethod
    def _pbx_settings_fit_the_numbers(
        cls, settings: PbxSettings | None, info: ValidationInfo
    ) -> PbxSettings | None:
        if settings is None:
            return None
        if not _configured_at_signup(info):
            raise ValueError(f"only a {_configuring_paths()} signup may set PBX settings")
        return caller_id_among_numbers(settings, info.data.get("numbers"))

    @model_validator(mode="after")
    def _service_address_defaults_to_address(self) -> Self:
        if self.service_address is None:
            self.service_address = self.address.model_copy()
        return self

    @property
    def effective_service_address(self) -> Address:
        return self.service_address or self.address


class AccountAdministratorView(BaseModel):
    email: str
    kind: AdministratorKind


class BillingView(BaseModel):
    mode: BillingMode
    charged: Amount
    currency: str
    balance: Amount | None = Field(
        default=None, description="The customer's prepaid balance (self-serve accounts)."
    )


class FailureView(BaseModel):
    type: str
    message: str


class WorkflowLink(BaseModel):
    id: str
    temporal_ui_url: str | None = Field(
        default=None,
        description="the operators' Temporal UI page; only where TEMPORAL_UI_URL is set",
    )


class CustomerView(BaseModel):
    customer_id: UUID
    white_label_id: UUID
    path: SignupPath
    status: CustomerStatus
    contact: Contact | None
    business: Business | None
    address: Address | None
    service_address: Address | None
    plan_code: str
    numbers: list[str]
    account_administrators: list[AccountAdministratorView]
    billing: BillingView
    pbx_settings: PbxSettings | None
    created_at: datetime
    activated_at: datetime | None
    activation_expires_at: datetime | None
    contact_erased_at: datetime | None = Field(
        default=None,
        description="When contact, business and addresses of this abandoned signup were erased.",
    )
    failure: FailureView | None
    workflow: WorkflowLink


class CustomerList(BaseModel):
    customers: list[CustomerView]
