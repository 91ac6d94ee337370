"""`POST /webhooks/stripe`: Stripe's verdict on payments, verified on the raw body."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from starter.api.dependencies import AppServices
from starter.api.errors import error_response
from starter.stripe_events import BadSignature, verify_event

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/stripe", summary="Stripe webhook endpoint")
async def stripe_webhook(request: Request, app: AppServices) -> Response:
    secrets = app.settings.stripe_webhook_secrets()
    if not secrets:
        return error_response(503, "WebhookNotConfigured", "STRIPE_WEBHOOK_SECRET is not set")
    payload = await request.body()  # the app refuses bodies over 64 KiB before this
    try:
        event = verify_event(payload, request.headers.get("Stripe-Signature"), secrets)
    except BadSignature:
        app.metrics.webhooks.labels("rejected").inc()
        return error_response(400, "BadSignature", "the Stripe-Signature does not match")
    outcome = await app.stripe_events.handle(event)
    app.metrics.webhooks.labels(outcome).inc()
    return JSONResponse({"received": True, "outcome": outcome})
