"""Bulk onboarding: many customers from one request or file, shared by the API and the CLI.

It runs in two phases, so a file with mistakes is reported whole before anything starts:

1. Every row is validated as the body of `POST /v1/customers` would be, and checked against
   what holds for all rows at once: the white label's plans, its payment gateway, rows that
   repeat one another, keys already used for another body. Every error is collected with its
   row number and field path. A dry run stops here and says what each valid row would do.
2. Each valid row starts its signup through `SignupService`, the same path a single create
   takes, CONCURRENCY at a time. WL-managed signups are started, not awaited: a thousand rows
   would otherwise take minutes. The report gives each row's status at answer time.

Every row has an idempotency key: the client's own (`idempotency_key`) or one derived from the
row's canonical content, so re-running the same file finds the customers its first run created
instead of creating them again.
"""

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError
from sqlalchemy import select

from domain.customer import CreateCustomerRequest
from domain.enums import CustomerStatus
from domain.errors import REFUSALS, BusinessError, Refused
from domain.signup_paths import PAID_BY_CARD
from domain.validation import field_message, field_path
from starter.auth import Caller
from starter.signups import SignupService, request_fingerprint
from store.engine import SessionFactory, read_only
from store.schema import Customer, IdempotencyKey, Plan, WhiteLabel

log = logging.getLogger("starter.bulk")

MAX_ROWS = 1000
"""Rows in one API call; a bigger file is split (re-running a part is safe)."""
CONCURRENCY = 16
"""Signups started at once: enough to keep the worker busy, few enough that the database and
Temporal serve single creates beside a bulk run."""
DERIVED_KEY_PREFIX = "bulk-"
VALIDATION_SLICE = 100
"""Rows validated between two yields to the event loop: 1,000 rows take about 0.1 s of CPU,
which other requests of the API should not wait behind."""
LOOKUP_CHUNK = 500
"""Ids per `IN (...)` query, well under SQLite's and PostgreSQL's bound-parameter limits."""

IdempotencyKeyText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_KEY = TypeAdapter(IdempotencyKeyText)

VALIDATION = "ValidationError"
DUPLICATE = "DuplicateRow"
NOT_STARTED = "SignupNotStarted"


class BulkRow(CreateCustomerRequest):
    """One row: the body of `POST /v1/customers`, and optionally the client's own key for it."""

    idempotency_key: IdempotencyKeyText | None = Field(
        default=None,
        description="Your own id for this row. Without it the key is derived from the row's "
        "content, so the same row is the same customer on every run.",
    )


class RowOutcome(StrEnum):
    CREATED = "created"
    ALREADY_EXISTED = "already_existed"
    WOULD_CREATE = "would_create"
    ALREADY_EXISTS = "already_exists"
    INVALID = "invalid"
    FAILED = "failed"


class RowError(BaseModel):
    type: str
    path: str = Field(
        description="The field, as in the API's 422 (`contact.email`); empty for the whole row."
    )
    message: str


class RowReport(BaseModel):
    row: int = Field(description="1 for the first row (in a CSV file, the first after the header)")
    outcome: RowOutcome
    idempotency_key: str | None = None
    customer_id: uuid.UUID | None = None
    status: CustomerStatus | None = Field(default=None, description="At answer time.")
    errors: list[RowError] | None = None


class BulkSummary(BaseModel):
    rows: int
    created: int = 0
    already_existed: int = 0
    would_create: int = 0
    already_exists: int = 0
    invalid: int = 0
    failed: int = 0


class BulkReport(BaseModel):
    dry_run: bool
    summary: BulkSummary
    rows: list[RowReport]

    @property
    def all_good(self) -> bool:
        """Every row created, found, or (dry run) would be: nothing for the caller to fix."""
        return self.summary.invalid == 0 and self.summary.failed == 0


@dataclass
class _Row:
    """One row on its way through the phases."""

    number: int
    raw: object
    request: CreateCustomerRequest | None = None
    key: str | None = None
    errors: list[RowError] = field(default_factory=list)
    outcome: RowOutcome | None = None
    customer_id: uuid.UUID | None = None

    @property
    def valid(self) -> bool:
        return self.request is not None and not self.errors

    def refuse(self, kind: str, path: str, message: str) -> None:
        self.errors.append(RowError(type=kind, path=path, message=message))

    def refused(self, code: BusinessError, message: str) -> None:
        """A business refusal, reported on the field the refusal table says it is about."""
        self.refuse(code, REFUSALS[code].field, message)

    def report(self, statuses: dict[uuid.UUID, CustomerStatus]) -> RowReport:
        status = None
        if self.customer_id is not None and self.outcome in {
            RowOutcome.CREATED,
            RowOutcome.ALREADY_EXISTED,
            RowOutcome.ALREADY_EXISTS,
            RowOutcome.FAILED,
        }:
            # A WL-managed signup just started may not have written its row yet.
            status = statuses.get(self.customer_id, CustomerStatus.PROVISIONING)
        outcome = self.outcome or (RowOutcome.INVALID if self.errors else RowOutcome.FAILED)
        return RowReport(
            row=self.number,
            outcome=outcome,
            idempotency_key=self.key,
            customer_id=self.customer_id,
            status=status,
            errors=self.errors or None,
        )


def derived_key(request: CreateCustomerRequest) -> str:
    """The key of a row without one: its validated content, canonical (sorted keys, no nulls),
    so the same row gets the same key on every run and in any field order."""
    canonical = json.dumps(
        request.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":")
    )
    return DERIVED_KEY_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


def _field_errors(error: ValidationError, prefix: str = "") -> list[RowError]:
    """Pydantic's errors with paths as the API's 422 gives them (`contact.email`)."""
    found = []
    for item in error.errors():
        path = field_path([prefix, *item["loc"]] if prefix else item["loc"])
        message = field_message(str(item["msg"]))
        found.append(RowError(type=VALIDATION, path=path, message=message))
    return found


@dataclass(frozen=True)
class _WhiteLabelRules:
    """What every row of one white label is checked against, read once per call."""

    plan_codes: frozenset[str]
    takes_cards: bool

    def check(self, row: _Row, fields: dict[str, Any]) -> None:
        """Plan and payment gateway, on the raw values, so a row that has other errors still
        hears about these in the same report."""
        bad_paths = {error.path for error in row.errors}
        plan_code = fields.get("plan_code")
        if (
            isinstance(plan_code, str)
            and "plan_code" not in bad_paths
            and plan_code.strip() not in self.plan_codes
        ):
            row.refused(
                BusinessError.PLAN_UNKNOWN,
                f"this white label has no plan {plan_code.strip()!r}",
            )
        if fields.get("path") in PAID_BY_CARD and not self.takes_cards:
            row.refused(
                BusinessError.PAYMENT_GATEWAY_MISSING,
                "self_serve signups need a payment gateway: ask the platform operator to run "
                "`python -m starter wl set-payment-gateway` for this white label",
            )


def _validate(row: _Row, rules: _WhiteLabelRules) -> None:
    if not isinstance(row.raw, dict):
        row.refuse(VALIDATION, "", "a row is a JSON object: the body of POST /v1/customers")
        return
    fields = dict(row.raw)
    given = fields.pop("idempotency_key", None)
    if given is not None:
        try:
            row.key = _KEY.validate_python(given)
        except ValidationError as error:
            row.errors += _field_errors(error, "idempotency_key")
    try:
        request = CreateCustomerRequest.model_validate(fields)
    except ValidationError as error:
        row.errors += _field_errors(error)
    else:
        row.request = request
        if given is None:
            row.key = derived_key(request)
    rules.check(row, fields)


def _refuse_repeats(rows: Sequence[_Row]) -> None:
    """A key twice in one file: the second row is refused, never a second customer."""
    first: dict[str, _Row] = {}
    for row in rows:
        if row.request is None or row.key is None:
            continue
        earlier = first.setdefault(row.key, row)
        if earlier is row:
            continue
        assert earlier.request is not None
        if request_fingerprint(earlier.request) == request_fingerprint(row.request):
            row.refuse(DUPLICATE, "", f"the same customer as row {earlier.number}")
        else:
            row.refuse(
                DUPLICATE,
                "idempotency_key",
                f"row {earlier.number} already uses this idempotency_key for another customer",
            )


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


class BulkOnboarding:
    """Validates every row, then starts the valid ones through `SignupService`."""

    def __init__(
        self, signups: SignupService, sessions: SessionFactory, concurrency: int = CONCURRENCY
    ) -> None:
        self._signups = signups
        self._reads = read_only(sessions)
        self._concurrency = concurrency

    async def run(
        self,
        caller: Caller,
        rows: Sequence[object],
        *,
        dry_run: bool,
        progress: Callable[[int], Awaitable[None]] | None = None,
    ) -> BulkReport:
        """`progress` hears how many valid rows have been started so far (the console's
        import page shows it)."""
        if not caller.is_administrator:
            raise Refused(
                BusinessError.FORBIDDEN, "only a white label administrator creates customers"
            )
        work = [_Row(number=index, raw=raw) for index, raw in enumerate(rows, start=1)]
        rules = await self._rules(caller)
        for row in work:
            _validate(row, rules)
            if row.number % VALIDATION_SLICE == 0:
                await asyncio.sleep(0)
        _refuse_repeats(work)
        await self._compare_with_earlier_runs(caller, work, dry_run=dry_run)
        valid = [row for row in work if row.valid and row.outcome is None]
        if not dry_run:
            await self._start_all(caller, valid, progress)
        report = await self._report(work, dry_run)
        log.info(
            "bulk onboarding for white label %s: %s",
            caller.white_label_id,
            report.summary.model_dump(),
        )
        return report

    async def _rules(self, caller: Caller) -> _WhiteLabelRules:
        async with self._reads() as session:
            white_label = await session.get_one(WhiteLabel, caller.white_label_id)
            codes = await session.scalars(
                select(Plan.code).where(Plan.white_label_id == caller.white_label_id)
            )
            return _WhiteLabelRules(
                plan_codes=frozenset(codes), takes_cards=self._signups.can_take_cards(white_label)
            )

    async def _compare_with_earlier_runs(
        self, caller: Caller, rows: Sequence[_Row], *, dry_run: bool
    ) -> None:
        """A key used before with another body is refused now, before anything starts; in a
        dry run, a key used before with this body is a customer that already exists."""
        by_key = {row.key: row for row in rows if row.valid and row.key is not None}
        keys = list(by_key)
        async with self._reads() as session:
            for chunk in _chunks(keys):
                for earlier in await session.scalars(
                    select(IdempotencyKey).where(
                        IdempotencyKey.white_label_id == caller.white_label_id,
                        IdempotencyKey.key.in_(chunk),
                    )
                ):
                    row = by_key[earlier.key]
                    assert row.request is not None
                    if earlier.request_hash != request_fingerprint(row.request):
                        row.refused(
                            BusinessError.IDEMPOTENCY_KEY_REUSED,
                            "this key was used before with a different request body",
                        )
                    elif dry_run:
                        row.outcome = RowOutcome.ALREADY_EXISTS
                        row.customer_id = earlier.customer_id
        if dry_run:
            for row in rows:
                if row.valid and row.outcome is None:
                    row.outcome = RowOutcome.WOULD_CREATE

    async def _start_all(
        self,
        caller: Caller,
        rows: Sequence[_Row],
        progress: Callable[[int], Awaitable[None]] | None,
    ) -> None:
        pending = iter(rows)
        started = 0

        async def starter() -> None:
            nonlocal started
            for row in pending:  # shared: each row is taken by one starter only
                await self._start(caller, row)
                started += 1
                if progress is not None:
                    await progress(started)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._concurrency, len(rows))):
                group.create_task(starter())

    async def _start(self, caller: Caller, row: _Row) -> None:
        assert row.request is not None
        try:
            outcome = await self._signups.create(caller, row.request, row.key, wait=False)
        except Refused as refused:
            # Something changed since phase 1 (another request took the key meanwhile).
            row.refused(refused.code, refused.message)
            row.outcome = RowOutcome.INVALID
            return
        except Exception as error:
            # One row that cannot start must not lose the report of the others: the caller
            # sees which, and re-running the same rows is safe. The type only: a database
            # error's text can quote the row's contact data.
            log.warning(
                "bulk onboarding: row %d did not start: %s", row.number, type(error).__name__
            )
            row.refuse(
                NOT_STARTED,
                "",
                f"the signup could not be started ({type(error).__name__}); "
                "re-running the same rows is safe",
            )
            row.outcome = RowOutcome.FAILED
            return
        row.customer_id = outcome.customer_id
        if outcome.failure is not None:
            row.refuse(outcome.failure.type, "", outcome.failure.message)
            row.outcome = RowOutcome.FAILED
        elif outcome.repeated:
            row.outcome = RowOutcome.ALREADY_EXISTED
        else:
            row.outcome = RowOutcome.CREATED

    async def _report(self, rows: Sequence[_Row], dry_run: bool) -> BulkReport:
        ids = [row.customer_id for row in rows if row.customer_id is not None]
        statuses: dict[uuid.UUID, CustomerStatus] = {}
        async with self._reads() as session:
            for chunk in _chunks(ids):
                for customer_id, status in await session.execute(
                    select(Customer.id, Customer.status).where(Customer.id.in_(chunk))
                ):
                    statuses[customer_id] = CustomerStatus(status)
        reports = [row.report(statuses) for row in rows]
        counts = {outcome.value: 0 for outcome in RowOutcome}
        for report in reports:
            counts[report.outcome.value] += 1
        return BulkReport(
            dry_run=dry_run, summary=BulkSummary(rows=len(reports), **counts), rows=reports
        )
