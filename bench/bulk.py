"""Bulk onboarding: N rows in one `POST /v1/customers/bulk` (`python -m bench.bulk --rows 1000`).

On a private stack (bench/stack.py), for each path in turn (self-serve, then WL-managed), it
posts N rows in one call and reports:

- the answer time, and rows started per second over it;
- how long from the post until every signup reached its first resting state: self-serve
  `awaiting_activation` with its activation email delivered (the workflow then waits for the
  customer); WL-managed `active` with the confirmation email to the WL admin delivered (the
  call only starts those, so they finish after the answer);
- CPU seconds of each process of the stack (bench/cpu.py) over the call and until settled;
- errors: a non-200 answer, rows not `created`, customers that ended `failed`;
- the same rows posted again: every row `already_existed`, and how long that takes.

Not part of `make bench`: it answers one question of the bulk route, about 3 minutes for
1,000 rows of each path on the 2-core development machine.
"""

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.cpu import cpu_by_role
from bench.selfserve import Links, signup_request
from bench.stack import Stack, bench_stack
from bench.throughput import wl_managed_request
from devstack.mailsink import MailSink
from domain.enums import CustomerStatus, SignupPath
from store.engine import SessionFactory, create_engine, create_session_factory, read_only
from store.schema import Customer

ROLES = ("api", "worker", "temporal", "localstripe")
SETTLE_WITHIN_SECONDS = 900
WL_ADMIN = "bench@example.com"  # the bench white label's administrator (bench/stack.py)
RESTING = {
    SignupPath.SELF_SERVE: CustomerStatus.AWAITING_ACTIVATION,
    SignupPath.WL_MANAGED: CustomerStatus.ACTIVE,
}


def rows_for(path: SignupPath, count: int) -> list[dict[str, Any]]:
    """Rows of one path, each its own customer (own contact email and business name)."""
    run = uuid.uuid4().hex[:6]
    if path is SignupPath.SELF_SERVE:
        return [signup_request(f"{run}-{index}", plan_code="business") for index in range(count)]
    rows = []
    for index in range(count):
        row = wl_managed_request()
        row["contact"] = {**row["contact"], "email": f"bench-{run}-{index}@customer.example.com"}
        row["business"] = {"name": f"Bench Managed {run}-{index}"}
        rows.append(row)
    return rows


async def statuses(reads: SessionFactory, customer_ids: list[str]) -> dict[str, int]:
    """How many of these customers are in each status."""
    counts: dict[str, int] = {}
    async with reads() as session:
        for start in range(0, len(customer_ids), 500):
            chunk = [uuid.UUID(customer_id) for customer_id in customer_ids[start : start + 500]]
            for status, count in await session.execute(
                select(Customer.status, func.count())
                .where(Customer.id.in_(chunk))
                .group_by(Customer.status)
            ):
                counts[status] = counts.get(status, 0) + int(count)
    return counts


def _cpu_seconds(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {role: round(after[role] - before[role], 1) for role in before}


class AdminMail:
    """Emails to the WL admin since it was made, read incrementally: `MailSink.to()` scans
    every message, and the bench's own CPU would then grow with the mailbox."""

    def __init__(self, sink: MailSink) -> None:
        self._sink = sink
        self._read = len(sink.messages)
        self.count = 0

    def refresh(self) -> int:
        messages = self._sink.messages
        while self._read < len(messages):
            self.count += WL_ADMIN in str(messages[self._read].get("To", ""))
            self._read += 1
        return self.count


async def until_settled(
    stack: Stack, reads: SessionFactory, path: SignupPath, customer_ids: list[str], admin: AdminMail
) -> float:
    """Waits until every one of these signups reached its resting state; returns the monotonic
    time it saw that."""
    links, wanted = Links(stack.mail), set(customer_ids)
    deadline = time.monotonic() + SETTLE_WITHIN_SECONDS
    while time.monotonic() < deadline:
        counts = await statuses(reads, customer_ids)
        if path is SignupPath.SELF_SERVE:
            links.refresh()
            mailed = len(links.tokens.keys() & wanted)
        else:
            mailed = admin.refresh()
        failed = counts.get(CustomerStatus.FAILED.value, 0)
        settled = counts.get(RESTING[path].value, 0) + failed
        if settled >= len(wanted) and mailed >= len(wanted) - failed:
            return time.monotonic()
        await asyncio.sleep(0.5)
    raise SystemExit(f"bench: the {path.value} signups did not settle in {SETTLE_WITHIN_SECONDS} s")


async def one_path(
    stack: Stack, http: httpx.AsyncClient, reads: SessionFactory, path: SignupPath, count: int
) -> dict[str, Any]:
    rows = rows_for(path, count)
    admin = AdminMail(stack.mail)
    cpu_before = cpu_by_role(stack, ROLES)
    started = time.monotonic()
    answer = await http.post("/v1/customers/bulk", json={"rows": rows})
    answered = time.monotonic()
    cpu_answered = cpu_by_role(stack, ROLES)
    if answer.status_code != 200:
        return {"path": path.value, "errors": [f"HTTP {answer.status_code}: {answer.text[:300]}"]}
    report = answer.json()
    customer_ids = [row["customer_id"] for row in report["rows"] if "customer_id" in row]
    settled = await until_settled(stack, reads, path, customer_ids, admin)
    cpu_settled = cpu_by_role(stack, ROLES)
    again_started = time.monotonic()
    again = await http.post("/v1/customers/bulk", json={"rows": rows})
    again_seconds = time.monotonic() - again_started
    not_created = [row for row in report["rows"] if row["outcome"] != "created"]
    final = await statuses(reads, customer_ids)
    return {
        "path": path.value,
        "rows": count,
        "request_bytes": len(json.dumps({"rows": rows})),
        "answer_s": round(answered - started, 1),
        "rows_started_per_s": round(count / (answered - started), 1),
        "summary": report["summary"],
        "statuses_at_answer": _count(row.get("status") for row in report["rows"]),
        "all_settled_after_s": round(settled - started, 1),
        "cpu_s_during_answer": _cpu_seconds(cpu_before, cpu_answered),
        "cpu_s_until_settled": _cpu_seconds(cpu_before, cpu_settled),
        "again_answer_s": round(again_seconds, 1),
        "again_summary": again.json()["summary"] if again.status_code == 200 else again.text,
        "errors": [f"row {row['row']}: {row['outcome']} {row.get('errors')}" for row in not_created]
        + ([f"{final['failed']} customers failed"] if final.get("failed") else []),
    }


def _count(values: Any) -> dict[str, int]:
    counted: dict[str, int] = {}
    for value in values:
        counted[str(value)] = counted.get(str(value), 0) + 1
    return counted


async def measure(database_url: str | None, rows: int, paths: list[SignupPath]) -> dict[str, Any]:
    async with bench_stack(database_url, workers=1) as stack:
        engine = create_engine(stack.environment["DATABASE_URL"])
        reads = read_only(create_session_factory(engine))
        headers = {"Authorization": f"Bearer {stack.api_key}"}
        try:
            async with httpx.AsyncClient(
                base_url=stack.api_url, headers=headers, timeout=SETTLE_WITHIN_SECONDS
            ) as http:
                # The first signups warm the worker's sandbox and the API's validators.
                warm = await http.post(
                    "/v1/customers/bulk", json={"rows": rows_for(SignupPath.SELF_SERVE, 2)}
                )
                assert warm.status_code == 200, warm.text
                results = [await one_path(stack, http, reads, path, rows) for path in paths]
        finally:
            await engine.dispose()
    return {"rows_per_call": rows, "results": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="rows in one call (at most 1000)")
    parser.add_argument(
        "--paths",
        default="self_serve,wl_managed",
        help="comma-separated signup paths, measured one after the other",
    )
    parser.add_argument("--database-url", help="default: a SQLite file in the run's folder")
    arguments = parser.parse_args()
    chosen = [SignupPath(name.strip()) for name in arguments.paths.split(",")]
    print(
        json.dumps(asyncio.run(measure(arguments.database_url, arguments.rows, chosen)), indent=2)
    )
