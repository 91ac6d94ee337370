"""The FastAPI application, built around services created once at start-up."""

from pathlib import Path

from fastapi import FastAPI
from temporalio.client import Client

from domain.settings import Settings
from starter.api import customers, devmail, health
from starter.api.dependencies import Services
from starter.api.errors import install_error_handlers
from starter.signups import SignupService
from store.engine import SessionFactory


def create_app(
    settings: Settings,
    sessions: SessionFactory,
    temporal: Client,
    mail_dir: Path | None = None,
) -> FastAPI:
    app = FastAPI(
        title="White-label customer provisioning",
        version="0.1.0",
        description="Creates customers of a white-label cloud PBX on durable Temporal workflows.",
    )
    app.state.services = Services(
        settings=settings,
        sessions=sessions,
        temporal=temporal,
        signups=SignupService(temporal, sessions, settings),
        mail_dir=mail_dir,
    )
    install_error_handlers(app)
    app.include_router(customers.router)
    app.include_router(health.router)
    app.include_router(devmail.router)
    return app
