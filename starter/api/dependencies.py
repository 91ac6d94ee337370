"""What every route needs: the shared services and the authenticated caller."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from domain.settings import Settings
from starter.activation import Activation
from starter.api.metrics import ApiMetrics
from starter.api_keys import ApiKeys
from starter.attempt_limits import AttemptLimits
from starter.auth import Caller, caller_for_key, key_use_is_stale, note_key_used
from starter.branding import Branding
from starter.console_access import ConsoleAccess
from starter.console_imports import ConsoleImports
from starter.handover import Handovers
from starter.passkeys import Passkeys
from starter.signups import PendingSignups, SignupService
from starter.stripe_events import StripeEvents
from starter.users import WlUsers
from starter.webhook_settings import WebhookSettings
from store.engine import SessionFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    settings: Settings
    sessions: SessionFactory
    reading_sessions: SessionFactory  # for requests that only read: see store.engine.read_only
    temporal: Client
    signups: SignupService
    pending: PendingSignups
    stripe_events: StripeEvents
    activation: Activation
    handovers: Handovers
    attempt_limits: AttemptLimits
    metrics: ApiMetrics
    console: ConsoleAccess
    users: WlUsers
    api_keys: ApiKeys
    webhooks: WebhookSettings
    imports: ConsoleImports
    branding: Branding
    passkeys: Passkeys


def client_address(request: Request) -> str:
    """The address the attempt limits count (uvicorn has applied FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


async def services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in a worker thread, on every request.
    found: Services = request.app.state.services
    return found


_bearer = HTTPBearer(auto_error=False)
UNAUTHORIZED = HTTPException(
    status_code=401,
    detail="a valid API key is required",
    headers={"WWW-Authenticate": "Bearer"},
)


async def caller(
    app: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise UNAUTHORIZED
    async with app.reading_sessions() as session:
        found = await caller_for_key(session, credentials.credentials)
    if found is None:
        raise UNAUTHORIZED
    refusal = await app.attempt_limits.admit_api_call(found.limited_as)
    if refusal is not None:
        raise HTTPException(
            status_code=429,
            detail="too many requests with this API key: slow down and retry after a moment",
            headers={"Retry-After": str(refusal.retry_after_seconds)},
        )
    if found.key_id is not None and key_use_is_stale(found, datetime.now(UTC)):
        try:
            async with app.sessions.begin() as session:
                await note_key_used(session, found.key_id)
        except SQLAlchemyError:
            # Bookkeeping only: a busy database must not refuse the request; the next one
            # within the minute writes it.
            log.warning("could not note an API key's last use")
    return found


AppServices = Annotated[Services, Depends(services)]
AuthenticatedCaller = Annotated[Caller, Depends(caller)]
