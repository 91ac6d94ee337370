"""Liveness and readiness probes."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from starter.api.dependencies import AppServices

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(app: AppServices) -> JSONResponse:
    """The database and Temporal both answer; `details` says whether payloads are sealed."""
    checks: dict[str, str] = {}
    try:
        async with app.reading_sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    try:
        healthy = await app.temporal.service_client.check_health()
        checks["temporal"] = "ok" if healthy else "unhealthy"
    except Exception:
        checks["temporal"] = "unreachable"
    ready = all(value == "ok" for value in checks.values())
    # Not a check (it does not make the API unready), but what an operator must see.
    details = {"payload_encryption": "on" if app.settings.temporal_encryption else "off"}
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks, "details": details},
        status_code=200 if ready else 503,
    )
