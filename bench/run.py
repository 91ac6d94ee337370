"""`make bench`: prints the figures as a table and writes bench/results.json.

`--quick` runs fewer signups and repeats, to check the bench itself works.
"""

import argparse
import asyncio
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import throughput

RESULTS = Path(__file__).parent / "results.json"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"


async def ensure_bench_database() -> None:
    import asyncpg

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


async def main(quick: bool) -> None:
    count, repeats = (40, 1) if quick else (200, 3)
    rows: list[dict[str, Any]] = []
    for backend, url in (("sqlite", None), ("postgresql", POSTGRES)):
        for workers in (1, 2):
            if url:
                await ensure_bench_database()
            figures = await throughput.measure(url, workers, count, repeats)
            rows.append({"database": backend, "workers": workers, **figures})
            print(
                f"{backend:10} workers={workers}  ceiling {figures['ceiling_per_s']:6.1f}/s  "
                f"service {figures['service_per_s']:6.1f}/s  ratio {figures['ratio']:.2f}",
                flush=True,
            )
    RESULTS.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "signups_per_measurement": count,
                "repeats": repeats,
                "throughput": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
