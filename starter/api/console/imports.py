"""`/console/import`: many customers from a CSV or JSON file, checked before anything starts.

Upload → the dry run's report, row by row and field by field → **Import** → progress → the
final report, downloadable. starter.console_imports does the work with the same
BulkOnboarding as `POST /v1/customers/bulk`; the file is read as the CLI reads one.
"""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from domain.errors import Refused
from starter.api.bulk import MAX_BODY_BYTES
from starter.api.console.pages import console_page
from starter.api.console.session import (
    CSRF_FIELD,
    Console,
    ConsoleNotFound,
    check_csrf,
    require_administrator,
)
from starter.api.dependencies import AppServices
from starter.console_access import SignedIn
from starter.console_imports import ConsoleImports, report_csv, template_csv
from starter.rows_file import RowsFileError
from store.schema import ConsoleImport

router = APIRouter(prefix="/console/import", include_in_schema=False)
ONLY_ADMINISTRATORS = "Only Administrators can import customers."
OUTCOME_WORDS = {
    "would_create": "Would be created",
    "already_exists": "Exists already",
    "created": "Created",
    "already_existed": "Existed already",
    "invalid": "Not valid",
    "failed": "Failed",
}


def _upload_page(
    app: AppServices, signed_in: SignedIn, error: str = "", status_code: int = 200
) -> Response:
    return console_page(
        app.settings,
        "import.html",
        signed_in=signed_in,
        error=error,
        max_kib=MAX_BODY_BYTES // 1024,
        status_code=status_code,
    )


@router.get("")
async def import_page(signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    return _upload_page(app, signed_in)


@router.get("/template.csv")
async def template(signed_in: Console) -> Response:
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers-template.csv"'},
    )


@router.post("", max_body_size=MAX_BODY_BYTES + 16 * 1024)
async def check_file(request: Request, signed_in: Console, app: AppServices) -> Response:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    form = await request.form(max_files=1, max_fields=4)
    check_csrf(signed_in.csrf_token, form.get(CSRF_FIELD))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(app, signed_in, "Choose a CSV or JSON file", 422)
    data = await upload.read()
    try:
        checked = await app.imports.check(signed_in.caller, upload.filename, data)
    except RowsFileError as error:
        return _upload_page(app, signed_in, str(error), 422)
    return RedirectResponse(f"/console/import/{checked.id}", status_code=303)


async def _import(app: AppServices, signed_in: SignedIn, import_id: uuid.UUID) -> ConsoleImport:
    require_administrator(signed_in, ONLY_ADMINISTRATORS)
    try:
        return await app.imports.get(signed_in.caller, import_id)
    except Refused:
        raise ConsoleNotFound("No such import", "/console/import", "Import customers") from None


def _state(found: ConsoleImport) -> str:
    if found.finished_at is not None:
        return "finished"
    if ConsoleImports.expired(found):
        return "expired"
    if ConsoleImports.stalled(found):
        return "stalled"
    return "running" if found.started_at is not None else "checked"


@router.get("/{import_id}")
async def import_report(import_id: uuid.UUID, signed_in: Console, app: AppServices) -> Response:
    found = await _import(app, signed_in, import_id)
    state = _state(found)
    report = found.report if state == "finished" and found.report else found.checked
    summary = report["summary"]
    return console_page(
        app.settings,
        "import_report.html",
        signed_in=signed_in,
        found=found,
        state=state,
        report=report,
        valid=summary["rows"] - summary["invalid"],
        outcome_words=OUTCOME_WORDS,
        version=f"{state}:{found.rows_done}",
    )


@router.get("/{import_id}/progress")
async def progress(import_id: uuid.UUID, signed_in: Console, app: AppServices) -> Response:
    found = await _import(app, signed_in, import_id)
    state = _state(found)
    return JSONResponse(
        {
            "version": f"{state}:{found.rows_done}",
            "status_words": f"{found.rows_done} rows started" if state == "running" else state,
        }
    )


@router.post("/{import_id}/start")
async def start(
    import_id: uuid.UUID, request: Request, signed_in: Console, app: AppServices
) -> Response:
    await _import(app, signed_in, import_id)
    form = await request.form()
    check_csrf(signed_in.csrf_token, form.get(CSRF_FIELD))
    await app.imports.start(signed_in.caller, import_id)
    return RedirectResponse(f"/console/import/{import_id}", status_code=303)


@router.get("/{import_id}/report.csv")
async def download_report(import_id: uuid.UUID, signed_in: Console, app: AppServices) -> Response:
    found = await _import(app, signed_in, import_id)
    finished = found.finished_at is not None
    report = found.report if finished and found.report else found.checked
    name = "import-report.csv" if finished else "import-check.csv"
    return Response(
        report_csv(report, found.lines),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
