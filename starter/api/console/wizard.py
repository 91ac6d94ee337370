"""`/console/customers/new`: the help article's "Create New Customer", one step at a time.

Every step posts the whole form (earlier steps ride along as hidden fields) to one URL; the
server validates it with the API's model and shows the next step, or the same one with the
errors beside their fields. The last step creates the customer through the API's own
SignupService, with the form's own idempotency key: a double click or a re-post finds the
customer the first post created.
"""

import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pycountry
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from activities.ledger import balance_owed, signup_charge
from domain.enums import NumberStatus, SignupPath
from domain.errors import Refused
from starter.api.console.pages import console_page
from starter.api.console.session import CSRF_FIELD, Console, ConsoleForbidden, check_csrf
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
from store.schema import PhoneNumber, Plan, WhiteLabel

router = APIRouter(prefix="/console/customers", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can create New Customers."
SHOWN_FREE_NUMBERS = 50
TIMEZONES = sorted(zoneinfo.available_timezones())
COUNTRIES = sorted(
    ((country.alpha_2, country.name) for country in pycountry.countries), key=lambda pair: pair[1]
)
NO_GATEWAY = (
    "Not available: your white label has no payment gateway, so customers cannot pay by card. "
    "Ask the platform operator to set one up."
)


@dataclass(frozen=True)
class PlanChoice:
    """A plan as the form offers it, with what it would charge the WL account."""

    plan: Plan
    wl_charge: Decimal


@dataclass(frozen=True)
class Catalogue:
    """What the form offers: this white label's plans, free numbers, credit and gateway."""

    plans: list[PlanChoice]
    free_numbers: list[str]
    currency: str
    credit_left: Decimal
    takes_cards: bool


async def _catalogue(app: AppServices, signed_in: SignedIn) -> Catalogue:
    white_label_id = signed_in.caller.white_label_id
    async with app.reading_sessions() as session:
        white_label = await session.get_one(WhiteLabel, white_label_id)
        plans = list(
            await session.scalars(
                select(Plan).where(Plan.white_label_id == white_label_id).order_by(Plan.code)
            )
        )
        free = list(
            await session.scalars(
                select(PhoneNumber.e164)
                .where(
                    PhoneNumber.white_label_id == white_label_id,
                    PhoneNumber.status == NumberStatus.AVAILABLE.value,
                )
                .order_by(PhoneNumber.e164)
                .limit(SHOWN_FREE_NUMBERS)
            )
        )
        owed = await balance_owed(session, white_label_id)
    return Catalogue(
        plans=[PlanChoice(plan=plan, wl_charge=signup_charge(plan)) for plan in plans],
        free_numbers=free,
        currency=white_label.currency,
        credit_left=white_label.credit_limit - owed,
        takes_cards=app.signups.can_take_cards(white_label),
    )


def _require_administrator(signed_in: SignedIn) -> None:
    if not signed_in.caller.is_administrator:
        raise ConsoleForbidden(ONLY_ADMINISTRATORS)


async def _step_page(
    app: AppServices,
    signed_in: SignedIn,
    form: WizardForm,
    step: int,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    catalogue = await _catalogue(app, signed_in)
    chosen_plan = next(
        (choice for choice in catalogue.plans if choice.plan.code == form.plan_code), None
    )
    context: dict[str, Any] = {
        "form": form,
        "step": step,
        "steps": STEP_TITLES,
        "errors": errors or {},
        "problem": problem,
        "catalogue": catalogue,
        "chosen_plan": chosen_plan,
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
    _require_administrator(signed_in)
    return await _step_page(app, signed_in, WizardForm.fresh(), 1)


def _posted_step(values: dict[str, list[str]]) -> int:
    try:
        return min(max(int(values.get("step", ["1"])[0]), 1), LAST_STEP)
    except ValueError:
        return 1


@router.post("/new")
async def post_new_customer(request: Request, signed_in: Console, app: AppServices) -> Response:
    _require_administrator(signed_in)
    posted = await request.form()
    values: dict[str, list[str]] = {}
    for name, value in posted.multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value)
    check_csrf(signed_in.csrf_token, (values.get(CSRF_FIELD) or [""])[0])
    form = WizardForm.from_values(values)
    step = _posted_step(values)
    action = (values.get("action") or ["continue"])[0]

    if action == "back":
        return await _step_page(app, signed_in, form, max(step - 1, 1))
    if action.startswith("edit:"):
        return await _step_page(app, signed_in, form, _posted_step({"step": [action[5:]]}))
    if action == "add_extension":
        form.add_extension()
        return await _step_page(app, signed_in, form, step)
    if action.startswith("remove_extension:"):
        index = action.partition(":")[2]
        form.remove_extension(int(index) if index.isdigit() else -1)
        return await _step_page(app, signed_in, form, step)

    checked = check(form, step)
    if form.path == SignupPath.SELF_SERVE.value:
        catalogue = await _catalogue(app, signed_in)
        if not catalogue.takes_cards:
            checked.errors.setdefault("path", NO_GATEWAY)
    if checked.errors:
        # Back to the first step with an error, showing that step's errors (the fields of
        # the others are not on its page).
        first = min(step_of(name) for name in checked.errors)
        shown = {name: text for name, text in checked.errors.items() if step_of(name) == first}
        return await _step_page(app, signed_in, form, first, shown, status_code=422)
    if step < LAST_STEP or action != "create":
        return await _step_page(app, signed_in, form, min(step + 1, LAST_STEP))
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
