"""The FastAPI application, built around services created once at start-up."""

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from temporalio.client import Client

from domain.settings import Settings
from runtime.guarded_http import Resolver, system_resolver
from runtime.stripe_client import stripe_client
from starter.activation import Activation
from starter.api import (
    activation_pages,
    api_keys,
    audit,
    brand,
    bulk,
    customers,
    handover,
    health,
    inventory,
    invitation_pages,
    metrics,
    users,
    webhook_endpoints,
    webhooks,
)
from starter.api.access_log import AccessLog
from starter.api.codec import codec_app
from starter.api.console import install_console
from starter.api.dependencies import Services
from starter.api.errors import install_error_handlers
from starter.api.metrics import ApiMetrics
from starter.api_keys import ApiKeys
from starter.attempt_limits import AttemptLimits
from starter.branding import Branding
from starter.bulk import BulkOnboarding
from starter.console_access import ConsoleAccess
from starter.console_imports import ConsoleImports
from starter.handover import Handovers
from starter.passkeys import Passkeys
from starter.signups import PendingSignups, SignupService
from starter.stripe_events import StripeEvents
from starter.users import WlUsers
from starter.webhook_settings import WebhookSettings
from store.engine import SessionFactory, read_only

MAX_BODY_BYTES = 64 * 1024
"""A customer request is about 1 KiB; even 500 extensions with ordinary names and emails fit.
One route raises it for itself: `POST /v1/customers/bulk` (`bulk.MAX_BODY_BYTES`, 2 MiB)."""


def create_app(
    settings: Settings,
    sessions: SessionFactory,
    temporal: Client,
    extra_routers: Sequence[APIRouter] = (),
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """`extra_routers` lets the local stack add its development pages (devstack.mail_page)
    without the service knowing about them."""
    app = FastAPI(
        title="White-label customer provisioning",
        version="0.1.0",
        description="Creates customers of a white-label cloud PBX on durable Temporal workflows.",
        max_body_size=MAX_BODY_BYTES,
    )
    stripe = stripe_client(settings)
    signups = SignupService(temporal, sessions, settings)
    app.state.services = Services(
        settings=settings,
        sessions=sessions,
        reading_sessions=read_only(sessions),
        temporal=temporal,
        signups=signups,
        pending=PendingSignups(temporal, sessions, settings),
        stripe_events=StripeEvents(temporal, sessions, settings, stripe),
        activation=Activation(temporal, sessions, settings, stripe),
        handovers=Handovers(temporal, sessions, settings),
        attempt_limits=AttemptLimits(settings),
        metrics=ApiMetrics(),
        console=ConsoleAccess(temporal, sessions, settings),
        users=WlUsers(sessions, settings, temporal),
        api_keys=ApiKeys(sessions),
        webhooks=WebhookSettings(sessions, settings, temporal, resolver),
        imports=ConsoleImports(BulkOnboarding(signups, sessions), sessions),
        branding=Branding(sessions, settings),
        passkeys=Passkeys(sessions, settings),
    )
    install_error_handlers(app)
    app.add_middleware(AccessLog, metrics=app.state.services.metrics)
    app.include_router(bulk.router)  # before customers: /v1/customers/bulk is not an id
    app.include_router(customers.router)
    app.include_router(handover.router)
    app.include_router(audit.router)
    app.include_router(users.router)
    app.include_router(api_keys.router)
    app.include_router(inventory.router)
    app.include_router(brand.router)
    app.include_router(brand.public)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(webhooks.router)
    app.include_router(webhook_endpoints.router)
    app.include_router(activation_pages.router)
    app.include_router(activation_pages.calls)
    app.include_router(invitation_pages.router)
    install_console(app)
    for router in extra_routers:
        app.include_router(router)
    app.mount("/codec", codec_app(settings))
    app.mount("/static", StaticFiles(packages=[("starter", "static")]), name="static")
    return app
