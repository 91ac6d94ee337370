"""The one request parameter where Stripe and localstripe disagree.

Confirming server-side needs the intent limited to cards (no redirect-based methods). The API
version of the pinned Stripe SDK names that `allowed_payment_method_types`; localstripe only
knows the older `payment_method_types` and refuses unknown parameters.
"""

from typing import Any


def card_only(localstripe: bool) -> dict[str, Any]:
    key = "payment_method_types" if localstripe else "allowed_payment_method_types"
    return {key: ["card"]}
