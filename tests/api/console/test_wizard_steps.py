"""The create form's one validation: the API's model, its errors shown step by step."""

from starter.console_wizard import WizardForm, check, error_links
from tests.conftest import customer_request
from tests.support.console_forms import flat_fields


def _form(**overrides: object) -> WizardForm:
    values: dict[str, list[str]] = {}
    for name, value in flat_fields(customer_request(**overrides)):
        values.setdefault(name, []).append(value)
    return WizardForm.from_values(values)


def test_a_complete_form_is_the_request_the_api_would_be_sent() -> None:
    body = customer_request(numbers={"count": 2})
    values: dict[str, list[str]] = {}
    for name, value in flat_fields(body):
        values.setdefault(name, []).append(value)

    checked = check(WizardForm.from_values(values), 5)

    assert checked.errors == {}
    assert checked.request is not None
    assert checked.request.contact.email == body["contact"]["email"]  # type: ignore[index]
    assert checked.request.numbers is not None
    assert checked.request.service_address == checked.request.address


def test_a_step_shows_its_own_errors_and_those_before_it_but_not_later_ones() -> None:
    form = _form()
    form.contact["email"] = "nope"
    form.address["city"] = ""
    form.plan_code = ""

    assert set(check(form, 2).errors) == {"contact.email"}
    assert set(check(form, 3).errors) == {"contact.email", "address.city"}
    assert set(check(form, 4).errors) == {"contact.email", "address.city", "plan_code"}


def test_a_bad_count_is_one_error_on_the_count_not_the_other_shape_of_numbers() -> None:
    form = _form(numbers={"count": 0})

    assert check(form, 4).errors == {"numbers.count": "Input should be greater than or equal to 1"}


def test_picked_numbers_that_repeat_are_named_as_the_api_names_them() -> None:
    form = _form(numbers={"numbers": ["+6495550100", "+6495550100"]})

    assert check(form, 4).errors == {"numbers": "numbers must not repeat"}


def test_blank_extension_rows_are_not_sent_and_errors_point_at_the_row_shown() -> None:
    form = _form()
    form.pbx["timezone"] = "Pacific/Auckland"
    form.add_extension()
    form.add_extension()
    form.extensions[2].number = "1"  # too short; rows 0 and 1 stay blank
    form.extensions[2].name = "Sales"

    errors = check(form, 4).errors
    [link] = error_links(form, errors)

    assert list(errors) == ["pbx_settings.extensions.0.number"]
    assert link.anchor == "ext-2-number"
    assert link.label == "Extension 3 number"


def test_each_form_has_its_own_idempotency_key() -> None:
    assert WizardForm.fresh().form_key != WizardForm.fresh().form_key
