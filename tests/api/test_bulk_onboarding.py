"""Bulk onboarding: `POST /v1/customers/bulk` and `python -m starter customers import`.

Every row is validated first and every error reported by row and field; then each valid row
starts its signup with its own idempotency key, so sending the same rows again creates
nothing twice.
"""

import asyncio
import csv
import io
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from domain.customer import CreateCustomerRequest
from domain.settings import Settings
from starter.auth import Caller
from starter.bulk import BulkOnboarding
from starter.signups import SignupOutcome, SignupService
from store.engine import SessionFactory
from store.schema import Customer
from tests.conftest import (
    STRIPE_SECRET_KEY,
    WhiteLabelFixture,
    customer_request,
    make_white_label,
)
from tests.support.worker_processes import settings_environment

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]
BULK = "/v1/customers/bulk"


def self_serve(**overrides: object) -> dict[str, Any]:
    return customer_request(path="self_serve", **overrides)


def wl_managed(**overrides: object) -> dict[str, Any]:
    return customer_request(numbers={"count": 1}, **overrides)


async def bulk(
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    rows: list[Any],
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    response = await api.post(
        BULK, json={"rows": rows, "dry_run": dry_run}, headers=white_label.headers
    )
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def listed_ids(api: httpx.AsyncClient, white_label: WhiteLabelFixture) -> set[str]:
    response = await api.get("/v1/customers", params={"limit": 200}, headers=white_label.headers)
    assert response.status_code == 200, response.text
    return {customer["customer_id"] for customer in response.json()["customers"]}


def outcomes(report: dict[str, Any]) -> list[str]:
    return [row["outcome"] for row in report["rows"]]


def problems(row: dict[str, Any]) -> set[tuple[str, str]]:
    return {(problem["type"], problem["path"]) for problem in row["errors"]}


async def until_active(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture, customer_id: str
) -> dict[str, Any]:
    """A WL-managed row is started, not awaited: its customer is written a moment later.
    Generous: under `make test-replay` concurrent starts queue behind workflow task timeouts."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = await api.get(f"/v1/customers/{customer_id}", headers=white_label.headers)
        if found.status_code == 200 and found.json()["status"] == "active":
            view: dict[str, Any] = found.json()
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"customer {customer_id} is not active: {found.text}")


async def test_every_error_is_reported_by_row_and_field_and_the_valid_rows_start(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    many_mistakes = customer_request(
        contact={"first_name": "Aroha", "last_name": "Ngata", "email": "not-an-email",
                 "phone": "+64211234567"},
        address={"line1": "1 Main St", "city": "Auckland", "postal_code": "1010", "country": "ZZ"},
        plan_code="gold",
    )  # fmt: skip
    self_serve_with_pbx = self_serve(pbx_settings={"timezone": "Pacific/Auckland"})
    del self_serve_with_pbx["business"]
    rows = [
        wl_managed(),
        self_serve(),
        many_mistakes,
        self_serve_with_pbx,
        self_serve(idempotency_key="crm-4711"),
        "not a row",
    ]

    report = await bulk(api, white_label, rows)

    assert outcomes(report) == ["created", "created", "invalid", "invalid", "created", "invalid"]
    assert report["summary"] == {
        "rows": 6, "created": 3, "already_existed": 0, "would_create": 0, "already_exists": 0,
        "invalid": 3, "failed": 0,
    }  # fmt: skip
    managed, card, mistakes, pbx, keyed, not_a_row = report["rows"]
    assert problems(mistakes) == {
        ("ValidationError", "contact.email"),
        ("ValidationError", "address.country"),
        ("PlanUnknown", "plan_code"),
    }
    assert "gold" in " ".join(problem["message"] for problem in mistakes["errors"])
    assert problems(pbx) == {
        ("ValidationError", "business"),
        ("ValidationError", "pbx_settings"),
    }
    assert problems(not_a_row) == {("ValidationError", "")}
    assert all("customer_id" not in row for row in (mistakes, pbx, not_a_row))
    assert managed["status"] in {"provisioning", "active"}
    assert card["status"] == keyed["status"] == "awaiting_activation"
    assert keyed["idempotency_key"] == "crm-4711"
    assert managed["idempotency_key"].startswith("bulk-")
    created = {row["customer_id"] for row in (managed, card, keyed)}
    view = await until_active(api, white_label, managed["customer_id"])
    assert view["numbers"] == [white_label.numbers[0]]
    assert await listed_ids(api, white_label) == created


async def test_rerunning_the_same_rows_creates_nothing_twice(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    rows = [self_serve(), wl_managed(), self_serve(idempotency_key="crm-1")]

    first = await bulk(api, white_label, rows)
    while_running = await bulk(api, white_label, rows)
    await until_active(api, white_label, first["rows"][1]["customer_id"])
    once_finished = await bulk(api, white_label, rows)

    assert outcomes(first) == ["created"] * 3
    for again in (while_running, once_finished):
        assert outcomes(again) == ["already_existed"] * 3
        assert again["summary"]["already_existed"] == 3
        assert [row["customer_id"] for row in again["rows"]] == [
            row["customer_id"] for row in first["rows"]
        ]
    assert once_finished["rows"][1]["status"] == "active"
    assert await listed_ids(api, white_label) == {row["customer_id"] for row in first["rows"]}


async def test_a_dry_run_says_what_would_happen_and_starts_nothing(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    first, second = self_serve(), wl_managed()
    bad = self_serve(plan_code="gold")

    dry = await bulk(api, white_label, [first, bad], dry_run=True)
    nothing = await listed_ids(api, white_label)
    created = await bulk(api, white_label, [first])
    dry_again = await bulk(api, white_label, [first, second], dry_run=True)

    assert dry["dry_run"] is True
    assert outcomes(dry) == ["would_create", "invalid"]
    assert problems(dry["rows"][1]) == {("PlanUnknown", "plan_code")}
    assert nothing == set()
    assert dry["rows"][0]["idempotency_key"] == created["rows"][0]["idempotency_key"]
    assert outcomes(dry_again) == ["already_exists", "would_create"]
    assert dry_again["rows"][0]["customer_id"] == created["rows"][0]["customer_id"]
    assert dry_again["rows"][0]["status"] == "awaiting_activation"
    assert await listed_ids(api, white_label) == {created["rows"][0]["customer_id"]}


async def test_a_row_repeated_in_one_request_is_one_customer(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    row = self_serve()
    same_in_other_words = {
        **dict(reversed(row.items())),
        "contact": {**row["contact"], "first_name": "  Aroha  "},
    }
    one, other = self_serve(idempotency_key="crm-7"), self_serve(idempotency_key="crm-7")

    report = await bulk(api, white_label, [row, same_in_other_words, one, other])

    assert outcomes(report) == ["created", "invalid", "created", "invalid"]
    assert report["rows"][1]["errors"] == [
        {"type": "DuplicateRow", "path": "", "message": "the same customer as row 1"}
    ]
    assert problems(report["rows"][3]) == {("DuplicateRow", "idempotency_key")}
    assert "row 3" in report["rows"][3]["errors"][0]["message"]
    assert len(await listed_ids(api, white_label)) == 2


async def test_a_row_reusing_an_idempotency_key_with_another_body_is_refused_on_that_row(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    single = self_serve()
    answer = await api.post(
        "/v1/customers",
        json=single,
        headers={**white_label.headers, "Idempotency-Key": "crm-42"},
    )
    assert answer.status_code == 202, answer.text

    reused = await bulk(api, white_label, [self_serve(idempotency_key="crm-42"), self_serve()])
    same_body = await bulk(api, white_label, [{**single, "idempotency_key": "crm-42"}])

    assert outcomes(reused) == ["invalid", "created"]
    assert problems(reused["rows"][0]) == {("IdempotencyKeyReused", "idempotency_key")}
    assert outcomes(same_body) == ["already_existed"]
    assert same_body["rows"][0]["customer_id"] == answer.json()["customer_id"]
    assert len(await listed_ids(api, white_label)) == 2


async def test_self_serve_rows_need_a_payment_gateway(
    api: httpx.AsyncClient, sessions: SessionFactory, worker: Worker
) -> None:
    cardless = await make_white_label(sessions, payment_gateway=False)

    report = await bulk(api, cardless, [self_serve(), wl_managed()])

    assert outcomes(report) == ["invalid", "created"]
    assert problems(report["rows"][0]) == {("PaymentGatewayMissing", "path")}
    managed = report["rows"][1]["customer_id"]
    await until_active(api, cardless, managed)
    assert await listed_ids(api, cardless) == {managed}


class SignupsThatCannotStartOne(SignupService):
    """Temporal refusing one start, as when it is unreachable for a moment."""

    def __init__(self, broken_email: str, *args: Any) -> None:
        super().__init__(*args)
        self._broken_email = broken_email

    async def create(
        self,
        caller: Caller,
        request: CreateCustomerRequest,
        idempotency_key: str | None = None,
        *,
        wait: bool = True,
    ) -> SignupOutcome:
        if request.contact.email == self._broken_email:
            raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")
        return await super().create(caller, request, idempotency_key, wait=wait)


async def test_a_row_that_cannot_start_is_reported_failed_and_the_others_still_start(
    api: httpx.AsyncClient,
    client: Client,
    sessions: SessionFactory,
    settings: Settings,
    white_label: WhiteLabelFixture,
) -> None:
    rows = [self_serve(), self_serve(), self_serve()]
    broken = str(rows[1]["contact"]["email"])
    signups = SignupsThatCannotStartOne(broken, client, sessions, settings)

    report = await BulkOnboarding(signups, sessions).run(white_label.caller, rows, dry_run=False)
    retried = await BulkOnboarding(SignupService(client, sessions, settings), sessions).run(
        white_label.caller, rows, dry_run=False
    )

    assert [row.outcome for row in report.rows] == ["created", "failed", "created"]
    [problem] = report.rows[1].errors or []
    assert problem.type == "SignupNotStarted"
    assert "re-running the same rows is safe" in problem.message
    assert [row.outcome for row in retried.rows] == [
        "already_existed",
        "created",
        "already_existed",
    ]
    assert len(await listed_ids(api, white_label)) == 3


async def test_staff_cannot_bulk_create(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    response = await api.post(
        BULK, json={"rows": [self_serve(), wl_managed()]}, headers=white_label.staff_headers
    )

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "Forbidden"
    assert await listed_ids(api, white_label) == set()


async def test_the_route_takes_more_than_64_kib_but_refuses_a_body_over_2_mib(
    api: httpx.AsyncClient, white_label: WhiteLabelFixture
) -> None:
    rows = [self_serve() for _ in range(300)]
    ordinary = json.dumps({"rows": rows, "dry_run": True}).encode()
    oversized = b'{"rows": [], "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {**white_label.headers, "Content-Type": "application/json"}

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(oversized), 65536):
            yield oversized[start : start + 65536]

    fits = await api.post(BULK, content=ordinary, headers=headers)
    declared = await api.post(BULK, content=oversized, headers=headers)
    streamed = await api.post(BULK, content=chunks(), headers=headers)
    elsewhere = await api.post("/v1/customers", content=ordinary, headers=headers)

    assert len(ordinary) > 64 * 1024
    assert fits.status_code == 200, fits.text
    assert fits.json()["summary"]["would_create"] == 300
    assert declared.status_code == streamed.status_code == elsewhere.status_code == 413
    assert await listed_ids(api, white_label) == set()


@pytest.mark.load
async def test_two_hundred_rows_in_one_call_start_and_a_second_call_finds_them_all(
    api: httpx.AsyncClient, sessions: SessionFactory, worker: Worker
) -> None:
    """1,000 rows take longer than a test should here, where the worker, the API and the
    tests share one process: `python -m bench.bulk --rows 1000` measures those."""
    white_label = await make_white_label(
        sessions, credit_limit=Decimal("100000.00"), number_count=100
    )
    rows = [self_serve() for _ in range(100)] + [wl_managed() for _ in range(100)]

    first = await bulk(api, white_label, rows)
    again = await bulk(api, white_label, rows)

    not_created = [row for row in first["rows"] if row["outcome"] != "created"]
    assert not_created == [], (first["summary"], not_created[:3])
    not_awaiting = [row for row in first["rows"][:100] if row["status"] != "awaiting_activation"]
    assert not_awaiting == [], not_awaiting[:3]
    assert len({row["customer_id"] for row in first["rows"]}) == 200
    assert again["summary"]["already_existed"] == 200, again["summary"]
    assert [row["customer_id"] for row in again["rows"]] == [
        row["customer_id"] for row in first["rows"]
    ]
    async with sessions() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.white_label_id == white_label.id)
        )
    assert stored == 200


# --- the CLI --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


async def import_file(settings: Settings, *args: str) -> Run:
    """`python -m starter customers import …` as an operator runs it, against the test stack."""
    variables = {
        **settings_environment(settings),
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter", "customers", "import", *args,
        cwd=ROOT, env=variables, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


COLUMNS = [
    "path", "contact.first_name", "contact.last_name", "contact.email", "contact.phone",
    "business.name", "address.line1", "address.city", "address.postal_code", "address.country",
    "plan_code", "numbers.count", "idempotency_key",
]  # fmt: skip


def csv_file(folder: Path, rows: list[dict[str, Any]]) -> Path:
    """The rows as a spreadsheet would save them: one column per field path."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value: Any = row
            for part in column.split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            cells.append(value)
        writer.writerow(cells)
    path = folder / "customers.csv"
    path.write_text(text.getvalue())
    return path


async def test_importing_a_csv_file_dry_run_then_for_real_then_again(
    settings: Settings,
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    tmp_path: Path,
) -> None:
    path = csv_file(tmp_path, [self_serve(), wl_managed(), self_serve(idempotency_key="crm-9")])
    key = white_label.admin_key

    dry = await import_file(settings, str(path), "--api-key", key, "--dry-run", "--json")
    nothing = await listed_ids(api, white_label)
    real = await import_file(settings, str(path), "--api-key", key, "--json")
    again = await import_file(settings, str(path), "--api-key", key)

    assert dry.code == 0, dry.stderr
    assert [(row["row"], row["line"], row["outcome"]) for row in dry.json()["rows"]] == [
        (1, 2, "would_create"), (2, 3, "would_create"), (3, 4, "would_create"),
    ]  # fmt: skip
    assert nothing == set()
    assert real.code == 0, real.stderr
    assert [row["outcome"] for row in real.json()["rows"]] == ["created"] * 3
    assert real.json()["rows"][2]["idempotency_key"] == "crm-9"
    assert again.code == 0, again.stderr
    assert [line.split(": ")[0] for line in again.stdout.splitlines()] == [
        "row 1 (line 2)", "row 2 (line 3)", "row 3 (line 4)", "3 rows",
    ]  # fmt: skip
    assert all(": already existed " in line for line in again.stdout.splitlines()[:3])
    assert again.stdout.splitlines()[-1] == "3 rows: 3 already existed"
    managed = real.json()["rows"][1]["customer_id"]
    assert (await until_active(api, white_label, managed))["numbers"] == [white_label.numbers[0]]
    assert await listed_ids(api, white_label) == {row["customer_id"] for row in real.json()["rows"]}


async def test_importing_a_json_file_with_a_bad_row_starts_the_good_ones_and_exits_1(
    settings: Settings,
    api: httpx.AsyncClient,
    white_label: WhiteLabelFixture,
    tmp_path: Path,
) -> None:
    bad = self_serve(plan_code="gold")
    bad["contact"]["email"] = "not-an-email"
    path = tmp_path / "customers.json"
    path.write_text(json.dumps({"rows": [self_serve(), bad]}))

    run = await import_file(settings, str(path), "--api-key", white_label.admin_key)

    assert run.code == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("row 1: created ")
    assert lines[1] == "row 2: invalid"
    assert any(line.strip().startswith("contact.email:") for line in lines[2:])
    assert "    plan_code: this white label has no plan 'gold' [PlanUnknown]" in lines
    assert lines[-1] == "2 rows: 1 created, 1 invalid"
    assert len(await listed_ids(api, white_label)) == 1


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("customers.txt", "path\nself_serve\n", "give a .csv or a .json file"),
        ("customers.csv", "path,contact.fax\nself_serve,1\n", "unknown column 'contact.fax'"),
        ("customers.csv", "path\nself_serve,extra\n", "line 2 has more cells"),
        ("customers.csv", "path,plan_code\n", "no rows"),
        ("customers.json", "[{", "not JSON"),
        ("customers.json", '{"customers": []}', 'expected a list of rows, or {"rows": [...]}'),
    ],
)
async def test_a_file_that_cannot_be_read_as_rows_exits_2_with_one_line(
    settings: Settings,
    white_label: WhiteLabelFixture,
    tmp_path: Path,
    name: str,
    content: str,
    said: str,
) -> None:
    path = tmp_path / name
    path.write_text(content)

    run = await import_file(settings, str(path), "--api-key", white_label.admin_key)

    assert run.code == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert said in run.stderr


async def test_importing_needs_an_administrators_key(
    settings: Settings, api: httpx.AsyncClient, white_label: WhiteLabelFixture, tmp_path: Path
) -> None:
    path = tmp_path / "customers.json"
    path.write_text(json.dumps([self_serve()]))

    staff = await import_file(settings, str(path), "--api-key", white_label.staff_key)
    unknown = await import_file(settings, str(path), "--api-key", "wlk_never-issued")

    assert (staff.code, unknown.code) == (2, 2)
    assert "Forbidden" in staff.stderr
    assert "--api-key: not a valid API key" in unknown.stderr
    assert await listed_ids(api, white_label) == set()
