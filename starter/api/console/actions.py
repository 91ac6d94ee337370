"""`/console/customers/{id}/actions/{action}`: what an administrator does to one customer.

Each action is a page that says what will happen and asks to confirm (GET changes nothing);
the POST calls the same service as its `/v1` route, so a refusal is the API's own reason and
the outcome is on the customer's timeline. Converting also asks for numbers and PBX settings,
with the create wizard's fields and validation.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from temporalio.service import RPCError

from domain.customer import CustomerView
from domain.enums import CustomerStatus, SignupPath
from domain.errors import Refused
from domain.handover import HandoverState, HandoverView
from starter.api.console.catalogue import TIMEZONES, white_label_catalogue
from starter.api.console.pages import console_page
from starter.api.console.session import Console, checked_form, require_administrator
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from starter.console_wizard import WizardForm, check_conversion, error_links
from starter.views import customer_view

router = APIRouter(prefix="/console/customers", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can act on customers."
PENDING = {CustomerStatus.AWAITING_ACTIVATION, CustomerStatus.AWAITING_PAYMENT}
Run = Callable[[AppServices, SignedIn, uuid.UUID, WizardForm], Awaitable[None]]


@dataclass(frozen=True)
class Action:
    title: str
    explanation: str
    done: str
    applies: Callable[[CustomerView, HandoverView | None], bool]
    run: Run


async def _resend(app: AppServices, who: SignedIn, customer_id: uuid.UUID, _: WizardForm) -> None:
    await app.pending.resend_activation(who.caller, customer_id)


async def _cancel(app: AppServices, who: SignedIn, customer_id: uuid.UUID, _: WizardForm) -> None:
    await app.pending.cancel(who.caller, customer_id)


async def _invite(app: AppServices, who: SignedIn, customer_id: uuid.UUID, _: WizardForm) -> None:
    await app.handovers.invite(who.caller, customer_id)


async def _withdraw(app: AppServices, who: SignedIn, customer_id: uuid.UUID, _: WizardForm) -> None:
    await app.handovers.cancel(who.caller, customer_id)


class ConversionInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("the numbers or PBX settings are not valid")
        self.errors = errors


async def _convert(
    app: AppServices, who: SignedIn, customer_id: uuid.UUID, form: WizardForm
) -> None:
    request, errors = check_conversion(form)
    if request is None:
        raise ConversionInvalid(errors)
    await app.pending.convert_to_wl_managed(who.caller, customer_id, request)


def _self_serve_in(statuses: set[CustomerStatus]) -> Callable[[CustomerView, Any], bool]:
    def applies(view: CustomerView, _handover: Any) -> bool:
        return view.path is SignupPath.SELF_SERVE and view.status in statuses

    return applies


def _can_invite(view: CustomerView, handover: HandoverView | None) -> bool:
    return (
        view.path is SignupPath.WL_MANAGED
        and view.status is CustomerStatus.ACTIVE
        and handover is not None
        and handover.state is not HandoverState.ACCEPTED
    )


def _invited(view: CustomerView, handover: HandoverView | None) -> bool:
    return handover is not None and handover.state is HandoverState.INVITED


ACTIONS: dict[str, Action] = {
    "resend-activation": Action(
        title="Resend activation email",
        explanation="A new activation link goes to the customer's contact; the link sent "
        "before stops working.",
        done="A new activation email was sent.",
        applies=_self_serve_in({CustomerStatus.AWAITING_ACTIVATION}),
        run=_resend,
    ),
    "cancel-signup": Action(
        title="Cancel signup",
        explanation="The signup ends: the activation link stops working and the customer can "
        "no longer activate or pay. The customer stays in the list as cancelled.",
        done="The signup was cancelled.",
        applies=_self_serve_in(PENDING),
        run=_cancel,
    ),
    "convert": Action(
        title="Convert to WL-managed",
        explanation="You set up the account on behalf of your customer: the activation link "
        "stops working, the charges are debited against your WL account, you become Account "
        "Administrator and the account is active at once. You may add numbers and PBX "
        "settings now.",
        done="The customer is now WL-managed and active.",
        applies=_self_serve_in(PENDING),
        run=_convert,
    ),
    "invite": Action(
        title="Invite the customer to administer",
        explanation="The customer's contact gets an email whose link makes them Account "
        "Administrator, once; you then no longer administer the account. Inviting again "
        "sends a new link and the earlier one stops working.",
        done="The invitation was sent to the customer's contact.",
        applies=_can_invite,
        run=_invite,
    ),
    "cancel-invitation": Action(
        title="Cancel invitation",
        explanation="The invitation's link stops working; you stay Account Administrator.",
        done="The invitation was withdrawn.",
        applies=_invited,
        run=_withdraw,
    ),
}


async def handover_of(app: AppServices, who: SignedIn, view: CustomerView) -> HandoverView | None:
    """Where a WL-managed account's invitation is; None when that cannot be known now (the
    page then offers no invitation action rather than a wrong one)."""
    if view.path is not SignupPath.WL_MANAGED or view.status is not CustomerStatus.ACTIVE:
        return None
    try:
        return await app.handovers.state(who.caller, view.customer_id)
    except (RPCError, TimeoutError):  # Temporal busy or down: the page still shows the customer
        return None


def available_actions(view: CustomerView, handover: HandoverView | None) -> list[tuple[str, str]]:
    return [
        (slug, action.title) for slug, action in ACTIONS.items() if action.applies(view, handover)
    ]


async def _page(
    app: AppServices,
    who: SignedIn,
    view: CustomerView,
    slug: str,
    form: WizardForm,
    *,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {}
    if slug == "convert":
        catalogue = await white_label_catalogue(app, who.caller.white_label_id)
        context = {
            "catalogue": catalogue,
            "chosen_plan": catalogue.choice_for(view.plan_code),
            "timezones": TIMEZONES,
        }
    return console_page(
        app.settings,
        "customer_action.html",
        signed_in=who,
        status_code=status_code,
        customer=view,
        slug=slug,
        action=ACTIONS[slug],
        form=form,
        errors=errors or {},
        error_links=error_links(form, errors or {}),
        problem=problem,
        **context,
    )


async def _customer(app: AppServices, who: SignedIn, customer_id: uuid.UUID) -> CustomerView | None:
    require_administrator(who, ONLY_ADMINISTRATORS)
    async with app.reading_sessions() as session:
        return await customer_view(session, customer_id, who.caller.white_label_id, app.settings)


def _not_found(app: AppServices, who: SignedIn) -> Response:
    return console_page(app.settings, "not_found.html", signed_in=who, status_code=404)


@router.get("/{customer_id}/actions/{slug}")
async def confirm_action(
    customer_id: uuid.UUID, slug: str, signed_in: Console, app: AppServices
) -> Response:
    view = await _customer(app, signed_in, customer_id)
    if view is None or slug not in ACTIONS:
        return _not_found(app, signed_in)
    form = WizardForm.fresh()
    form.path = SignupPath.WL_MANAGED.value
    if not ACTIONS[slug].applies(view, await handover_of(app, signed_in, view)):
        problem = f"{ACTIONS[slug].title} is not possible for this customer now."
        return await _page(app, signed_in, view, slug, form, problem=problem, status_code=409)
    return await _page(app, signed_in, view, slug, form)


@router.post("/{customer_id}/actions/{slug}")
async def do_action(
    customer_id: uuid.UUID, slug: str, request: Request, signed_in: Console, app: AppServices
) -> Response:
    view = await _customer(app, signed_in, customer_id)
    if view is None or slug not in ACTIONS:
        return _not_found(app, signed_in)
    values = await checked_form(request, signed_in)
    form = WizardForm.from_values(values)
    if form.edit_rows((values.get("action") or ["confirm"])[0]):
        return await _page(app, signed_in, view, slug, form)
    try:
        await ACTIONS[slug].run(app, signed_in, customer_id, form)
    except ConversionInvalid as invalid:
        return await _page(app, signed_in, view, slug, form, errors=invalid.errors, status_code=422)
    except Refused as refused:
        return await _page(
            app,
            signed_in,
            view,
            slug,
            form,
            problem=refused.message,
            status_code=refused.rule.http_status,
        )
    return RedirectResponse(f"/console/customers/{customer_id}?done={slug}", status_code=303)
