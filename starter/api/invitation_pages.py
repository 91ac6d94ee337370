"""`/handover/...`: the page behind the emailed invitation to administer the account.

Secured as the activation pages are (same headers, same rate limits, one answer for every bad
link): GET only shows the page, because mail scanners follow links; accepting is a POST.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from domain.display import human_time
from domain.settings import Settings
from starter.api.activation_pages import (
    answering_link_errors,
    html_page,
    slow_down_page,
    try_again_page,
)
from starter.api.dependencies import AppServices


def _invalid(settings: Settings) -> Response:
    return html_page(settings, "link_invalid.html", 404, invitation=True)


router = APIRouter(
    prefix="/handover",
    tags=["activation"],
    route_class=answering_link_errors(_invalid, try_again_page, slow_down_page),
)


@router.get("/{customer_id}", response_class=HTMLResponse, summary="The invitation page")
async def show_invitation(
    customer_id: uuid.UUID, app: AppServices, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    handovers = app.handovers
    link = handovers.verify(customer_id, token)
    progress = await handovers.progress(link)
    page = await handovers.page(customer_id)
    return html_page(
        app.settings,
        "handover_confirm.html",
        page=page,
        brand=page.brand,
        token=link.token,
        expires_at=human_time(progress.expires_at),
    )


@router.post("/{customer_id}", response_class=HTMLResponse, summary="Accept the invitation")
async def accept_invitation(
    customer_id: uuid.UUID, app: AppServices, token: Annotated[str, Form(max_length=200)]
) -> Response:
    handovers = app.handovers
    link = handovers.verify(customer_id, token)
    page = await handovers.page(customer_id)
    await handovers.accept(link)
    return html_page(app.settings, "handover_done.html", page=page, brand=page.brand)
