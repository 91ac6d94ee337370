"""The Stripe SDK client, pointed at Stripe or at localstripe (`STRIPE_API_BASE`)."""

import stripe

from domain.settings import Settings


def stripe_client(settings: Settings) -> stripe.StripeClient | None:
    """None when this deployment has no Stripe account configured."""
    if settings.stripe_secret_key is None:
        return None
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base} if settings.stripe_api_base else {},
        http_client=stripe.HTTPXClient(),
        # Temporal retries activities; the SDK's own retries would only hide outages longer.
        max_network_retries=0,
    )


def request_options(
    connected_account: str | None, idempotency_key: str | None = None
) -> stripe.RequestOptions:
    """Stripe request options: a WL's connected account, or the platform's own."""
    options: stripe.RequestOptions = {}
    if connected_account:
        options["stripe_account"] = connected_account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options
