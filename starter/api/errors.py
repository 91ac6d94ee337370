"""One error envelope for every refusal: `{"error": {"type", "message", "fields"?}}`."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from domain.errors import Refused
from domain.validation import field_message, field_path
from store.availability import UNREACHABLE

RETRY_AFTER_SECONDS = 5


class FieldError(BaseModel):
    path: str
    message: str


class ErrorBody(BaseModel):
    type: str
    message: str
    fields: list[FieldError] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def error_response(
    status_code: int, kind: str, message: str, fields: list[FieldError] | None = None
) -> JSONResponse:
    body = ErrorEnvelope(error=ErrorBody(type=kind, message=message, fields=fields))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status_code)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return field_path(parts)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        FieldError(path=_field_path(tuple(item["loc"])), message=field_message(item["msg"]))
        for item in error.errors()
    ]
    summary = "; ".join(f"{field.path or 'body'}: {field.message}" for field in fields)
    return error_response(422, "ValidationError", summary, fields)


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    kinds = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        405: "MethodNotAllowed",
        429: "TooManyRequests",
    }
    response = error_response(
        error.status_code, kinds.get(error.status_code, "HttpError"), str(error.detail)
    )
    if error.headers:
        response.headers.update(error.headers)
    return response


async def _database_unreachable(_request: Request, _error: Exception) -> JSONResponse:
    """A down database answers at once with 503 instead of hanging or failing with a 500."""
    response = error_response(
        503,
        "DatabaseUnavailable",
        "The database cannot be reached right now. Try again in a few seconds; "
        "repeating a create with the same Idempotency-Key is safe.",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def _refused(_request: Request, error: Exception) -> JSONResponse:
    """Every business refusal of every route, answered with the status its table gives."""
    assert isinstance(error, Refused)
    return error_response(error.rule.http_status, error.code, error.message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Refused, _refused)
    for unreachable in UNREACHABLE:
        app.add_exception_handler(unreachable, _database_unreachable)
