"""The figures of `bench/results.json` as Markdown tables: printed by `make bench`, pasted into
README's Performance section as they are."""

from collections.abc import Mapping
from typing import Any


def _figure(value: Any, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "-"


def _cpu_split(cpu: Mapping[str, Any]) -> str:
    """CPU ms per signup as the tables' last column: server / worker / API."""
    return " / ".join(_figure(cpu.get(role), 0) for role in ("temporal", "worker", "api"))


def throughput_line(row: Mapping[str, Any]) -> str:
    return (
        f"{row['database']:10} workers={row['workers']}  ceiling {row['ceiling_per_s']:5.1f}/s"
        f"  (local steps {row['ceiling_local_steps_per_s']:5.1f}/s)  service "
        f"{row['service_per_s']:5.1f}/s  ratio {row['ratio']:.2f}"
    )


def _throughput(rows: list[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| Database | Workers | Ceiling, 7 activities (/s) | Ceiling, 6 local + 1 (/s) "
        "| WL-managed via API (/s) | Ratio (target ≥ 0.8) | Ratio to same shape "
        "| CPU ms per signup: server / worker / API |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cpu = row.get("cpu_ms_per_workflow", {}).get("service", {})
        lines.append(
            f"| {row['database']} | {row['workers']} | {_figure(row.get('ceiling_per_s'))} "
            f"| {_figure(row.get('ceiling_local_steps_per_s'))} "
            f"| {_figure(row.get('service_per_s'))} | {_figure(row.get('ratio'), 2)} "
            f"| {_figure(row.get('ratio_to_local_steps'), 2)} | {_cpu_split(cpu)} |"
        )
    return lines


def _selfserve(figures: Mapping[str, Any]) -> list[str]:
    card = figures.get("activation_to_card_page_ms", {})
    active = figures.get("webhook_to_active_ms", {})
    return [
        f"| Self-serve latency ({figures.get('signups', '?')} signups) | p50 | p95 | p99 "
        "| Target p99 |",
        "|---|---|---|---|---|",
        f"| Activation POST → card page (ms) | {_figure(card.get('p50'))} "
        f"| {_figure(card.get('p95'))} | {_figure(card.get('p99'))} | < 300 |",
        f"| Webhook received → `active` (ms) | {_figure(active.get('p50'))} "
        f"| {_figure(active.get('p95'))} | {_figure(active.get('p99'))} | < 500 |",
    ]


def _parked(figures: Mapping[str, Any]) -> list[str]:
    lines = [
        "| Parked signups | Worker RSS (MiB) | Server RSS (MiB) |",
        "|---|---|---|",
    ]
    for sample in figures.get("memory_while_parking", []):
        lines.append(
            f"| {sample.get('parked', '?'):,} | {_figure(sample.get('worker_rss_mib'))} "
            f"| {_figure(sample.get('temporal_rss_mib'))} |"
        )
    summary = {key: value for key, value in figures.items() if not isinstance(value, list | dict)}
    lines.append("")
    lines.append(", ".join(f"{key}: {_describe(value)}" for key, value in summary.items()))
    return lines


def _describe(value: Any) -> str:
    return _figure(value) if isinstance(value, float) else str(value)


def _api_load(figures: Mapping[str, Any]) -> list[str]:
    fixed = figures.get("fixed", {})
    return [
        "| `POST /v1/customers` (self-serve) | Offered (/s) | Answered (/s) | p50 (ms) "
        "| p99 (ms) | Non-2xx / failed | Target p99 |",
        "|---|---|---|---|---|---|---|",
        f"| fixed rate, {_figure(fixed.get('seconds'), 0)} s | {_figure(fixed.get('rate_per_s'))} "
        f"| {_figure(fixed.get('achieved_per_s'))} | {_figure(fixed.get('p50_ms'))} "
        f"| {_figure(fixed.get('p99_ms'))} | {fixed.get('non_2xx', '-')} / "
        f"{fixed.get('failed', '-')} | < 200 ms |",
        "",
        f"Maximum sustainable rate: {_figure(figures.get('max_sustainable_per_s'))} requests/s "
        "(all 2xx, p99 ≤ 1 s, answered ≥ 90 % of offered).",
    ]


def _sealing(figures: Mapping[str, Any]) -> list[str]:
    lines = [
        f"| Payloads ({figures.get('signups', '?')} WL-managed signups, median of "
        f"{figures.get('repeats', '?')}) | Signups/s | CPU ms per signup: server / worker / API |",
        "|---|---|---|",
    ]
    for mode in ("unsealed", "sealed"):
        row = figures.get(mode, {})
        cpu = row.get("cpu_ms_per_signup", {})
        lines.append(f"| {mode} | {_figure(row.get('per_s'))} | {_cpu_split(cpu)} |")
    return lines


def table(results: Mapping[str, Any]) -> str:
    sections: list[list[str]] = []
    if results.get("throughput"):
        sections.append(_throughput(results["throughput"]))
    if results.get("selfserve"):
        sections.append(_selfserve(results["selfserve"]))
    if results.get("parked"):
        sections.append(_parked(results["parked"]))
    if results.get("api_load"):
        sections.append(_api_load(results["api_load"]))
    if results.get("sealing"):
        sections.append(_sealing(results["sealing"]))
    return "\n\n".join("\n".join(lines) for lines in sections)
