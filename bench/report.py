"""The three outputs of a run: the printed table, the JSON file and the PNG plot."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .core import RATE_UNITS, Figure


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit in RATE_UNITS or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _label(fig: Figure) -> str:
    size = f" @{fig.sessions:,}" if fig.sessions else ""
    return f"{fig.group}: {fig.name}{size}"


def table(figures: Iterable[Figure]) -> str:
    """A plain-text table: figure, value, raw limit, ratio, target, met."""
    header = ("figure", "value", "raw limit", "unit", "ratio", "target", "met")
    rows = [header]
    for fig in figures:
        ratio = "-" if fig.ratio is None else f"{fig.ratio:.2f}"
        target = "-" if fig.target is None else fig.target.describe(fig.unit)
        met = {None: "", True: "yes", False: "NO"}[fig.met]
        rows.append(
            (_label(fig), _number(fig.value, fig.unit), _number(fig.limit, fig.unit),
             fig.unit, ratio, target, met)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(figures: list[Figure], path: Path, settings: dict[str, Any]) -> None:
    """Every figure with its limit, ratio, target and verdict, plus the run's settings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": _cpu_count()},
        "settings": settings,
        "figures": [fig.to_json() for fig in figures],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _cpu_count() -> int | None:
    import os

    return os.cpu_count()


def plot(figures: list[Figure], path: Path) -> bool:
    """Cost per session against the number of sessions, store vs raw, one panel per operation.

    Returns ``False`` (and draws nothing) when no figure scales with the number of sessions.
    """
    scaling = [fig for fig in figures if fig.sessions and fig.unit in RATE_UNITS and fig.limit]
    if not scaling:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    operations = sorted({fig.name for fig in scaling})
    colors = {b: f"C{i}" for i, b in enumerate(sorted({f.group.split("/", 1)[-1] for f in scaling}))}
    fig_, axes = plt.subplots(1, len(operations), figsize=(5 * len(operations), 4.2), squeeze=False)
    for ax, operation in zip(axes[0], operations):
        series: dict[str, list[Figure]] = {}
        for fig in scaling:
            if fig.name == operation:
                series.setdefault(fig.group.split("/", 1)[-1], []).append(fig)
        for backend, points in sorted(series.items()):
            points.sort(key=lambda f: f.sessions or 0)
            xs = [p.sessions for p in points]
            color = colors[backend]
            ax.plot(xs, [1e6 / p.value for p in points], "o-", color=color, label=f"{backend}")
            ax.plot(xs, [1e6 / p.limit for p in points], "x--", color=color, alpha=0.6,
                    label=f"{backend} raw")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(operation)
        ax.set_xlabel("sessions in the store")
        ax.set_ylabel("µs per session (lower is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig_.suptitle("session-core: cost per session (solid) beside the raw library (dashed)")
    fig_.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig_.savefig(path, dpi=110)
    plt.close(fig_)
    return True
