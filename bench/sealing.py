"""Part 5 of `make bench`: what sealing Temporal payloads costs.

Two stacks stay up side by side, one sealed (the default) and one with
`TEMPORAL_ENCRYPTION=off`, and their runs of WL-managed signups through the API alternate
(off, on, off, on, ...), so both meet the same moments of this shared machine. Medians of the
runs: signups per second and the CPU milliseconds each process spent per signup.
"""

import functools
from typing import Any

from bench.cpu import cpu_ms_per_item
from bench.stack import bench_stack
from bench.throughput import medians, service

MODES = ("unsealed", "sealed")


async def measure(count: int, repeats: int) -> dict[str, Any]:
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {mode: [] for mode in MODES}
    async with (
        bench_stack(None, 1, sealed=False) as unsealed,
        bench_stack(None, 1, sealed=True) as sealed,
    ):
        stacks = {"unsealed": unsealed, "sealed": sealed}
        for _ in range(repeats):
            for mode in MODES:
                stack = stacks[mode]
                run = functools.partial(service, stack, count)
                runs[mode].append(await cpu_ms_per_item(stack, count, run))
    figures: dict[str, Any] = {"signups": count, "repeats": repeats}
    for mode in MODES:
        rate, cpu = medians(runs[mode])
        figures[mode] = {"per_s": rate, "cpu_ms_per_signup": cpu}
    return figures
