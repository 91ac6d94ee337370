"""`/console/customers`: the WL's customers, one customer's page, and its live progress."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from domain.enums import CustomerStatus, SignupPath
from starter.administration import record_shown
from starter.api.activation_pages import security_headers
from starter.api.console.actions import ACTIONS, available_actions, handover_of
from starter.api.console.pages import STATUS_WORDS, console_page
from starter.api.console.session import Console
from starter.api.dependencies import AppServices
from starter.customer_search import MAX_SEARCH, customers_query
from starter.timeline import timeline
from starter.views import customer_view, customer_views
from store import audit
from store.schema import Customer

router = APIRouter(prefix="/console/customers", include_in_schema=False)
PAGE_SIZE = 25
PENDING = {
    CustomerStatus.PROVISIONING,
    CustomerStatus.AWAITING_ACTIVATION,
    CustomerStatus.AWAITING_PAYMENT,
}


@router.get("")
async def customers_page(
    signed_in: Console,
    app: AppServices,
    status: Annotated[str, Query(max_length=40)] = "",
    search: Annotated[str, Query(max_length=MAX_SEARCH)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    chosen = CustomerStatus(status) if status in set(CustomerStatus) else None
    query = customers_query(
        signed_in.caller.white_label_id,
        status=chosen,
        search=search,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    async with app.reading_sessions() as session:
        found = list(await session.scalars(query))
        views = await customer_views(session, found[:PAGE_SIZE], app.settings)
    await record_shown(
        app.sessions,
        signed_in.caller,
        [view.customer_id for view in views],
        "GET /console/customers",
    )
    return console_page(
        app.settings,
        "customers.html",
        signed_in=signed_in,
        customers=views,
        status=chosen.value if chosen else "",
        statuses=list(CustomerStatus),
        search=search,
        page=page,
        has_next=len(found) > PAGE_SIZE,
    )


def _progress(status: CustomerStatus, steps: int) -> dict[str, Any]:
    """What the page polls for: when either changes, the page fetches itself again."""
    return {
        "status": status.value,
        "status_words": STATUS_WORDS[status.value],
        "version": f"{status.value}.{steps}",
        "pending": status in PENDING,
    }


@router.get("/{customer_id}")
async def customer_page(
    customer_id: uuid.UUID,
    signed_in: Console,
    app: AppServices,
    created: Annotated[int, Query(ge=0, le=1)] = 0,
    done: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    async with app.reading_sessions() as session:
        view = await customer_view(
            session, customer_id, signed_in.caller.white_label_id, app.settings
        )
        moments = await timeline(session, customer_id) if view else []
        steps = await audit.rows_about(session, customer_id) if view else 0
    if view is None:
        return console_page(app.settings, "not_found.html", signed_in=signed_in, status_code=404)
    await record_shown(app.sessions, signed_in.caller, [customer_id], "GET /console/customers/{id}")
    progress = _progress(view.status, steps)
    actions: list[tuple[str, str]] = []
    if signed_in.caller.is_administrator:
        actions = available_actions(view, await handover_of(app, signed_in, view))
    return console_page(
        app.settings,
        "customer.html",
        signed_in=signed_in,
        customer=view,
        moments=moments,
        progress=progress,
        just_created=bool(created),
        done=ACTIONS[done].done if done in ACTIONS else "",
        actions=actions,
        self_serve=view.path is SignupPath.SELF_SERVE,
    )


@router.get("/{customer_id}/progress")
async def customer_progress(
    customer_id: uuid.UUID, signed_in: Console, app: AppServices
) -> Response:
    """Status only, no contact data: what console.js polls while a signup is pending."""
    async with app.reading_sessions() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None or customer.white_label_id != signed_in.caller.white_label_id:
            return JSONResponse({"error": "not found"}, status_code=404)
        steps = await audit.rows_about(session, customer_id)
    body = _progress(CustomerStatus(customer.status), steps)
    return JSONResponse(body, headers=security_headers(app.settings))
