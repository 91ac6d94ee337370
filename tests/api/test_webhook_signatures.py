"""Which Stripe signatures the webhook accepts: the secrets, the age, the date."""

import time

import pytest

from domain.settings import Settings
from starter.stripe_events import BadSignature, verify_event
from tests.support.self_serve_helpers import intent_event, signed

CURRENT = "whsec_current_" + "1" * 32
PREVIOUS = "whsec_previous_" + "2" * 32
BODY = intent_event("payment_intent.succeeded", {"id": "pi_rotation", "metadata": {}})


def secrets(previous: str | None) -> list[str]:
    return Settings(
        stripe_webhook_secret=CURRENT, stripe_webhook_previous_secret=previous
    ).stripe_webhook_secrets()


def test_an_event_signed_with_the_current_secret_is_accepted() -> None:
    event = verify_event(BODY, signed(BODY, CURRENT)["Stripe-Signature"], secrets(None))
    assert event["id"].startswith("evt_")


def test_during_a_rotation_the_previous_secret_is_still_accepted() -> None:
    signature = signed(BODY, PREVIOUS)["Stripe-Signature"]

    assert verify_event(BODY, signature, secrets(PREVIOUS))["type"] == "payment_intent.succeeded"
    with pytest.raises(BadSignature):
        verify_event(BODY, signature, secrets(None))


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-299, True), (-301, False), (29, True), (31, False)]
)
def test_a_signature_is_accepted_up_to_five_minutes_old_and_not_from_the_future(
    offset: int, accepted: bool
) -> None:
    now = int(time.time())
    signature = signed(BODY, CURRENT, at=now + offset)["Stripe-Signature"]

    if accepted:
        assert verify_event(BODY, signature, secrets(None), now=now)["id"].startswith("evt_")
    else:
        with pytest.raises(BadSignature):
            verify_event(BODY, signature, secrets(None), now=now)
