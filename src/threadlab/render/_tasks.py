"""The terminal view of what single tasks did: latency, I/O wait, time on CPU, waiting.

One small table per workload, below the results table: the main table says
how fast the whole point went, these say how each task fared inside it —
the p99 that a median hides, the I/O wait that grows behind CPU-bound
threads (the convoy effect), and how much of its time a thread spent
waiting off-CPU (for CPU-bound threads under the GIL: waiting for the GIL).
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from threadlab._model import Measurement, Result, Summary
from threadlab.render._labels import point_name
from threadlab.render._units import seconds

WAITING_NOTE = (
    "waiting: share of task time off-CPU outside the I/O waits tasks declared (for CPU-bound "
    "threads under the GIL, mostly waiting for it); on CPU: lowest–highest share per worker thread"
)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _on_cpu(summary: Summary) -> str:
    low, high = summary.thread_on_cpu_min, summary.thread_on_cpu_max
    if low is None or high is None:
        return "-"
    if round(low * 100) == round(high * 100):
        return f"{low:.0%}"
    return f"{low * 100:.0f}–{high:.0%}"


def task_tables(result: Result) -> list[RenderableType]:
    """Per workload, one row per measured point: task latency and I/O wait percentiles, waiting.

    Columns for the I/O wait and gilknocker's GIL contention appear only
    where some point of the workload has them. Nothing is returned when no
    point has samples.
    """
    groups: dict[str, list[tuple[Measurement, Summary]]] = {}
    for measurement, summary in result.summaries():
        if summary is not None:
            groups.setdefault(measurement.point.workload_label(), []).append((measurement, summary))
    pythons = {m.interpreter.label() for m in result.measurements if m.interpreter is not None}
    shown: list[RenderableType] = []
    for workload, rows in groups.items():
        has_io = any(s.io_p50_s is not None for _, s in rows)
        has_gil = any(s.gil_contention is not None for _, s in rows)
        table = Table(
            title=f"Tasks of {workload}: latency, I/O wait, time on CPU",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            header_style="bold",
        )
        table.add_column("point", no_wrap=True)
        columns = ["latency p50", "p99"]
        columns += ["I/O wait p50", "p99"] if has_io else []
        columns += ["on CPU", "waiting"]
        columns += ["GIL busy"] if has_gil else []
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
        for measurement, summary in rows:
            cells = [seconds(summary.latency_p50_s), seconds(summary.latency_p99_s)]
            if has_io:
                cells += [seconds(summary.io_p50_s), seconds(summary.io_p99_s)]
            cells += [_on_cpu(summary), _share(summary.waiting_share)]
            if has_gil:
                cells.append(_share(summary.gil_contention))
            table.add_row(point_name(measurement, workload=False, python=len(pythons) > 1), *cells)
        shown.append(table)
    if shown:
        shown.append(Group(Text(WAITING_NOTE, style="dim"), Text("")))
    return shown
