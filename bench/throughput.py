"""Part 1 of `make bench`: WL-managed signups per second next to the engine's ceiling.

Same run, same dev server and machine: a bare workflow with as many no-op activities as a
WL-managed signup (the ceiling), then real signups through the API. Medians over repeats.
"""

import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

from bench.bare import TASK_QUEUE_VARIABLE, BareWorkflow
from bench.stack import Stack, bench_stack
from domain.examples import WL_MANAGED_REQUEST

CONCURRENCY = 32


async def _rate(count: int, one: Any) -> float:
    """Completions per second of `count` calls of `one`, at most CONCURRENCY at a time."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(index: int) -> None:
        async with gate:
            await one(index)

    started = time.perf_counter()
    # A dead worker would leave a workflow waiting forever; the bench must end instead.
    await asyncio.wait_for(asyncio.gather(*(gated(index) for index in range(count))), 600)
    return count / (time.perf_counter() - started)


async def start_bare_workers(stack: Stack, workers: int) -> str:
    queue = f"bare-{uuid.uuid4()}"
    for _ in range(workers):
        await stack.start("-m", "bench.bare_worker", role="bare", **{TASK_QUEUE_VARIABLE: queue})
    client = await stack.client()
    await client.execute_workflow(BareWorkflow.run, id=f"warm-{queue}", task_queue=queue)
    return queue


async def ceiling(stack: Stack, queue: str, count: int) -> float:
    client = await stack.client()
    run = uuid.uuid4().hex[:8]

    async def one(index: int) -> None:
        await client.execute_workflow(
            BareWorkflow.run, id=f"{queue}-{run}-{index}", task_queue=queue
        )

    return await _rate(count, one)


def _request() -> dict[str, Any]:
    body = {**WL_MANAGED_REQUEST, "plan_code": "business", "numbers": {"count": 1}}
    body["pbx_settings"] = {**WL_MANAGED_REQUEST["pbx_settings"], "outbound_caller_id": None}
    return body


async def service(stack: Stack, count: int) -> float:
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=120) as http:
        warm = await http.post("/v1/customers", json=_request())
        assert warm.status_code == 201, warm.text

        async def one(_: int) -> None:
            answer = await http.post("/v1/customers", json=_request())
            assert answer.status_code == 201, answer.text

        return await _rate(count, one)


async def measure(
    database_url: str | None, workers: int, count: int, repeats: int
) -> dict[str, float]:
    async with bench_stack(database_url, workers) as stack:
        queue = await start_bare_workers(stack, workers)
        ceilings = [await ceiling(stack, queue, count) for _ in range(repeats)]
        services = [await service(stack, count) for _ in range(repeats)]
    engine, managed = statistics.median(ceilings), statistics.median(services)
    return {"ceiling_per_s": engine, "service_per_s": managed, "ratio": managed / engine}
