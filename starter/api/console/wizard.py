"""`/console/customers/new`: the help article's "Create New Customer", one step at a time.

Every step posts the whole form (earlier steps ride along as hidden fields) to one URL; the
server validates it with the API's model and shows the next step, or the same one with the
errors beside their fields. The last step creates the customer through the API's own
SignupService, with the form's own idempotency key: a double click or a re-post finds the
customer the first post created.
"""

from typing import Any

import pycountry
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from domain.enums import SignupPath
from domain.errors import Refused
from starter.api.console.catalogue import TIMEZONES, Catalogue, white_label_catalogue
from starter.api.console.pages import console_page
from starter.api.console.session import Console, checked_form, require_administrator
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from starter.console_wizard import (
    LAST_STEP,
    STEP_TITLES,
    WizardForm,
    check,
    error_links,
    step_of,
)

router = APIRouter(prefix="/console/customers", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can create New Customers."
COUNTRIES = sorted(
    ((country.alpha_2, country.name) for country in pycountry.countries), key=lambda pair: pair[1]
)
NO_GATEWAY = (
    "Not available: your white label has no payment gateway, so customers cannot pay by card. "
    "Ask the platform operator to set one up."
)


async def _step_page(
    app: AppServices,
    signed_in: SignedIn,
    form: WizardForm,
    step: int,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
    catalogue: Catalogue | None = None,
) -> Response:
    """`catalogue`: the one the request already read, if it did."""
    if catalogue is None:
        catalogue = await white_label_catalogue(app, signed_in.caller.white_label_id)
    context: dict[str, Any] = {
        "form": form,
        "step": step,
        "steps": STEP_TITLES,
        "errors": errors or {},
        "problem": problem,
        "catalogue": catalogue,
        "chosen_plan": catalogue.choice_for(form.plan_code),
        "timezones": TIMEZONES,
        "countries": COUNTRIES,
        "error_links": error_links(form, errors or {}),
        "no_gateway": NO_GATEWAY,
        "hidden": [(name, value) for name, value in form.hidden_fields() if step_of(name) != step],
    }
    return console_page(
        app.settings,
        "customer_new.html",
        signed_in=signed_in,
        status_code=status_code,
        **context,
    )


@router.get("/new")
async def new_customer(signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    return await _step_page(app, signed_in, WizardForm.fresh(), 1)


def _posted_step(values: dict[str, list[str]]) -> int:
    try:
        return min(max(int(values.get("step", ["1"])[0]), 1), LAST_STEP)
    except ValueError:
        return 1


@router.post("/new")
async def post_new_customer(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    values = await checked_form(request, signed_in)
    form = WizardForm.from_values(values)
    step = _posted_step(values)
    action = (values.get("action") or ["continue"])[0]

    if action == "back":
        return await _step_page(app, signed_in, form, max(step - 1, 1))
    if action.startswith("edit:"):
        return await _step_page(app, signed_in, form, _posted_step({"step": [action[5:]]}))
    if form.edit_rows(action):
        return await _step_page(app, signed_in, form, step)

    checked = check(form, step)
    catalogue = None
    if form.path == SignupPath.SELF_SERVE.value:
        catalogue = await white_label_catalogue(app, signed_in.caller.white_label_id)
        if not catalogue.takes_cards:
            checked.errors.setdefault("path", NO_GATEWAY)
    if checked.errors:
        # Back to the first step with an error, showing that step's errors (the fields of
        # the others are not on its page).
        first = min(step_of(name) for name in checked.errors)
        shown = {name: text for name, text in checked.errors.items() if step_of(name) == first}
        return await _step_page(
            app, signed_in, form, first, shown, status_code=422, catalogue=catalogue
        )
    if step < LAST_STEP or action != "create":
        return await _step_page(app, signed_in, form, min(step + 1, LAST_STEP), catalogue=catalogue)
    assert checked.request is not None
    try:
        outcome = await app.signups.create(
            signed_in.caller, checked.request, f"console:{form.form_key}"
        )
    except Refused as refused:
        return await _step_page(
            app,
            signed_in,
            form,
            LAST_STEP,
            problem=refused.message,
            status_code=refused.rule.http_status,
        )
    app.metrics.signups_requested.labels(checked.request.path.value).inc()
    if outcome.failure is not None:
        # That customer failed and stays in the list as failed; a corrected form is a new one.
        form.form_key = WizardForm.fresh().form_key
        return await _step_page(
            app, signed_in, form, LAST_STEP, problem=outcome.failure.message, status_code=422
        )
    return RedirectResponse(f"/console/customers/{outcome.customer_id}?created=1", status_code=303)
