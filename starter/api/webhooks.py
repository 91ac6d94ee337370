"""`POST /webhooks/stripe`: Stripe's verdict on payments, verified on the raw body."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from starter.api.dependencies import AppServices
from starter.api.errors import error_response
from starter.stripe_events import BadSignature, verify_event

router = APIRouter(tags=["webhooks"])
MAX_BODY = 64 * 1024


@router.post("/webhooks/stripe", summary="Stripe webhook endpoint")
async def stripe_webhook(request: Request, app: AppServices) -> Response:
    secrets = app.settings.stripe_webhook_secrets()
    if not secrets:
        return error_response(503, "WebhookNotConfigured", "STRIPE_WEBHOOK_SECRET is not set")
    payload = await request.body()
    if len(payload) > MAX_BODY:
        return error_response(413, "PayloadTooLarge", "webhook bodies are at most 64 KiB")
    try:
        event = verify_event(payload, request.headers.get("Stripe-Signature"), secrets)
    except BadSignature:
        return error_response(400, "BadSignature", "the Stripe-Signature does not match")
    outcome = await app.stripe_events.handle(event)
    return JSONResponse({"received": True, "outcome": outcome})
