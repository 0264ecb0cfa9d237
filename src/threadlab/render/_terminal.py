"""The terminal view of results: rich tables, built from data, printed by the CLI."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from threadlab._catalogue import StrategyInfo, WorkloadInfo
from threadlab._model import Result, Summary
from threadlab.render._labels import point_name
from threadlab.render._units import rate, ratio, seconds, size

_STATUS_STYLE = {
    "ok": "green",
    "errors": "yellow",
    "timeout": "red",
    "crashed": "red",
    "failed": "red",
    "interrupted": "yellow",
}


def results_table(result: Result, title: str | None = None) -> Table:
    """One row per point: wall time, spread, throughput, speedup, CPU/wall, memory.

    ``wall`` is the median over samples; ``speedup`` is throughput against the
    sequential point of the same work (``-`` where there is none).
    """
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("point")
    table.add_column("wall", justify="right", no_wrap=True)
    table.add_column("min–max", justify="right", no_wrap=True)
    table.add_column("tasks/s", justify="right", no_wrap=True)
    table.add_column("speedup", justify="right", no_wrap=True)
    table.add_column("CPU/wall", justify="right", no_wrap=True)
    table.add_column("peak RSS", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    pythons = {m.interpreter.label() for m in result.measurements if m.interpreter is not None}
    for measurement, summary in result.summaries():
        status = Text(measurement.status, style=_STATUS_STYLE.get(measurement.status, ""))
        table.add_row(point_name(measurement, python=len(pythons) > 1), *_summary_cells(summary), status)
    return table


def _summary_cells(summary: Summary | None) -> tuple[str, ...]:
    if summary is None:
        return ("-",) * 6
    return (
        seconds(summary.wall_median_s),
        f"{seconds(summary.wall_min_s)}–{seconds(summary.wall_max_s)}",
        rate(summary.throughput_median),
        ratio(summary.speedup_vs_sequential),
        ratio(summary.cpu_per_wall, ""),
        size(summary.peak_rss_bytes),
    )


def problem_lines(result: Result, *, full_tracebacks: bool = False) -> list[str]:
    """One line per error of every point (the traceback's last line, or all of it)."""
    lines: list[str] = []
    for measurement in result.measurements:
        for error in measurement.errors:
            line = f"{point_name(measurement)}: {error.kind}: {error.message}"
            if error.traceback:
                tb = error.traceback.strip()
                line += "\n" + (tb if full_tracebacks else "    " + tb.splitlines()[-1])
            lines.append(line)
    return lines


def _entry(name: str, summary: str, details: Sequence[tuple[str, str]], unavailable: str | None) -> Table:
    """One catalogue entry: its name and summary, then labelled detail lines."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(name, style="bold"), summary)
    for label, value in details:
        grid.add_row(Text(f"  {label}", style="dim"), value)
    grid.add_row(Text("  runs here", style="dim"), _here(unavailable))
    grid.add_row("", "")
    return grid


_MODE_WORDS = {
    "sync": "blocking tasks",
    "async": "async workloads (coroutines)",
    "any": "blocking tasks, or coroutines awaited one by one",
}


def workloads_table(infos: Sequence[WorkloadInfo]) -> Group:
    """``threadlab workloads``: what each does, takes, runs on, and whether it runs here."""
    return Group(
        *(
            _entry(
                info.name,
                info.summary,
                [
                    ("kind", info.kind),
                    ("parameters", "\n".join(info.params) or "none"),
                    ("strategies", ", ".join(info.strategies)),
                ],
                info.unavailable,
            )
            for info in infos
        )
    )


def strategies_table(infos: Sequence[StrategyInfo]) -> Group:
    """``threadlab strategies``: how each runs tasks, its limits, whether it runs here."""
    return Group(
        *(
            _entry(
                info.name,
                info.summary,
                [
                    ("runs", _MODE_WORDS[info.mode]),
                    ("parameters", "\n".join(info.params) or "none"),
                    (
                        "workers",
                        "always 1"
                        if info.single_worker
                        else f"up to {info.safe_workers:,} without --max-workers",
                    ),
                ],
                info.unavailable,
            )
            for info in infos
        )
    )


def _here(unavailable: str | None) -> Text:
    if unavailable is None:
        return Text("yes", style="green")
    return Text(f"no: {unavailable}", style="red")
