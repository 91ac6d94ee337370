"""The platform's relay sends as a white label only from a domain the operator verified
(issue 18, item 2); bounces always come back to the platform."""

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.mailer import SmtpMailer, SmtpSettings
from devstack.mailsink import MailSink
from domain.brand import BrandUpdate
from domain.settings import Settings
from domain.signup import CustomerRef
from store import brands
from store.engine import SessionFactory
from store.schema import WhiteLabel
from tests.activities.test_activities import create_account
from tests.cli.test_cli import starter
from tests.conftest import WhiteLabelFixture

pytestmark = pytest.mark.asyncio(loop_scope="session")
BRAND = "/v1/white-label/brand"


async def test_a_sender_address_at_an_unverified_domain_is_refused_naming_the_field(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, settings: Settings
) -> None:
    refused = await api.patch(
        BRAND, json={"email_sender_address": "security@paypal.com"}, headers=white_label.headers
    )
    verified = await api.patch(
        BRAND,
        json={"email_sender_address": "signup@kiwivoice.example.com"},
        headers=white_label.headers,
    )
    from_the_cli = await starter(
        settings,
        "wl", "brand", "--wl", str(white_label.id), "--sender-address", "security@paypal.com",
    )  # fmt: skip

    assert refused.status_code == 422
    assert [field["path"] for field in refused.json()["error"]["fields"]] == [
        "email_sender_address"
    ]
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_sender_address"] == "signup@kiwivoice.example.com"
    assert from_the_cli.code == 2
    assert from_the_cli.stderr.startswith("python -m starter: --sender-address:")


async def _confirmation_with_brand(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    settings: Settings,
    mail_sink: MailSink,
    change: BrandUpdate,
) -> tuple[str, str | None, str]:
    """A brand stored as given (as one set before the rule existed): the WL confirmation
    email's From, Reply-To and envelope sender."""
    async with sessions.begin() as session:
        row = await session.get_one(WhiteLabel, white_label.id)
        await brands.update_brand(session, row, change)
    customer_id = await create_account(sessions, white_label)
    mailer = SmtpMailer(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            envelope_from=settings.envelope_sender,
        )
    )
    email = EmailActivities(
        sessions,
        mailer,
        settings.mail_from,
        verified_sender_domains=settings.mail_verified_sender_domains,
    )
    await ActivityEnvironment().run(
        email.send_wl_confirmation, CustomerRef(customer_id=customer_id)
    )
    [message] = mail_sink.to(white_label.admin_email)
    reply_to = message["Reply-To"]
    return str(message["From"]), reply_to and str(reply_to), mail_sink.envelope_sender_of(message)


async def test_mail_for_an_unverified_sender_comes_from_the_platform_under_the_brand_name(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    settings: Settings,
    mail_sink: MailSink,
) -> None:
    sent_from, reply_to, envelope = await _confirmation_with_brand(
        sessions,
        white_label,
        settings,
        mail_sink,
        BrandUpdate(
            email_sender_name="PayPal Security",
            email_sender_address="security@paypal.com",
            support_email="help@reseller.example.com",
        ),
    )

    assert sent_from == "PayPal Security <provisioning@wl.example.com>"
    assert reply_to == "help@reseller.example.com"
    assert envelope == "bounces@wl.example.com"


async def test_mail_for_a_verified_sender_domain_comes_from_the_brand_address(
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    settings: Settings,
    mail_sink: MailSink,
) -> None:
    sent_from, _, envelope = await _confirmation_with_brand(
        sessions,
        white_label,
        settings,
        mail_sink,
        BrandUpdate(
            email_sender_name="Kiwi Voice", email_sender_address="signup@KiwiVoice.example.com"
        ),
    )

    assert sent_from == "Kiwi Voice <signup@kiwivoice.example.com>"
    assert envelope == "bounces@wl.example.com"
