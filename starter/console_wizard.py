"""The console's "Create new customer" form, step by step, checked by the API's own model.

The form's fields are named by the paths the API's 422 names (`contact.email`,
`pbx_settings.extensions.0.name`), so one validation of `CreateCustomerRequest` gives every
error its field and the same message the API would. Each step shows the errors of its own
fields and of the steps before it; the fields of later steps are not asked for yet. The form
carries what earlier steps entered as hidden fields, so it needs no server-side draft and works
without JavaScript.
"""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from domain.conversion import ConvertToWlManagedRequest
from domain.customer import CreateCustomerRequest
from domain.enums import SignupPath
from domain.validation import field_message, field_path

STEP_TITLES = (
    "Choose who completes the signup",
    "Contact and business information",
    "Address details; Service address details",
    "Plan and Payment",
    "Review",
)
LAST_STEP = len(STEP_TITLES)
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
BUSINESS_FIELDS = ("name", "registration_number", "tax_id", "industry", "website")
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")
PBX_TEXT_FIELDS = ("timezone", "language")
PBX_FLAGS = ("voicemail", "call_recording")
FLAG_DEFAULTS = {"voicemail": True, "call_recording": False}
SERVICE_SAME = "service_same"
FORM_KEY = "form_key"
MAX_EXTENSIONS = 50
FIELD_STEPS = {
    "path": 1,
    "contact": 2,
    "business": 2,
    "address": 3,
    "service_address": 3,
    "plan_code": 4,
    "numbers": 4,
    "pbx_settings": 4,
}

FormValues = Mapping[str, str | Sequence[str]]


def _text(values: FormValues, name: str) -> str:
    value = values.get(name, "")
    if not isinstance(value, str):
        value = value[0] if value else ""
    return value.strip()


def _all(values: FormValues, name: str) -> list[str]:
    value = values.get(name, [])
    return [value] if isinstance(value, str) else list(value)


@dataclass
class Extension:
    number: str = ""
    name: str = ""


@dataclass
class WizardForm:
    """What the administrator has entered so far, as text, exactly as the form shows it."""

    form_key: str
    path: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    business: dict[str, str] = field(default_factory=dict)
    address: dict[str, str] = field(default_factory=dict)
    service_same: bool = True
    service_address: dict[str, str] = field(default_factory=dict)
    plan_code: str = ""
    number_count: str = ""
    picked_numbers: list[str] = field(default_factory=list)
    pbx: dict[str, str] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=lambda: dict(FLAG_DEFAULTS))
    extensions: list[Extension] = field(default_factory=lambda: [Extension()])

    @classmethod
    def fresh(cls) -> "WizardForm":
        """A new form with its own idempotency key: posting it twice creates one customer."""
        return cls(form_key=secrets.token_urlsafe(16), pbx={"language": "en"})

    @classmethod
    def from_values(cls, values: FormValues) -> "WizardForm":
        form = cls(form_key=_text(values, FORM_KEY)[:40] or secrets.token_urlsafe(16))
        form.path = _text(values, "path")
        form.contact = {name: _text(values, f"contact.{name}") for name in CONTACT_FIELDS}
        form.business = {name: _text(values, f"business.{name}") for name in BUSINESS_FIELDS}
        form.address = {name: _text(values, f"address.{name}") for name in ADDRESS_FIELDS}
        # A checkbox sends nothing when unchecked, so the form says that it was on the page.
        if _text(values, f"{SERVICE_SAME}_shown"):
            form.service_same = _text(values, SERVICE_SAME) in {"on", "true"}
        form.service_address = {
            name: _text(values, f"service_address.{name}") for name in ADDRESS_FIELDS
        }
        form.plan_code = _text(values, "plan_code")
        form.number_count = _text(values, "numbers.count")
        form.picked_numbers = [number for number in _all(values, "numbers.numbers") if number][:100]
        form.pbx = {name: _text(values, f"pbx_settings.{name}") for name in PBX_TEXT_FIELDS}
        if _text(values, "pbx_settings_shown"):
            form.flags = {
                name: _text(values, f"pbx_settings.{name}") in {"on", "true"} for name in PBX_FLAGS
            }
        form.extensions = [
            Extension(
                number=_text(values, f"pbx_settings.extensions.{index}.number"),
                name=_text(values, f"pbx_settings.extensions.{index}.name"),
            )
            for index in range(MAX_EXTENSIONS)
            if f"pbx_settings.extensions.{index}.number" in values
        ] or [Extension()]
        return form

    @property
    def wl_managed(self) -> bool:
        return self.path == SignupPath.WL_MANAGED.value

    def hidden_fields(self) -> list[tuple[str, str]]:
        """Every value as a (name, value) pair, for the steps that do not show them."""
        pairs = [(FORM_KEY, self.form_key), ("path", self.path)]
        pairs += [(f"contact.{name}", value) for name, value in self.contact.items()]
        pairs += [(f"business.{name}", value) for name, value in self.business.items()]
        pairs += [(f"address.{name}", value) for name, value in self.address.items()]
        pairs += [
            (f"{SERVICE_SAME}_shown", "1"),
            (SERVICE_SAME, "true" if self.service_same else "false"),
        ]
        pairs += [
            (f"service_address.{name}", value) for name, value in self.service_address.items()
        ]
        pairs += [("plan_code", self.plan_code), ("numbers.count", self.number_count)]
        pairs += [("numbers.numbers", number) for number in self.picked_numbers]
        pairs += [(f"pbx_settings.{name}", value) for name, value in self.pbx.items()]
        pairs += [("pbx_settings_shown", "1")]
        pairs += [
            (f"pbx_settings.{name}", "true" if on else "false") for name, on in self.flags.items()
        ]
        for index, extension in enumerate(self.extensions):
            pairs += [
                (f"pbx_settings.extensions.{index}.number", extension.number),
                (f"pbx_settings.extensions.{index}.name", extension.name),
            ]
        return pairs

    def edit_rows(self, button: str) -> bool:
        """Carries out an Add extension or Remove button; False for any other button."""
        if button == "add_extension":
            self.add_extension()
            return True
        if button.startswith("remove_extension:"):
            index = button.partition(":")[2]
            self.remove_extension(int(index) if index.isdigit() else -1)
            return True
        return False

    def add_extension(self) -> None:
        if len(self.extensions) < MAX_EXTENSIONS:
            self.extensions.append(Extension())

    def remove_extension(self, index: int) -> None:
        if 0 <= index < len(self.extensions):
            del self.extensions[index]
        if not self.extensions:
            self.extensions.append(Extension())

    def _entered_extensions(self) -> list[Extension]:
        return [extension for extension in self.extensions if extension.number or extension.name]

    def request_body(self) -> dict[str, Any]:
        """The body the API would be sent; blank optional fields are left out."""

        def filled(values: dict[str, str]) -> dict[str, str]:
            return {name: value for name, value in values.items() if value}

        body: dict[str, Any] = filled({"path": self.path, "plan_code": self.plan_code})
        body |= {
            "contact": filled(self.contact),
            "business": filled(self.business),
            "address": filled(self.address),
        }
        if not self.service_same:
            body["service_address"] = filled(self.service_address)
        if not self.wl_managed:
            return body
        if self.number_count and self.picked_numbers:
            body["numbers"] = {"count": self.number_count, "numbers": self.picked_numbers}
        elif self.number_count:
            body["numbers"] = {"count": self.number_count}
        elif self.picked_numbers:
            body["numbers"] = {"numbers": self.picked_numbers}
        extensions = self._entered_extensions()
        if self.pbx.get("timezone") or extensions:
            body["pbx_settings"] = {
                **filled(self.pbx),
                **self.flags,
                "extensions": [
                    {"number": extension.number, "name": extension.name} for extension in extensions
                ],
            }
        return body

    def shown_extension_index(self, request_index: int) -> int:
        entered = self._entered_extensions()
        if request_index >= len(entered):
            return 0
        return self.extensions.index(entered[request_index])

    def extension_field(self, shown_index: int, name: str) -> str:
        """The request path of the extension shown in row `shown_index` (blank rows are not
        sent, so a row's index in the request may be smaller than on the page)."""
        entered = self._entered_extensions()
        extension = self.extensions[shown_index]
        if extension in entered:
            return f"pbx_settings.extensions.{entered.index(extension)}.{name}"
        return ""


LABELS = {
    "path": "Who completes the signup",
    "contact.first_name": "First name",
    "contact.last_name": "Last name",
    "contact.email": "Email",
    "contact.phone": "Phone",
    "business.name": "Business name",
    "business.registration_number": "Registration number",
    "business.tax_id": "Tax id",
    "business.industry": "Industry",
    "business.website": "Website",
    **{
        f"{prefix}.{name}": label
        if prefix == "address"
        else f"Service {label[0].lower()}{label[1:]}"
        for prefix in ("address", "service_address")
        for name, label in (
            ("line1", "Address line 1"),
            ("line2", "Address line 2"),
            ("city", "City"),
            ("region", "Region"),
            ("postal_code", "Postal code"),
            ("country", "Country"),
        )
    },
    "plan_code": "Plan",
    "numbers": "Numbers",
    "numbers.count": "Numbers",
    "numbers.numbers": "Picked numbers",
    "pbx_settings": "PBX settings",
    "pbx_settings.timezone": "Timezone",
    "pbx_settings.language": "Language",
    "pbx_settings.extensions": "Extensions",
}


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: the field's label, linked to the field."""

    anchor: str
    label: str
    message: str


def field_id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def summary_links(errors: Mapping[str, str], labels: Mapping[str, str]) -> list[ErrorLink]:
    """The error summary of a one-page form: each field's label and message, linked to it."""
    return [
        ErrorLink(field_id(name), labels.get(name, "The form"), message)
        for name, message in errors.items()
    ]


def error_links(form: WizardForm, errors: Mapping[str, str]) -> list[ErrorLink]:
    links = []
    for path, message in errors.items():
        parts = path.split(".")
        if len(parts) >= 4 and parts[:2] == ["pbx_settings", "extensions"] and parts[2].isdigit():
            shown = form.shown_extension_index(int(parts[2]))
            which = "number" if parts[3] == "number" else "name"
            links.append(
                ErrorLink(f"ext-{shown}-{which}", f"Extension {shown + 1} {which}", message)
            )
            continue
        links.append(ErrorLink(field_id(path), LABELS.get(path, path or "The form"), message))
    return links


@dataclass(frozen=True)
class Checked:
    request: CreateCustomerRequest | None
    errors: dict[str, str]
    """Field path -> the API's message for it; "" names the form as a whole."""


def check(form: WizardForm, up_to_step: int) -> Checked:
    """Validates the whole request once; keeps the errors of steps up to `up_to_step`."""
    try:
        return Checked(request=CreateCustomerRequest.model_validate(form.request_body()), errors={})
    except ValidationError as error:
        return Checked(request=None, errors=_errors_of(form, error, up_to_step))


def _errors_of(form: WizardForm, error: ValidationError, up_to_step: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    other_branch = _numbers_branch_not_asked_for(form)
    for item in error.errors():
        if other_branch and any(other_branch in str(part) for part in item["loc"]):
            continue
        path = field_path(item["loc"])
        if step_of(path) > up_to_step:
            continue
        errors.setdefault(path, field_message(item["msg"]))
    return errors


def check_conversion(form: WizardForm) -> tuple[ConvertToWlManagedRequest | None, dict[str, str]]:
    """The numbers and PBX settings of a conversion, checked by the API's conversion model."""
    form.path = SignupPath.WL_MANAGED.value
    body = form.request_body()
    wanted = {name: body[name] for name in ("numbers", "pbx_settings") if name in body}
    try:
        return ConvertToWlManagedRequest.model_validate(wanted), {}
    except ValidationError as error:
        return None, _errors_of(form, error, LAST_STEP)


def step_of(name: str) -> int:
    """The step that shows a field (0 for the form's key, on every step)."""
    if name == FORM_KEY:
        return 0
    if name.startswith(SERVICE_SAME):
        return FIELD_STEPS["service_address"]
    return FIELD_STEPS.get(name.partition(".")[0].removesuffix("_shown"), 1)


def _numbers_branch_not_asked_for(form: WizardForm) -> str | None:
    """Pydantic tries both shapes of `numbers` (a count, a list) and reports the errors of
    each; the form asked for one of them, so the other's errors are not about this form."""
    if form.number_count and not form.picked_numbers:
        return "NumberList"
    if form.picked_numbers and not form.number_count:
        return "NumberCount"
    return None
