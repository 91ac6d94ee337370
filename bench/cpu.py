"""Readings of the stack's processes: CPU seconds and resident memory, by role.

Read from /proc, so they cost nothing while the bench runs and need no profiler; CPU per
signup, process by process, shows where a signup's cost goes.
"""

import math
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from bench.stack import Stack

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
ROLES = ("temporal", "worker", "api", "localstripe", "bare")
T = TypeVar("T")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def rss_mib(pid: int) -> float:
    """Resident set size of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), other people's work included."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS_PER_SECOND  # less idle and iowait


def cpu_by_role(stack: Stack, roles: Iterable[str] = ROLES) -> dict[str, float]:
    """CPU seconds so far of each role, and of this process (load generator, SMTP sink)."""
    spent = {role: sum(cpu_seconds(pid) for pid in stack.pids(role)) for role in roles}
    spent["bench"] = cpu_seconds(os.getpid())
    return spent


def ms_per_item(before: dict[str, float], after: dict[str, float], items: int) -> dict[str, float]:
    """CPU milliseconds per item of each role that did any work between two readings."""
    return {
        role: round((after[role] - before[role]) * 1000 / max(items, 1), 1)
        for role in before
        if after[role] > before[role]
    }


async def cpu_ms_per_item(
    stack: Stack, items: int, run: Callable[[], Awaitable[T]]
) -> tuple[T, dict[str, float]]:
    """Runs `run` and returns its result with the CPU milliseconds per item of each role."""
    before = cpu_by_role(stack)
    result = await run()
    return result, ms_per_item(before, cpu_by_role(stack), items)


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: a value that was actually observed, never an interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(percent / 100 * len(ordered)))) - 1]
