"""Part 3 of `make bench`: thousands of self-serve signups parked, waiting for activation.

A self-serve workflow waits days for its customer, so a deployment holds many at once. This
starts N signups through `POST /v1/customers` (CONCURRENCY in flight), counts a signup parked
once its activation email has arrived (the workflow's last step before it waits), and samples
the resident memory (VmRSS) of the worker(s) and of the Temporal server at 25, 50, 75 and 100 %
parked. The worker keeps at most `max_cached_workflows` (1000) workflows in memory and evicts
the rest, so its RSS should level off once the cache is full instead of growing with N.

Then every customer activates, from the link in their email, like a browser (own client
address, POST of the activation form, the page with the card form read in full). The end state
is **activated = `awaiting_payment`**, not `active`: each activation writes a Stripe customer
and a SetupIntent to localstripe. The bench's localstripe keeps its state in memory only: saved,
it re-pickles its whole store on every write, and the activation rate fell by half over 1,500
signups as the store grew. The activation rate is reported per tenth of the run to show any
such slope. CPU seconds per process role over each phase show where the time goes.
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.cpu import cpu_by_role, ms_per_item, rss_mib
from bench.selfserve import CARD_FORM, Links, api_client, browser, start_signup
from bench.stack import Stack, bench_stack

CONCURRENCY = 16
QUARTERS = (25, 50, 75, 100)
STALL_SECONDS = 120
ROLES = ("worker", "temporal", "api", "localstripe")


def memory(stack: Stack) -> dict[str, float]:
    """RSS in MiB: the worker processes summed, the Temporal dev server."""
    return {
        "worker_rss_mib": round(sum(map(rss_mib, stack.pids("worker"))), 1),
        "temporal_rss_mib": round(sum(map(rss_mib, stack.pids("temporal"))), 1),
    }


@dataclass
class Progress:
    """What the phases share: customers started, errors, memory samples."""

    customers: dict[str, int] = field(default_factory=dict)  # customer id → index
    errors: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    starts_done: bool = False


async def start_all(stack: Stack, http: httpx.AsyncClient, count: int, progress: Progress) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)
    run = uuid.uuid4().hex[:6]

    async def one(index: int) -> None:
        async with gate:
            try:
                answer = await start_signup(http, stack, f"{run}-{index}")
            except httpx.HTTPError as error:
                progress.errors.append(f"start: {type(error).__name__}")
                return
            if answer.status_code != 202:
                progress.errors.append(f"start: HTTP {answer.status_code}")
                return
            progress.customers[str(answer.json()["customer_id"])] = index

    try:
        await asyncio.gather(*map(one, range(count)))
    finally:
        progress.starts_done = True


def _sample(progress: Progress, sample: dict[str, Any]) -> None:
    """Kept, and printed at once: a long run that is stopped still leaves its figures."""
    progress.samples.append(sample)
    print(f"parked: {sample}", file=sys.stderr, flush=True)


async def watch_parking(stack: Stack, links: Links, count: int, progress: Progress) -> None:
    """Samples memory as the activation emails pass each quarter of `count`; returns when
    every started signup is parked, or reports a stall."""
    due = list(QUARTERS)
    last_count, last_change = 0, time.monotonic()
    while True:
        parked = links.refresh()
        while due and parked >= count * due[0] / 100:
            _sample(progress, {"parked_percent": due.pop(0), "parked": parked, **memory(stack)})
        if progress.starts_done and parked >= len(progress.customers):
            if due:  # some starts failed: the last sample is at the end
                percent = round(100 * parked / count)
                _sample(progress, {"parked_percent": percent, "parked": parked, **memory(stack)})
            return
        if parked != last_count:
            last_count, last_change = parked, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            progress.errors.append(f"parking stalled at {parked} activation emails")
            return
        await asyncio.sleep(0.25)


async def activate_all(
    stack: Stack, http: httpx.AsyncClient, links: Links, progress: Progress
) -> list[float]:
    """Activates every parked signup; returns the moment (perf_counter) each one finished."""
    gate = asyncio.Semaphore(CONCURRENCY)
    finished: list[float] = []

    async def one(customer_id: str, index: int) -> None:
        token = links.tokens.get(customer_id)
        if token is None:
            return
        async with gate:
            try:
                page = await http.post(
                    f"/activate/{customer_id}",
                    data={"token": token},
                    headers=browser(index),
                    follow_redirects=True,
                )
            except httpx.HTTPError as error:
                progress.errors.append(f"activate: {type(error).__name__}")
                return
            if page.status_code != 200 or CARD_FORM not in page.text:
                progress.errors.append(f"activate: HTTP {page.status_code}")
                return
            finished.append(time.perf_counter())
            if len(finished) % 1000 == 0:
                print(f"activated: {len(finished)}", file=sys.stderr, flush=True)

    await asyncio.gather(*(one(customer, index) for customer, index in progress.customers.items()))
    return finished


def rate_by_tenth(started: float, finished: list[float]) -> list[float]:
    """Completions per second in each tenth of the completions: a slope shows O(n) costs."""
    moments = [started, *sorted(finished)]
    step = max(1, len(finished) // 10)
    rates = []
    for end in range(step, len(finished) + 1, step):
        rates.append(round(step / max(moments[end] - moments[end - step], 1e-9), 1))
    return rates


async def count_workflows(stack: Stack, query: str) -> int:
    return (await (await stack.client()).count_workflows(query)).count


async def measure(
    database_url: str | None = None, workers: int = 1, signups: int = 10_000, activate: bool = True
) -> dict[str, Any]:
    """Starts `signups` self-serve signups, waits until all are parked, then activates them."""
    async with bench_stack(database_url, workers) as stack, api_client(stack) as http:
        links, progress = Links(stack.mail), Progress()
        cpu_before = cpu_by_role(stack, ROLES)
        started = time.perf_counter()
        watcher = asyncio.create_task(watch_parking(stack, links, signups, progress))
        await start_all(stack, http, signups, progress)
        start_seconds = time.perf_counter() - started
        await watcher
        parked_seconds = time.perf_counter() - started
        cpu_parked = cpu_by_role(stack, ROLES)
        figures: dict[str, Any] = {
            "signups": signups,
            "concurrency": CONCURRENCY,
            "started": len(progress.customers),
            "start_per_s": round(len(progress.customers) / start_seconds, 1),
            "parked": links.refresh(),
            "all_parked_after_s": round(parked_seconds, 1),
            "memory_while_parking": progress.samples,
            "cpu_ms_per_signup_parking": ms_per_item(cpu_before, cpu_parked, signups),
            "failed_workflows": await count_workflows(stack, "ExecutionStatus != 'Running'"),
        }
        if activate:
            begun = time.perf_counter()
            finished = await activate_all(stack, http, links, progress)
            seconds = time.perf_counter() - begun
            figures |= {
                "end_state": "activated (awaiting_payment, card page shown)",
                "activated": len(finished),
                "activate_per_s": round(len(finished) / seconds, 1),
                "activate_per_s_by_tenth": rate_by_tenth(begun, finished),
                "activate_s": round(seconds, 1),
                "memory_activated": memory(stack),
                "cpu_ms_per_activation": ms_per_item(
                    cpu_parked, cpu_by_role(stack, ROLES), len(finished)
                ),
                "failed_workflows": await count_workflows(stack, "ExecutionStatus != 'Running'"),
            }
        figures["errors"] = len(progress.errors)
        figures["error_kinds"] = sorted(set(progress.errors))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="default: a SQLite file in the run's folder")
    parser.add_argument("--no-activate", action="store_true", help="stop once all are parked")
    arguments = parser.parse_args()
    figures = asyncio.run(
        measure(
            arguments.database_url, arguments.workers, arguments.signups, not arguments.no_activate
        )
    )
    print(json.dumps(figures, indent=2))
