"""The terminal view of results: rich tables, built from data, printed by the CLI.

Every string from a results file or a catalogue goes into rich as ``Text``,
never as markup, with its control characters escaped (``printable``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from threadlab._catalogue import StrategyInfo, WorkloadInfo
from threadlab.model import Result
from threadlab.render._doubts import machine_line_of
from threadlab.render._rows import RESULTS_COLUMNS, TEXT_COLUMNS, point_names, point_rows, titled_table
from threadlab.worker._text import printable

# Every other status (timeout, crashed, failed) is red.
STATUS_STYLE = {"ok": "green", "errors": "yellow", "interrupted": "yellow"}


def noise_lines(result: Result) -> list[str]:
    """The line on how steady the machine was; none for files written before rounds."""
    line = machine_line_of(result)
    return [] if line is None else [line]


# The results table's columns: the point's number and parameters are left to the exports.
_COLUMNS = tuple(column for column in RESULTS_COLUMNS if column not in ("#", "parameters"))


def results_table(result: Result, title: str | None = None) -> Table:
    """One row per point (``_rows.point_rows``): wall time, spread, throughput, speedup and its 95% CI,
    CPU/wall, memory."""
    # Two spaces between columns, not three: the ten columns then fit 120 terminal columns
    # with point names of 31 characters (``sleep · sequential ×1 (8 tasks)``).
    table = titled_table(title, collapse_padding=True)
    for column in _COLUMNS:
        words = column in TEXT_COLUMNS
        table.add_column(column, justify="left" if words else "right", no_wrap=column != "point")
    for row in point_rows(result):
        status = STATUS_STYLE.get(row.status, "red")
        cells = zip(_COLUMNS, row.cells(_COLUMNS), strict=True)
        table.add_row(*(Text(cell, style=status if column == "status" else "") for column, cell in cells))
    return table


def problem_lines(result: Result, *, full_tracebacks: bool = False) -> list[str]:
    """One line per error of every point (the traceback's last line, or all of it), its message on
    one line."""
    lines: list[str] = []
    for measurement, name in zip(result.measurements, point_names(result.measurements), strict=True):
        for error in measurement.errors:
            line = printable(f"{name}: {error.kind}: {error.message}")
            if error.traceback:
                tb = error.traceback.strip()
                last = "    " + printable(tb.splitlines()[-1])
                line += "\n" + (printable(tb, one_line=False) if full_tracebacks else last)
            lines.append(line)
    return lines


def _entry(info: WorkloadInfo | StrategyInfo, first: tuple[str, str], last: tuple[str, str]) -> Table:
    """One catalogue entry: its name and summary, then labelled detail lines, its parameters second."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(printable(info.name), style="bold"), Text(printable(info.summary)))
    for label, value in (first, ("parameters", "\n".join(info.params) or "none"), last):
        grid.add_row(Text(f"  {label}", style="dim"), Text(printable(value, one_line=False)))
    unavailable = info.unavailable
    here = Text("yes", style="green") if unavailable is None else Text(f"no: {unavailable}", style="red")
    grid.add_row(Text("  runs here", style="dim"), here)
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
        *(_entry(info, ("kind", info.kind), ("strategies", ", ".join(info.strategies))) for info in infos)
    )


def strategies_table(infos: Sequence[StrategyInfo]) -> Group:
    """``threadlab strategies``: how each runs tasks, its limits, whether it runs here."""
    entries = []
    for info in infos:
        workers = "always 1" if info.single_worker else f"up to {info.safe_workers:,} without --max-workers"
        entries.append(_entry(info, ("runs", _MODE_WORDS[info.mode]), ("workers", workers)))
    return Group(*entries)
