"""Part 4 of `make bench`: `POST /v1/customers` (self-serve) under an open-loop load.

Open loop: request i is due at start + i / rate whatever the earlier answers did, and its
latency runs from that due time. A closed loop (send, wait, send) would slow down with the
server and hide its queueing ("coordinated omission"); here a slow server shows as latency.

Each request is what a real back office would send: its own contact email and its own
Idempotency-Key (the API accepts a repeated email, and a key makes a retried create safe;
the key costs one more database write per request, which a real caller pays too).

Nothing throttles this route: the API's rate limits (domain/settings.py) guard only the
activation pages, so a 429 here would be news and counts among the non-2xx answers.

The figures: p50/p99 at a fixed rate (the target is p99 < 200 ms at 20/s), then short steps at
rising rates until one fails (p99 > 1 s, an error, or answers falling behind the offered
rate); the highest rate that held is the maximum sustainable rate. Each step also records the
CPU share (1.0 = one core) of each process of the stack, of the load generator and of the
whole machine (whose other work counts too): it tells a saturated machine from a service
that waits.
"""

import argparse
import asyncio
import json
import os
import time
import uuid
from typing import Any

import httpx

from bench.cpu import cpu_by_role, machine_busy_seconds, percentile
from bench.selfserve import signup_request
from bench.stack import Stack, bench_stack

TARGET_P99_MS = 200.0
HELD_P99_MS = 1000.0
HELD_COMPLETION = 0.9
"""A step holds while answers arrive at ≥ 90 % of the offered rate (the last ones land after
the schedule ends, so even a fast server shows a little less than 100 %)."""
ROLES = ("api", "worker", "temporal", "localstripe")


def _cpu_by_role(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each role, of this load generator and of the machine."""
    return {**cpu_by_role(stack, ROLES), "machine": machine_busy_seconds()}


async def settle(stack: Stack, within: float = 60) -> float:
    """Waits until the stack is idle (under 0.15 cores for a second): the requests of a
    step that fell behind go on being served after their callers gave up, and would
    otherwise load the next step. The seconds it took."""
    started = time.perf_counter()
    busy = sum(_cpu_by_role(stack)[role] for role in ("api", "worker", "temporal"))
    while time.perf_counter() - started < within:
        await asyncio.sleep(1)
        now = sum(_cpu_by_role(stack)[role] for role in ("api", "worker", "temporal"))
        if now - busy < 0.15:
            break
        busy = now
    return time.perf_counter() - started


async def step(
    stack: Stack, http: httpx.AsyncClient, rate: float, seconds: float
) -> dict[str, Any]:
    """Sends rate * seconds creates on a fixed schedule and waits for every answer."""
    run = uuid.uuid4().hex[:8]
    count = round(rate * seconds)
    latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[str, int] = {}
    finished: list[float] = []

    async def one(index: int, due: float) -> None:
        lags.append(time.perf_counter() - due)
        try:
            answer = await http.post(
                "/v1/customers",
                json=signup_request(f"{run}-{index}", plan_code="business"),
                headers={"Idempotency-Key": f"load-{run}-{index}"},
            )
            status = str(answer.status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        done = time.perf_counter()
        latencies.append(done - due)
        finished.append(done)
        statuses[status] = statuses.get(status, 0) + 1

    cpu_before = _cpu_by_role(stack)
    start = time.perf_counter()
    tasks = []
    for index in range(count):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    wall = max(finished) - start
    cpu_after = _cpu_by_role(stack)
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    answered = sum(n for status, n in statuses.items() if status.isdigit())
    achieved = ok / wall
    p99 = percentile(latencies, 99) * 1000
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "sent": count,
        "ok": ok,
        "non_2xx": answered - ok,
        "failed": count - answered,
        "statuses": statuses,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": p99,
        "max_ms": max(latencies) * 1000,
        "send_lag_p99_ms": percentile(lags, 99) * 1000,
        "achieved_per_s": achieved,
        "cpu_share": {
            role: round((cpu_after[role] - cpu_before[role]) / wall, 3) for role in cpu_after
        },
        "cores": os.cpu_count(),
        "held": ok == count and p99 <= HELD_P99_MS and achieved >= HELD_COMPLETION * rate,
    }


def next_rate(rate: float) -> float:
    """+10/s up to 60/s, then +25 %: few steps reach far, near 20/s the steps stay fine."""
    return rate + 10 if rate < 60 else round(rate * 1.25 / 5) * 5


async def measure(
    stack: Stack,
    rate: float = 20,
    seconds: float = 60,
    find_max: bool = True,
    step_seconds: float = 15,
    budget_seconds: float = 100,
) -> dict[str, Any]:
    """The fixed-rate figures, then (unless find_max is false) the maximum sustainable rate.

    From a fixed rate that held the search climbs, and stops at the first step that does not
    hold; from one that did not it halves the rate until a step holds. It also stops when the
    next step would run past budget_seconds, so the part keeps to its time on any machine.
    """
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=stack.api_url, headers=headers, timeout=60, limits=limits
    ) as http:
        warm = await http.post("/v1/customers", json=signup_request("warm", plan_code="business"))
        assert warm.status_code == 202, warm.text
        fixed = await step(stack, http, rate, seconds)
        fixed["target_p99_ms"] = TARGET_P99_MS
        fixed["met"] = fixed["held"] and fixed["p99_ms"] < TARGET_P99_MS
        result: dict[str, Any] = {"fixed": fixed}
        if not find_max:
            return result
        steps: list[dict[str, Any]] = []
        rising = bool(fixed["held"])
        held = rate if rising else None
        trial = next_rate(rate) if rising else rate / 2
        deadline = time.perf_counter() + budget_seconds - step_seconds
        while time.perf_counter() < deadline:
            settled = await settle(stack, within=deadline - time.perf_counter())
            if time.perf_counter() >= deadline:
                break
            steps.append(await step(stack, http, trial, step_seconds))
            steps[-1]["settled_before_s"] = round(settled, 1)
            if steps[-1]["held"] != rising:
                held = trial if steps[-1]["held"] else held
                break
            held = trial if rising else None
            trial = next_rate(trial) if rising else trial / 2
        result["steps"] = steps
        result["max_sustainable_per_s"] = held
        result["max_limited_by_budget"] = rising and bool(steps) and steps[-1]["held"]
        return result


async def main(
    rate: float, seconds: float, find_max: bool, database_url: str | None = None
) -> dict[str, Any]:
    async with bench_stack(database_url, workers=1) as stack:
        return await measure(stack, rate, seconds, find_max)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60, help="length of the fixed run")
    parser.add_argument(
        "--no-max", action="store_true", help="skip the search for the maximum rate"
    )
    parser.add_argument(
        "--database-url", help="the app database (default: SQLite in the run's folder)"
    )
    args = parser.parse_args()
    result = asyncio.run(main(args.rate, args.seconds, not args.no_max, args.database_url))
    print(json.dumps(result, indent=2))
