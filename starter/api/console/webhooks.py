"""`/console/webhooks`: the white label's webhook endpoints and what was sent to them.

The same service as `/v1/webhook-endpoints` and `/v1/webhook-deliveries`
(starter.webhook_settings). Staff see the pages; administrators add, disable, enable, delete,
rotate and replay. A new secret is shown on the answer to the form that made it, once; sending
that form again adds nothing.
"""

import secrets
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import Refused
from domain.validation import field_message
from domain.webhooks import Endpoint, EndpointCreate, WebhookEventType
from starter.api.console.pages import console_page
from starter.api.console.session import (
    Console,
    ConsoleNotFound,
    checked_form,
    first_value,
    posted_form_id,
    require_administrator,
)
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from starter.console_wizard import summary_links
from starter.webhook_settings import EndpointAlreadyAdded, UrlNotAllowed

router = APIRouter(prefix="/console/webhooks", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can change webhooks."
DONE = {
    "disabled": "The endpoint is disabled: nothing more is sent to it.",
    "enabled": "The endpoint is enabled: new events are sent to it again.",
    "deleted": "The endpoint was deleted.",
    "replayed": "The event is being sent again.",
}
LABELS = {"url": "URL", "event_types": "Events"}


async def _endpoints_page(
    app: AppServices,
    signed_in: SignedIn,
    *,
    form: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    secret: str = "",
    done: str = "",
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    return console_page(
        app.settings,
        "webhooks.html",
        signed_in=signed_in,
        endpoints=await app.webhooks.endpoints(signed_in.caller),
        event_types=list(WebhookEventType),
        form=form or {"url": "", "event_types": []},
        form_id=secrets.token_urlsafe(24),
        errors=errors,
        error_links=summary_links(errors, LABELS),
        secret=secret,
        done=done,
        status_code=status_code,
    )


@router.get("")
async def webhooks_page(signed_in: Console, app: AppServices, done: str = "") -> Response:
    return await _endpoints_page(app, signed_in, done=DONE.get(done, ""))


@router.post("")
async def add_endpoint(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    values = await checked_form(request, signed_in)
    form: dict[str, object] = {
        "url": first_value(values, "url").strip(),
        "event_types": values.get("event_types", []),
    }
    form_id = posted_form_id(values)
    errors: dict[str, str] = {}
    try:
        wanted = EndpointCreate.model_validate(form)
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0])
            if name == "event_types":
                said = "Choose at least one event"
            elif not form["url"]:
                said = "Enter the URL of your endpoint"
            else:
                said = field_message(str(problem["msg"]))
            errors.setdefault(name, said)
        return await _endpoints_page(app, signed_in, form=form, errors=errors, status_code=422)
    try:
        created = await app.webhooks.add(signed_in.caller, wanted, form_id)
    except UrlNotAllowed as refused:
        errors = {"url": f"The URL {refused.reason}"}
        return await _endpoints_page(app, signed_in, form=form, errors=errors, status_code=422)
    except EndpointAlreadyAdded:
        return await _endpoints_page(
            app,
            signed_in,
            done="This form was sent before: the endpoint exists and its signing secret was "
            "shown then, once. If it was not copied, rotate the secret on its page.",
        )
    except Refused as refusal:
        errors = {"url": refusal.message}
        return await _endpoints_page(
            app, signed_in, form=form, errors=errors, status_code=refusal.rule.http_status
        )
    return await _endpoints_page(app, signed_in, secret=created.signing_secret)


async def _to_change(
    request: Request, signed_in: SignedIn, app: AppServices, endpoint_id: uuid.UUID
) -> tuple[dict[str, list[str]], Endpoint]:
    """What every change starts with: an administrator, the form's CSRF token, the endpoint."""
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    values = await checked_form(request, signed_in)
    return values, await _endpoint(app, signed_in, endpoint_id)


async def _endpoint(app: AppServices, signed_in: SignedIn, endpoint_id: uuid.UUID) -> Endpoint:
    try:
        return await app.webhooks.endpoint(signed_in.caller, endpoint_id)
    except Refused:
        raise ConsoleNotFound("No such endpoint", "/console/webhooks", "Webhooks") from None


async def _endpoint_page(
    app: AppServices,
    signed_in: SignedIn,
    endpoint: Endpoint,
    *,
    secret: str = "",
    done: str = "",
) -> Response:
    deliveries = await app.webhooks.deliveries(signed_in.caller, endpoint_id=endpoint.id, limit=50)
    return console_page(
        app.settings,
        "webhook_endpoint.html",
        signed_in=signed_in,
        endpoint=endpoint,
        deliveries=deliveries,
        secret=secret,
        done=done,
    )


@router.get("/{endpoint_id}")
async def endpoint_page(
    endpoint_id: uuid.UUID, signed_in: Console, app: AppServices, done: str = ""
) -> Response:
    endpoint = await _endpoint(app, signed_in, endpoint_id)
    return await _endpoint_page(app, signed_in, endpoint, done=DONE.get(done, ""))


@router.post("/{endpoint_id}/disable")
async def disable(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await _to_change(request, signed_in, app, endpoint_id)
    await app.webhooks.disable(signed_in.caller, endpoint_id)
    return RedirectResponse(f"/console/webhooks/{endpoint_id}?done=disabled", status_code=303)


@router.post("/{endpoint_id}/enable")
async def enable(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    _, endpoint = await _to_change(request, signed_in, app, endpoint_id)
    try:
        await app.webhooks.enable(signed_in.caller, endpoint_id)
    except Refused as refusal:
        return await _endpoint_page(app, signed_in, endpoint, done=f"Not done: {refusal.message}")
    return RedirectResponse(f"/console/webhooks/{endpoint_id}?done=enabled", status_code=303)


@router.get("/{endpoint_id}/{action}")
async def confirm_page(
    endpoint_id: uuid.UUID, action: str, signed_in: Console, app: AppServices
) -> Response:
    if action not in {"delete", "rotate-secret"}:
        raise ConsoleNotFound("No such page", "/console/webhooks", "Webhooks")
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    endpoint = await _endpoint(app, signed_in, endpoint_id)
    return console_page(
        app.settings,
        "webhook_confirm.html",
        signed_in=signed_in,
        endpoint=endpoint,
        action=action,
    )


@router.post("/{endpoint_id}/delete")
async def delete(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await _to_change(request, signed_in, app, endpoint_id)
    await app.webhooks.delete(signed_in.caller, endpoint_id)
    return RedirectResponse("/console/webhooks?done=deleted", status_code=303)


@router.post("/{endpoint_id}/rotate-secret")
async def rotate_secret(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await _to_change(request, signed_in, app, endpoint_id)
    rotated = await app.webhooks.rotate_secret(signed_in.caller, endpoint_id)
    endpoint = await _endpoint(app, signed_in, endpoint_id)
    return await _endpoint_page(app, signed_in, endpoint, secret=rotated.signing_secret)


@router.post("/{endpoint_id}/test")
async def send_test(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    _, endpoint = await _to_change(request, signed_in, app, endpoint_id)
    result = await app.webhooks.send_test(signed_in.caller, endpoint_id)
    if result.delivered:
        said = f"The test event was delivered: your endpoint answered {result.status_code}."
    else:
        said = f"Not done: the test event was not delivered ({result.error})."
    return await _endpoint_page(app, signed_in, endpoint, done=said)


@router.post("/{endpoint_id}/replay")
async def replay(
    endpoint_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    values, _ = await _to_change(request, signed_in, app, endpoint_id)
    try:
        event_id = uuid.UUID(first_value(values, "event_id"))
        await app.webhooks.replay(signed_in.caller, event_id)
    except (ValueError, Refused):
        back = f"/console/webhooks/{endpoint_id}"
        raise ConsoleNotFound("No such event", back, "the endpoint") from None
    return RedirectResponse(f"/console/webhooks/{endpoint_id}?done=replayed", status_code=303)
