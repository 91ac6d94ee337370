"""`/console/payment-gateway`: whether the white label can take cards, and what to do if not.

Self-serve signups are paid by card, so without a gateway the create wizard offers only the
WL-managed path; this page says why and who can change it (the platform operator, who holds
the Stripe keys: a white label cannot set its own)."""

from fastapi import APIRouter
from fastapi.responses import Response

from starter.api.console.pages import console_page
from starter.api.console.session import Console
from starter.api.dependencies import AppServices
from store.schema import WhiteLabel

router = APIRouter(prefix="/console/payment-gateway", include_in_schema=False)


@router.get("")
async def payment_gateway_page(signed_in: Console, app: AppServices) -> Response:
    async with app.reading_sessions() as session:
        white_label = await session.get_one(WhiteLabel, signed_in.caller.white_label_id)
    return console_page(
        app.settings,
        "payment_gateway.html",
        signed_in=signed_in,
        takes_cards=app.signups.can_take_cards(white_label),
        provider=white_label.payment_gateway_provider,
        account=white_label.payment_gateway_account,
        platform_ready=app.settings.stripe_configured,
        white_label_id=white_label.id,
    )
