"""Part 1 of `make bench`: WL-managed signups per second next to the engine's ceiling.

Same run, same dev server and machine: bare workflows with as many no-op activities as a
WL-managed signup (the ceilings), then real signups through the API. Medians over repeats,
with the CPU milliseconds each process spent per workflow, which show where the gap goes.
"""

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.bare import TASK_QUEUE_VARIABLE, BareLocalStepsWorkflow, BareWorkflow
from bench.cpu import cpu_ms_per_item
from bench.stack import Stack, bench_stack
from domain.examples import WL_MANAGED_REQUEST

CONCURRENCY = 32
Bare = type[BareWorkflow] | type[BareLocalStepsWorkflow]


async def rate(count: int, one: Callable[[int], Awaitable[Any]]) -> float:
    """Completions per second of `count` calls of `one`, CONCURRENCY at a time, in steady state.

    Counted from the completion that ends the first tenth to the one after which fewer than
    CONCURRENCY calls are left: the start, while the first calls queue up, and the tail, with
    the pipeline emptying, are left out, so the figure is the rate the stack keeps up.
    """
    assert count >= 2 * CONCURRENCY, "too few calls to have a steady state"
    gate = asyncio.Semaphore(CONCURRENCY)
    finished: list[float] = []

    async def gated(index: int) -> None:
        async with gate:
            await one(index)
        finished.append(time.perf_counter())

    # A dead worker would leave a workflow waiting forever; the bench must end instead.
    await asyncio.wait_for(asyncio.gather(*(gated(index) for index in range(count))), 600)
    first, last = count // 10, count - CONCURRENCY
    return (last - first) / (finished[last] - finished[first])


async def start_bare_workers(stack: Stack, workers: int) -> str:
    queue = f"bare-{uuid.uuid4()}"
    for _ in range(workers):
        await stack.start("-m", "bench.bare_worker", role="bare", **{TASK_QUEUE_VARIABLE: queue})
    client = await stack.client()
    for bare in (BareWorkflow, BareLocalStepsWorkflow):
        await client.execute_workflow(bare.run, id=f"warm-{uuid.uuid4()}", task_queue=queue)
    return queue


async def ceiling(stack: Stack, queue: str, count: int, bare: Bare = BareWorkflow) -> float:
    client = await stack.client()
    run = uuid.uuid4().hex[:8]

    async def one(index: int) -> None:
        await client.execute_workflow(bare.run, id=f"{queue}-{run}-{index}", task_queue=queue)

    return await rate(count, one)


def wl_managed_request() -> dict[str, Any]:
    """A WL-managed signup with one number and PBX settings: every step of the workflow."""
    body = {**WL_MANAGED_REQUEST, "plan_code": "business", "numbers": {"count": 1}}
    body["pbx_settings"] = {**WL_MANAGED_REQUEST["pbx_settings"], "outbound_caller_id": None}
    return body


async def service(stack: Stack, count: int) -> float:
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=120) as http:
        warm = await http.post("/v1/customers", json=wl_managed_request())
        assert warm.status_code == 201, warm.text

        async def one(_: int) -> None:
            answer = await http.post("/v1/customers", json=wl_managed_request())
            assert answer.status_code == 201, answer.text

        return await rate(count, one)


def medians(runs: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    roles = {role for _, cpu in runs for role in cpu}
    return statistics.median(per_s for per_s, _ in runs), {
        role: statistics.median(cpu.get(role, 0.0) for _, cpu in runs) for role in sorted(roles)
    }


async def measure(
    database_url: str | None, workers: int, count: int, repeats: int
) -> dict[str, Any]:
    async with bench_stack(database_url, workers) as stack:
        queue = await start_bare_workers(stack, workers)
        engine, local, managed = [], [], []
        for _ in range(repeats):
            engine.append(await cpu_ms_per_item(stack, count, lambda: ceiling(stack, queue, count)))
            local.append(
                await cpu_ms_per_item(
                    stack, count, lambda: ceiling(stack, queue, count, BareLocalStepsWorkflow)
                )
            )
            managed.append(await cpu_ms_per_item(stack, count, lambda: service(stack, count)))
    (engine_rate, engine_cpu), (local_rate, local_cpu) = medians(engine), medians(local)
    managed_rate, managed_cpu = medians(managed)
    return {
        "ceiling_per_s": engine_rate,
        "ceiling_local_steps_per_s": local_rate,
        "service_per_s": managed_rate,
        "ratio": managed_rate / engine_rate,
        "ratio_to_local_steps": managed_rate / local_rate,
        "cpu_ms_per_workflow": {
            "ceiling": engine_cpu,
            "ceiling_local_steps": local_cpu,
            "service": managed_cpu,
        },
    }
