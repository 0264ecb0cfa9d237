"""The rows every results table shows, built once, so that a point is named and shown alike everywhere.

::

    Result ──summarise──► point_rows(): PointRow(number, name, parameters, figures, status)
                               │        (name ends with [python] where the points ran under several)
                               ├──► _terminal.results_table   rich Table, columns picked by name
                               ├──► _export.to_markdown / to_csv
                               ├──► _html (the results table)
                               └──► plots (wall, cpu: one row per point)
    Analysis.scaling ──► scaled(), scaling_title(), scaling_cells() ──► terminal and HTML scaling tables

A point's Python is ``analysis.python_label``, the label the analysis groups
by, so that ``count · threads ×2 [3.13.0t]`` in a table and ``count
[3.13.0t]`` in a finding agree. Everything here is plain text with its
control characters escaped (``printable``); each renderer escapes its
medium's markup on top (rich ``Text``, HTML, Markdown, matplotlib's ``$``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from threadlab._units import interval, rate, ratio, seconds, seconds_range, size, speedup
from threadlab.analysis import Analysis, ScalingPoint, StrategyScaling, python_label, summarise
from threadlab.model import Measurement, Result, Summary, Swept
from threadlab.worker._text import printable

# --- names ----------------------------------------------------------------------------------------


def with_python(name: str, python: str) -> str:
    """``count [3.13.0t]``: a name and the Python it ran under, written this way everywhere."""
    return printable(f"{name} [{python}]")


def group_heading(result: Result, index: int, swept: Swept) -> str:
    """``count (iterations=1000) [3.12.3]``: the workload and Python the point at ``index`` is grouped
    under, naming the parameters ``swept`` among the result's points."""
    measurement = result.measurements[index]
    return with_python(swept.workload_label(measurement.point), python_label(measurement))


def point_groups(result: Result) -> dict[str, list[tuple[int, str]]]:
    """The default screen's grouping: each ``group_heading`` with its points, in the order
    measured, each as its place in ``result.measurements`` and its short label (``threads ×2``)."""
    swept = Swept.among(m.point for m in result.measurements)
    groups: dict[str, list[tuple[int, str]]] = {}
    for index, measurement in enumerate(result.measurements):
        label = printable(swept.point_label(measurement.point, workload=False))
        groups.setdefault(group_heading(result, index, swept), []).append((index, label))
    return groups


# A group heading or point label longer than this is cut with an ellipsis. The compact
# table's other columns take at most 62 (a speedup of 529.74× (411.23–592.88) is 23), so 36
# keeps every row within 100 columns, a user's long ``module:function`` name included.
POINT_WIDTH = 36


def titled_table(title: str | None = None, **options: Any) -> Table:
    """A rich table as every terminal view draws it: its title (shown as text) left, a bold header."""
    return Table(
        title=None if title is None else Text(printable(title), style="table.title"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        **options,
    )


def compact_grid(
    columns: Sequence[str],
    words: Sequence[str] = (),
    title: str | None = None,
    point_width: int = POINT_WIDTH,
) -> Table:
    """A table of the default screen: rows never wrap, and the first column, the point's, is cut at
    ``point_width``; it and the ``words`` columns are left-aligned, the figures right-aligned."""
    table = titled_table(title, collapse_padding=True, pad_edge=False, show_edge=False)
    for number, column in enumerate(columns):
        table.add_column(
            column,
            justify="left" if number == 0 or column in words else "right",
            no_wrap=True,
            max_width=point_width if number == 0 else None,
            overflow="ellipsis",
        )
    return table


def point_name(
    measurement: Measurement,
    *,
    workload: bool = True,
    python: bool = False,
    swept: Swept | None = None,
) -> str:
    """``count · threads ×2 (4 tasks)``: the workload (unless not ``workload``), strategy and workers,
    tasks where T ≠ W, the parameters ``swept`` among the points shown together
    (``dask (threads_per_worker=2)``), and with ``python`` its Python, ``[3.13.0]``."""
    point = measurement.point
    label = (swept or Swept.among((point,))).point_label(point, workload=workload)
    return with_python(label, python_label(measurement)) if python else printable(label)


def point_names(
    measurements: Sequence[Measurement],
    *,
    workload: bool = True,
    among: Iterable[Measurement] | None = None,
) -> list[str]:
    """Each point's :func:`point_name`, ending with ``[python]`` where the points ran under several
    Pythons, naming the parameters swept among them; counted ``among`` more points than are named
    where more are shown together (the two results of a comparison)."""
    counted = list(measurements if among is None else among)
    pythons = {python_label(m) for m in counted}
    swept = Swept.among(m.point for m in counted)
    return [point_name(m, workload=workload, python=len(pythons) > 1, swept=swept) for m in measurements]


# --- the summary's figures ------------------------------------------------------------------------

# The figures of a point every results table shows, between its name and its status.
SUMMARY_COLUMNS = ("wall", "min–max", "tasks/s", "speedup", "95% CI", "CPU/wall", "peak RSS")


def summary_cells(summary: Summary | None) -> tuple[str, ...]:
    """One point's :data:`SUMMARY_COLUMNS`, as people read them; all ``-`` without a summary.

    ``speedup`` is throughput against the sequential point of the same work (``-`` without one), and
    ``95% CI`` its interval: paired round by round, or for files measured before rounds the
    conservative ratio of the two medians' intervals.
    """
    if summary is None:
        return ("-",) * len(SUMMARY_COLUMNS)
    return (
        seconds(summary.wall_median_s),
        seconds_range(summary.wall_min_s, summary.wall_max_s),
        rate(summary.throughput_median),
        ratio(summary.speedup_vs_sequential),
        interval(summary.speedup_vs_sequential_ci),
        ratio(summary.cpu_per_wall, ""),
        size(summary.peak_rss_bytes),
    )


def speedup_with_interval(summary: Summary | None) -> str:
    """``1.82× (1.74–1.90)``: a speedup and its 95% interval in one cell; ``-`` without a speedup."""
    if summary is None:
        return "-"
    return speedup(summary.speedup_vs_sequential, summary.speedup_vs_sequential_ci)


# --- one row per point ----------------------------------------------------------------------------

# Every column a results table may show, in the order they are shown; each renderer picks its own
# (the terminal leaves out ``#`` and ``parameters``, Markdown ``parameters``).
RESULTS_COLUMNS = ("#", "point", "parameters", *SUMMARY_COLUMNS, "status")
# Columns of words, aligned left; the others hold figures, aligned right.
TEXT_COLUMNS = frozenset({"point", "parameters", "status"})


@dataclass(frozen=True, slots=True)
class PointRow:
    """One point as every results table shows it.

    Attributes:
        number: its place in the result, from 1, as ``threadlab plot --point`` counts.
        name: :func:`point_name`, with ``[python]`` where the result ran under several Pythons.
        parameters: the workload's parameters, ``duration=0.02, size=4``; empty without any.
        figures: the :data:`SUMMARY_COLUMNS` cells.
        status: ``ok``, ``errors``, ``timeout``, …
        measurement: the point and what was measured, for renderers that show more of it (CSV).
        summary: its summary; None without samples.
    """

    number: int
    name: str
    parameters: str
    figures: tuple[str, ...]
    status: str
    measurement: Measurement
    summary: Summary | None

    def cells(self, columns: Sequence[str] = RESULTS_COLUMNS) -> tuple[str, ...]:
        """The row's cells under ``columns``, each one of :data:`RESULTS_COLUMNS`, in that order."""
        values = (str(self.number), self.name, self.parameters, *self.figures, self.status)
        every = dict(zip(RESULTS_COLUMNS, values, strict=True))
        return tuple(every[column] for column in columns)


def point_rows(result: Result) -> tuple[PointRow, ...]:
    """One :class:`PointRow` per point of ``result``, in measurement order."""
    names = point_names(result.measurements)
    return tuple(
        PointRow(
            number=number,
            name=name,
            parameters=printable(", ".join(f"{k}={v}" for k, v in sorted(measurement.point.params.items()))),
            figures=summary_cells(summary),
            status=printable(measurement.status),
            measurement=measurement,
            summary=summary,
        )
        for number, ((measurement, summary), name) in enumerate(
            zip(summarise(result), names, strict=True), start=1
        )
    )


# --- scaling --------------------------------------------------------------------------------------

SCALING_COLUMNS = ("workers", "tasks/s", "vs 1 worker", "vs sequential", "efficiency", "Karp–Flatt")


def scaled(analysis: Analysis) -> list[StrategyScaling]:
    """The strategies worth a scaling table: those measured at two or more worker counts."""
    return [scaling for scaling in analysis.scaling if len(scaling.points) >= 2]


def scaling_title(scaling: StrategyScaling) -> str:
    """``Scaling: count on threads [3.11.7]``."""
    return "Scaling: " + with_python(f"{scaling.workload} on {scaling.strategy}", scaling.python)


def scaling_cells(point: ScalingPoint) -> tuple[str, ...]:
    """One worker count's :data:`SCALING_COLUMNS`, as people read them."""
    return (
        str(point.workers),
        rate(point.throughput),
        ratio(point.speedup_vs_one),
        ratio(point.speedup_vs_sequential),
        "-" if point.efficiency is None else f"{point.efficiency:.0%}",
        "-" if point.karp_flatt is None else f"{point.karp_flatt:.3f}",
    )
