"""`make bench`: every part of the benchmark, a table, bench/results.json and bench/results.png.

`--quick` runs small sizes, to check the bench itself works; `--parts` runs some parts only.
Each part starts its own stack (dev server, workers, API, localstripe, SMTP sink).
"""

import argparse
import asyncio
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api_load, parked, plot, report, sealing, selfserve, throughput
from bench.stack import bench_stack

RESULTS = Path(__file__).parent / "results.json"
PICTURE = Path(__file__).parent / "results.png"
# A quick run, or a run of some parts, must not replace the committed figures of a full run.
PARTIAL_RESULTS = Path(__file__).parent / "results-partial.json"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
PARTS = ("throughput", "selfserve", "parked", "api_load", "sealing")


@dataclass(frozen=True)
class Sizes:
    throughput_signups: int
    repeats: int
    selfserve_signups: int
    parked_signups: int
    api_seconds: float


# Sized so `make bench` ends within 15 minutes on the 2-core machine. Parking and activating
# 10,000 signups takes about 15 minutes on its own here (see README): that run is
# `python -m bench.parked --signups 10000`. 1,500 is past the worker's cache of 1,000.
FULL = Sizes(
    throughput_signups=100, repeats=3, selfserve_signups=200, parked_signups=1500, api_seconds=60
)
QUICK = Sizes(
    throughput_signups=64, repeats=1, selfserve_signups=20, parked_signups=200, api_seconds=10
)


async def ensure_bench_database() -> None:
    """A database of the bench's own, emptied: never the test suite's."""
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = 'bench'"):
            await connection.execute("CREATE DATABASE bench")
    finally:
        await connection.close()
    bench = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/bench")
    try:
        await bench.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await bench.close()


async def measure_throughput(count: int, repeats: int) -> list[dict[str, Any]]:
    rows = []
    for database, url in (("sqlite", None), ("postgresql", POSTGRES)):
        for workers in (1, 2):
            if url:
                await ensure_bench_database()
            figures = await throughput.measure(url, workers, count, repeats)
            rows.append({"database": database, "workers": workers, **figures})
            print(report.throughput_line(rows[-1]), flush=True)
    return rows


async def measure_api_load(seconds: float, find_max: bool) -> dict[str, Any]:
    async with bench_stack(None, 1) as stack:
        return await api_load.measure(stack, rate=20, seconds=seconds, find_max=find_max)


async def main(quick: bool, parts: list[str]) -> None:
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "sizes": asdict(sizes),
    }
    seconds: dict[str, float] = {}
    for part in parts:
        started = time.perf_counter()
        print(f"--- {part}", flush=True)
        if part == "throughput":
            results["throughput"] = await measure_throughput(
                sizes.throughput_signups, sizes.repeats
            )
        elif part == "selfserve":
            results["selfserve"] = await selfserve.measure(signups=sizes.selfserve_signups)
        elif part == "parked":
            results["parked"] = await parked.measure(signups=sizes.parked_signups)
        elif part == "api_load":
            results["api_load"] = await measure_api_load(sizes.api_seconds, not quick)
        elif part == "sealing":
            results["sealing"] = await sealing.measure(sizes.throughput_signups, sizes.repeats)
        seconds[part] = round(time.perf_counter() - started)
    results["seconds_per_part"] = seconds
    print()
    print(report.table(results))
    if not quick and set(parts) == set(PARTS):
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        plot.render(results, PICTURE)
        written = f"{RESULTS.name}, {PICTURE.name}"
    else:
        PARTIAL_RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        written = PARTIAL_RESULTS.name
    print(f"\nwritten: {written}; seconds per part: {seconds}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the bench")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.quick, arguments.parts))
