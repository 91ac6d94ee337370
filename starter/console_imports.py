"""Importing customers from a file in the console: check first, then import, then a report.

The upload is read like `python -m starter customers import` reads a file
(starter.rows_file) and checked by the same BulkOnboarding as `POST /v1/customers/bulk` with
`dry_run`; the rows are kept, so **Import** runs exactly what was checked. The import runs
in the background of the API process, writing how many rows it has started as it goes, so the
page can follow it. Each row's key is derived from its content (or given), so running the same
file again, say after the process stopped half-way, creates nothing twice: rows already done
come back as `already_existed`. Once finished, the rows themselves (contact data) are erased;
the report per row stays; so do those of a file checked and not imported within a day.
"""

import asyncio
import csv
import io
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import null, select, update

from domain.errors import BusinessError, Refused
from starter.administration import require_administrator
from starter.auth import Caller
from starter.bulk import BulkOnboarding, BulkReport
from starter.rows_file import RowsFile, rows_from_bytes
from store.engine import SessionFactory, read_only
from store.schema import ConsoleImport, utcnow

log = logging.getLogger(__name__)
STALLED_AFTER = timedelta(minutes=2)
"""An import that has written no progress for this long has stopped (its process ended):
the page offers to run it again, which is safe."""
KEEP_UNSTARTED = timedelta(days=1)
"""A checked file not imported within a day loses its rows (contact data): upload it again."""
PROGRESS_EVERY = 10
"""Rows between two progress writes."""
TEMPLATE_COLUMNS = [
    "path", "contact.first_name", "contact.last_name", "contact.email", "contact.phone",
    "business.name", "address.line1", "address.city", "address.postal_code", "address.country",
    "plan_code", "numbers.count", "idempotency_key",
]  # fmt: skip
TEMPLATE_EXAMPLE = [
    "wl_managed", "Mere", "Tane", "mere@harbourdental.example.com", "+6495550123",
    "Harbour Dental", "1 Quay Street", "Auckland", "1010", "NZ", "business", "1", "",
]  # fmt: skip


def template_csv() -> str:
    """The columns most customers need, and one example row to overwrite."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE)
    return text.getvalue()


def report_csv(report: dict[str, Any], lines: list[int] | None) -> str:
    """A report as the spreadsheet the file came from would hold it: one line per row."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["row", "line", "outcome", "customer_id", "status", "errors"])
    for row in report["rows"]:
        number = int(row["row"])
        errors = "; ".join(
            f"{problem['path'] or 'row'}: {problem['message']}" for problem in row.get("errors", [])
        )
        writer.writerow(
            [
                number,
                lines[number - 1] if lines else "",
                row["outcome"],
                row.get("customer_id") or "",
                row.get("status") or "",
                errors,
            ]
        )
    return text.getvalue()


class ConsoleImports:
    def __init__(self, bulk: BulkOnboarding, sessions: SessionFactory) -> None:
        self._bulk = bulk
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._running: set[asyncio.Task[None]] = set()

    async def check(self, caller: Caller, file_name: str, data: bytes) -> ConsoleImport:
        """Reads and dry-runs the file; RowsFileError when it cannot be read as rows."""
        require_administrator(caller, "import customers")
        found: RowsFile = rows_from_bytes(data, file_name)
        report = await self._bulk.run(caller, found.rows, dry_run=True)
        row = ConsoleImport(
            white_label_id=caller.white_label_id,
            user_id=caller.user_id,
            file_name=file_name[:200],
            rows=found.rows,
            lines=found.lines,
            checked=report.model_dump(mode="json", exclude_none=True),
            created_at=utcnow(),
        )
        async with self._sessions.begin() as session:
            await session.execute(  # other checks nobody imported: their rows go
                update(ConsoleImport)
                .where(
                    ConsoleImport.created_at < utcnow() - KEEP_UNSTARTED,
                    ConsoleImport.finished_at.is_(None),
                    (ConsoleImport.started_at.is_(None))
                    | (ConsoleImport.updated_at < utcnow() - KEEP_UNSTARTED),
                    ConsoleImport.rows.is_not(None),
                )
                .values(rows=null())  # SQL NULL, not JSON null
            )
            session.add(row)
        return row

    async def get(self, caller: Caller, import_id: uuid.UUID) -> ConsoleImport:
        async with self._reads() as session:
            found = await session.scalar(
                select(ConsoleImport).where(
                    ConsoleImport.id == import_id,
                    ConsoleImport.white_label_id == caller.white_label_id,
                )
            )
        if found is None:
            raise Refused(BusinessError.NOT_FOUND, "no such import")
        return found

    async def start(self, caller: Caller, import_id: uuid.UUID) -> bool:
        """Starts the import in the background once (False: it is running already); a stalled
        one starts again."""
        require_administrator(caller, "import customers")
        await self.get(caller, import_id)
        now = utcnow()
        async with self._sessions.begin() as session:
            claimed = await session.execute(
                update(ConsoleImport)
                .where(
                    ConsoleImport.id == import_id,
                    ConsoleImport.finished_at.is_(None),
                    ConsoleImport.rows.is_not(None),
                    (ConsoleImport.started_at.is_(None))
                    | (ConsoleImport.updated_at < now - STALLED_AFTER),
                )
                .values(started_at=now, updated_at=now, rows_done=0)
            )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return False
        task = asyncio.create_task(self._run(caller, import_id))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return True

    @staticmethod
    def expired(found: ConsoleImport) -> bool:
        """Checked, never finished, and its rows gone (see KEEP_UNSTARTED)."""
        return found.finished_at is None and found.rows is None

    @staticmethod
    def stalled(found: ConsoleImport) -> bool:
        return (
            found.started_at is not None
            and found.finished_at is None
            and found.updated_at is not None
            and found.updated_at < utcnow() - STALLED_AFTER
        )

    async def _run(self, caller: Caller, import_id: uuid.UUID) -> None:
        async with self._reads() as session:
            found = await session.get_one(ConsoleImport, import_id)
            rows = list(found.rows or [])

        async def progress(started: int) -> None:
            if started % PROGRESS_EVERY == 0:
                await self._note(import_id, rows_done=started)

        try:
            report: BulkReport = await self._bulk.run(
                caller, rows, dry_run=False, progress=progress
            )
        except Exception as error:
            # Only the type: a database error's text can quote a row's contact data.
            log.warning("console import %s stopped: %s", import_id, type(error).__name__)
            return
        await self._note(
            import_id,
            rows_done=report.summary.rows - report.summary.invalid,
            finished_at=utcnow(),
            report=report.model_dump(mode="json", exclude_none=True),
            rows=null(),
        )
        log.info("console import %s finished: %s", import_id, report.summary.model_dump())

    async def _note(self, import_id: uuid.UUID, **values: Any) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ConsoleImport)
                .where(ConsoleImport.id == import_id)
                .values(updated_at=utcnow(), **values)
            )
