"""The terminal view of what single tasks did: latency, I/O wait, time on CPU, waiting.

One small table per workload, below the results table: the main table says
how fast the whole point went, these say how each task fared inside it —
the p99 that a median hides, the I/O wait that grows behind CPU-bound
threads (the convoy effect), and how much of its time a thread spent
waiting off-CPU (for CPU-bound threads under the GIL: waiting for the GIL).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from threadlab._units import seconds
from threadlab.analysis._summary import summarise
from threadlab.model import Measurement, Result, Summary
from threadlab.render._rows import point_names, titled_table

WAITING_NOTE = (
    "waiting: share of task time off-CPU outside the I/O waits tasks declared (for CPU-bound "
    "threads under the GIL, mostly waiting for it); on CPU: lowest–highest share per worker thread"
)
# The on-CPU cell of a point whose tasks the thread clock timed, but too briefly to tell a share.
TOO_SHORT = "too short"
TOO_SHORT_NOTE = "too short: the tasks were too brief for the thread clock to time their share on CPU"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _on_cpu(measurement: Measurement, summary: Summary) -> str:
    """``13–20%``; ``too short`` where tasks were timed but too briefly for the clock; else ``-``.

    A share is never shown above 100%: the summary drops shares the thread
    clock could not resolve, and what it keeps up to 105% is its resolution.
    """
    low, high = summary.thread_on_cpu_min, summary.thread_on_cpu_max
    if low is None or high is None:
        # The thread clock timed no task at all on asyncio, for one.
        timed = any(cpu is not None for sample in measurement.samples for cpu in sample.spans.cpu_s)
        return TOO_SHORT if timed else "-"
    low, high = min(low, 1.0), min(high, 1.0)
    if round(low * 100) == round(high * 100):
        return f"{low:.0%}"
    return f"{low * 100:.0f}–{high:.0%}"


def task_tables(result: Result) -> list[RenderableType]:
    """Per workload, one row per measured point: task latency and I/O wait percentiles, waiting;
    the I/O wait and gilknocker's GIL contention only where some point of the workload has them."""
    groups: dict[str, list[tuple[Measurement, Summary, str]]] = {}
    names = point_names(result.measurements, workload=False)
    for (measurement, summary), name in zip(summarise(result), names, strict=True):
        if summary is not None:
            groups.setdefault(measurement.point.workload_label(), []).append((measurement, summary, name))
    shown: list[RenderableType] = []
    too_short = False
    for workload, rows in groups.items():
        has_io = any(s.io_p50_s is not None for _, s, _ in rows)
        has_gil = any(s.gil_contention is not None for _, s, _ in rows)
        table = titled_table(f"Tasks of {workload}: latency, I/O wait, time on CPU")
        table.add_column("point", no_wrap=True)
        columns = ["latency p50", "p99"]
        columns += ["I/O wait p50", "p99"] if has_io else []
        columns += ["on CPU", "waiting"]
        columns += ["GIL busy"] if has_gil else []
        for column in columns:
            table.add_column(column, justify="right", no_wrap=True)
        for measurement, summary, name in rows:
            cells = [seconds(summary.latency_p50_s), seconds(summary.latency_p99_s)]
            if has_io:
                cells += [seconds(summary.io_p50_s), seconds(summary.io_p99_s)]
            on_cpu = _on_cpu(measurement, summary)
            too_short = too_short or on_cpu == TOO_SHORT
            cells += [on_cpu, _share(summary.waiting_share)]
            if has_gil:
                cells.append(_share(summary.gil_contention))
            table.add_row(Text(name), *cells)
        shown.append(table)
    if shown:
        notes = [WAITING_NOTE] + ([TOO_SHORT_NOTE] if too_short else [])
        shown.append(Group(*(Text(note, style="dim") for note in notes), Text("")))
    return shown
