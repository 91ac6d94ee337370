"""`POST /v1/customers/bulk`: many customers from one request, a report row by row.

The rows are taken as given and validated one by one by `starter.bulk`, so one bad row is
reported on that row instead of refusing the whole request; the OpenAPI document still
describes each row as `BulkRow`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from starter.api.dependencies import AppServices, AuthenticatedCaller
from starter.api.errors import ErrorEnvelope
from starter.bulk import MAX_ROWS, BulkOnboarding, BulkReport, BulkRow

router = APIRouter(prefix="/v1/customers/bulk", tags=["customers"])

MAX_BODY_BYTES = 2 * 1024 * 1024
"""This route's own body limit (the app's is 64 KiB): 1,000 rows of an ordinary size (about
0.5 to 1 KiB each) with room to spare."""


def _as_given(row: object) -> object:
    return row


UncheckedRow = Annotated[Any, PlainValidator(_as_given, json_schema_input_type=BulkRow)]
"""A row passed on unvalidated: `starter.bulk` validates it and reports on that row."""


class BulkCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[UncheckedRow] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description="Each row is the body of `POST /v1/customers`, with an optional "
        "`idempotency_key`.",
    )
    dry_run: bool = Field(
        default=False,
        description="Validate every row and say what each would do; start nothing.",
    )


ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (401, 403, 422, 429)
}


@router.post(
    "",
    response_model=BulkReport,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="Create many customers (bulk onboarding)",
    max_body_size=MAX_BODY_BYTES,
)
async def create_customers(
    body: BulkCreateRequest, app: AppServices, caller: AuthenticatedCaller
) -> BulkReport | Response:
    """Every row is validated first and every error reported by row and field; then each
    valid row starts its signup (WL-managed ones are started, not awaited). Answers 200 with
    one entry per row: `created`, `already_existed`, `invalid` or `failed` (a dry run:
    `would_create`, `already_exists`, `invalid`). Re-sending the same rows creates nothing
    twice."""
    return await BulkOnboarding(app.signups, app.sessions).run(
        caller, body.rows, dry_run=body.dry_run
    )
