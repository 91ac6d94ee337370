"""`bench/results.json` as one figure, `bench/results.png`, for the README's Performance section.

The sections of results.json come from different modules and may be missing or partial (a
quick run, a part that failed), so each panel is drawn only when its section has something to
show, and every key is read defensively: a missing or non-numeric value is left out, never an
error. The keys each panel reads:

- throughput: `throughput: [{"database", "workers", "ceiling_per_s", "service_per_s",
  "ratio"}]`; bars of ceiling and service per database x workers, the ratio above each pair
  (target: service >= 0.8 x ceiling).
- self-serve latency: `selfserve.activation_to_card_page_ms: {"p50", "p99"}` (target p99 <
  300 ms) and `selfserve.webhook_to_active_ms: {"p50", "p95", "p99"}` (target p99 < 500 ms);
  bars, each target (`target_p99` when given) a horizontal line over its group.
- parked signups: `parked.rss_samples: [{"parked", "worker_mib", "server_mib"}]`, or the
  spelling bench/parked.py writes today, `parked.memory_while_parking: [{"parked",
  "worker_rss_mib", "temporal_rss_mib"}]`; RSS against the number parked, with the worker's
  400 MiB target line.
- API under load: `api_load.fixed: {"rate_per_s", "p50_ms", "p99_ms", "target_p99_ms"}`
  (the `bench.api_load` shape) and `api_load.max_sustainable_per_s`; bars with the 200 ms
  target line and the maximum rate written in the panel.

Latency panels switch to a log scale when a bar is more than 20 times its target, so a missed
target and a met one both stay readable.
"""

import argparse
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the figure only goes to a file

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

HERE = Path(__file__).parent
CEILING, SERVICE, DARK, SERVER, TARGET = "#9aa5b1", "#2f6db5", "#1b3f6b", "#e08a2c", "#c0392b"
WORKER = SERVICE
SELFSERVE_TARGETS = {"activation_to_card_page_ms": 300.0, "webhook_to_active_ms": 500.0}
SELFSERVE_LABELS = {
    "activation_to_card_page_ms": "activation POST → card page",
    "webhook_to_active_ms": "webhook → active",
}
WORKER_RSS_TARGET_MIB = 400.0
API_TARGET_MS = 200.0


def number(value: Any) -> float | None:
    """A finite number, or None for anything else (missing, null, text, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def section(results: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = results.get(key)
    return value if isinstance(value, Mapping) else {}


def _latency_scale(ax: Axes, values: list[float], target: float) -> None:
    """Room above the tallest bar for its label, with the target line always in view."""
    if max(values) > 20 * target:
        ax.set_yscale("log")
        ax.set_ylim(min(*values, target) / 2, max(values) * 4)
    else:
        ax.set_ylim(0, max(*values, target) * 1.18)
    ax.set_ylabel("ms")


def throughput_panel(ax: Axes, results: Mapping[str, Any]) -> bool:
    rows = [row for row in results.get("throughput") or [] if isinstance(row, Mapping)]
    rows = [row for row in rows if number(row.get("ceiling_per_s")) is not None]
    if not rows:
        return False
    width = 0.38
    for index, row in enumerate(rows):
        ceiling = number(row.get("ceiling_per_s")) or 0.0
        service = number(row.get("service_per_s"))
        ax.bar(index - width / 2, ceiling, width, color=CEILING, label="bare engine (ceiling)")
        if service is not None:
            ax.bar(index + width / 2, service, width, color=SERVICE, label="WL-managed signups")
        ratio = number(row.get("ratio"))
        if ratio is None and service is not None and ceiling:
            ratio = service / ceiling
        if ratio is not None:
            top = max(ceiling, service or 0.0)
            ax.annotate(
                f"{ratio:.2f}x",
                (index, top),
                ha="center",
                va="bottom",
                xytext=(0, 3),
                textcoords="offset points",
            )
    ax.set_xticks(
        range(len(rows)),
        [f"{row.get('database', '?')}\n{row.get('workers', '?')} worker(s)" for row in rows],
    )
    ax.set_xlim(-0.7, len(rows) - 0.3)
    ax.margins(y=0.15)
    ax.set_ylabel("workflows / s")
    ax.set_title("Throughput: service vs engine ceiling (target ≥ 0.80x)")
    _deduplicated_legend(ax)
    return True


def selfserve_panel(ax: Axes, results: Mapping[str, Any]) -> bool:
    selfserve = section(results, "selfserve")
    position, ticks, labels, drawn = 0.0, [], [], []
    for metric, default_target in SELFSERVE_TARGETS.items():
        percentiles = section(selfserve, metric)
        bars = [(name, number(percentiles.get(name))) for name in ("p50", "p95", "p99")]
        present = [(name, value) for name, value in bars if value is not None]
        if not present:
            continue
        target = number(percentiles.get("target_p99")) or default_target
        start = position
        for name, value in present:
            bar = ax.bar(position, value, 0.8, color=DARK if name == "p99" else SERVICE)
            ax.bar_label(bar, [f"{value:.0f}"], padding=2, fontsize=8)
            ticks.append(position)
            labels.append(name)
            drawn.append(value)
            position += 1
        ax.hlines(target, start - 0.5, position - 0.5, colors=TARGET, linestyles="--")
        ax.annotate(
            f"target p99 < {target:.0f} ms",
            (start - 0.45, target),
            color=TARGET,
            fontsize=8,
            va="bottom",
        )
        ax.text(
            (start + position - 1) / 2,
            -0.12,
            SELFSERVE_LABELS[metric],
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="top",
        )
        position += 0.6
    if not drawn:
        return False
    ax.set_xticks(ticks, labels)
    _latency_scale(ax, drawn, min(SELFSERVE_TARGETS.values()))
    ax.set_title("Self-serve latency")
    return True


def _first(sample: Mapping[str, Any], *keys: str) -> float | None:
    """The first of several spellings of a key that holds a number."""
    for key in keys:
        if (value := number(sample.get(key))) is not None:
            return value
    return None


def parked_panel(ax: Axes, results: Mapping[str, Any]) -> bool:
    parked = section(results, "parked")
    listed = parked.get("rss_samples") or parked.get("memory_while_parking") or []
    samples = [sample for sample in listed if isinstance(sample, Mapping)]
    samples.sort(key=lambda sample: number(sample.get("parked")) or 0.0)
    highest = WORKER_RSS_TARGET_MIB
    for keys, label, color in (
        (("worker_mib", "worker_rss_mib"), "worker", WORKER),
        (("server_mib", "temporal_rss_mib"), "Temporal server", SERVER),
    ):
        points = [(number(sample.get("parked")), _first(sample, *keys)) for sample in samples]
        kept = [(x, y) for x, y in points if x is not None and y is not None]
        if kept:
            xs, ys = zip(*kept, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, color=color, label=f"{label} RSS")
            highest = max(highest, *ys)
    if not ax.lines:
        return False
    ax.axhline(WORKER_RSS_TARGET_MIB, color=TARGET, linestyle="--", label="worker target 400 MiB")
    ax.set_xlabel("parked signups")
    ax.set_ylabel("MiB")
    ax.set_ylim(0, highest * 1.1)
    ax.set_title("Parked self-serve signups: memory")
    ax.legend(fontsize=8)
    return True


def api_panel(ax: Axes, results: Mapping[str, Any]) -> bool:
    api = section(results, "api_load")
    fixed = section(api, "fixed")
    bars = [(name, number(fixed.get(f"{name}_ms"))) for name in ("p50", "p99")]
    present = [(name, value) for name, value in bars if value is not None]
    if not present:
        return False
    target = number(fixed.get("target_p99_ms")) or API_TARGET_MS
    for index, (name, value) in enumerate(present):
        bar = ax.bar(index, value, 0.5, color=SERVICE if name == "p50" else DARK)
        ax.bar_label(bar, [f"{value:.0f} ms"], padding=2, fontsize=8)
    ax.axhline(target, color=TARGET, linestyle="--", label=f"target p99 < {target:.0f} ms")
    ax.set_xticks(range(len(present)), [name for name, _ in present])
    _latency_scale(ax, [value for _, value in present], target)
    rate = number(fixed.get("rate_per_s"))
    ax.set_title(f"POST /v1/customers (self-serve) at {rate:g} req/s" if rate else "API latency")
    highest = number(api.get("max_sustainable_per_s"))
    note = f"max sustainable: {highest:g} req/s" if highest else "max sustainable: none found"
    if "max_sustainable_per_s" in api:
        ax.text(
            0.98,
            0.97,
            note,
            transform=ax.transAxes,
            ha="right",
            va="top",
            bbox={"facecolor": "white", "edgecolor": "#cccccc"},
        )
    ax.legend(fontsize=8, loc="upper left")
    return True


def _deduplicated_legend(ax: Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=8)


PANELS: list[Callable[[Axes, Mapping[str, Any]], bool]] = [
    throughput_panel,
    selfserve_panel,
    parked_panel,
    api_panel,
]


LAYOUTS = {1: (1, 1, (7, 4.8)), 2: (1, 2, (13, 4.8)), 3: (2, 2, (13, 9)), 4: (2, 2, (13, 9))}


def render(results: Mapping[str, Any], output: Path) -> int:
    """Writes the figure; the number of panels drawn (0: nothing to show, no file written).

    Each panel is tried on a scratch figure first, so the layout holds only those with data.
    """
    scratch = plt.figure()
    present = [panel for panel in PANELS if panel(scratch.add_subplot(), results)]
    plt.close(scratch)
    if not present:
        return 0
    rows, columns, size = LAYOUTS[len(present)]
    figure, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    for ax, panel in zip(axes.flat, present, strict=False):
        panel(ax, results)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in list(axes.flat)[len(present) :]:
        figure.delaxes(ax)
    machine, measured = results.get("machine"), results.get("measured_at")
    subtitle = " · ".join(str(part) for part in (machine, measured) if part)
    figure.suptitle(f"Benchmark{f' — {subtitle}' if subtitle else ''}", fontsize=11)
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)
    return len(present)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--output", type=Path, default=HERE / "results.png")
    args = parser.parse_args()
    panels = render(json.loads(args.results.read_text()), args.output)
    print(f"{args.output}: {panels} panel(s)" if panels else f"{args.results}: nothing to plot")


if __name__ == "__main__":
    main()
