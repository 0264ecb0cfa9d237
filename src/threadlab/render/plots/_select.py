"""Which points a plot shows, and which sample of a point a timeline draws.

The plot modules draw what they are given; the choices are made here, from
the result and its analysis:

::

    speedup   speedup_groups(analysis)     the scaling of each workload on each Python
    wall      wall_points(result)          every point with samples
    cpu       cpu_points(result)           every point with CPU time measured
    timeline  timeline_panels(result, …)   the points asked for (``--point``), else
                                           default_timeline_point(); of each, timeline_sample()
    report    timeline_points(result)      per workload, each strategy's point with the most workers

Each raises :class:`NothingToPlot` where the result holds nothing its plot
could show, saying what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from threadlab.model import Measurement, Point, Result, Sample, Summary
from threadlab.render._rows import point_names, point_rows

if TYPE_CHECKING:
    from threadlab.analysis import Analysis, StrategyScaling
    from threadlab.analysis._group import Measured


class NothingToPlot(ValueError):
    """Raised when a result holds nothing the requested plot could show; says what is missing."""


# --- speedup -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpeedupGroup:
    """The scaling of every strategy of one workload on one Python: one row of the speedup plot."""

    workload: str
    python: str
    scalings: tuple[StrategyScaling, ...]
    # Each point's 95% interval of its speedup against sequential, where it has one:
    # ``(strategy, workers, low, high)``, the strategy named as ``StrategyScaling.strategy``.
    intervals: tuple[tuple[str, int, float, float], ...] = ()

    def interval(self, strategy: str, workers: int) -> tuple[float, float] | None:
        """The 95% interval of ``strategy`` ×``workers``'s speedup against sequential; None without one."""
        for name, count, low, high in self.intervals:
            if (name, count) == (strategy, workers):
                return low, high
        return None

    @property
    def sequential_throughput(self) -> float | None:
        """The sequential point's throughput, found from any speedup against it; None without one."""
        for scaling in self.scalings:
            for point in scaling.points:
                if point.speedup_vs_sequential:
                    return point.throughput / point.speedup_vs_sequential
        return None


def speedup_groups(result: Result, analysis: Analysis | None = None) -> list[SpeedupGroup]:
    """The scalings of ``analysis`` (``analyse(result)`` if None), grouped by workload and Python."""
    if analysis is None:
        from threadlab.analysis import analyse

        analysis = analyse(result)
    keys: dict[tuple[str, str], list[StrategyScaling]] = {}
    for scaling in analysis.scaling:
        keys.setdefault((scaling.workload, scaling.python), []).append(scaling)
    if not keys:
        raise NothingToPlot(
            "nothing to plot: no strategy other than sequential has a point with samples; "
            "measure one, e.g. -s sequential,threads -n 1,2,4,8"
        )
    intervals = _intervals(result)
    return [
        SpeedupGroup(workload, python, tuple(found), intervals.get((workload, python), ()))
        for (workload, python), found in keys.items()
    ]


def _intervals(result: Result) -> dict[tuple[str, str], tuple[tuple[str, int, float, float], ...]]:
    """Per group (its label and Python), each strategy's speedup intervals by workers.

    Of several points at one worker count, the one with the most tasks, as the
    analysis's scaling takes (``analysis._analysis._scalings``).
    """
    from threadlab.analysis._group import groups

    found: dict[tuple[str, str], tuple[tuple[str, int, float, float], ...]] = {}
    for group in groups(result):
        chosen: dict[tuple[str, int], Measured] = {}
        for member in group.members:
            key = (member.name, member.workers)
            if key not in chosen or member.measurement.point.tasks > chosen[key].measurement.point.tasks:
                chosen[key] = member
        found[(group.label, group.python)] = tuple(
            (name, workers, *member.interval)
            for (name, workers), member in chosen.items()
            if member.interval is not None and name != "sequential"
        )
    return found


# --- wall and cpu ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlottedPoint:
    """A point with samples, as a plot of one row per point shows it."""

    name: str  # as the results table names it
    strategy: str
    summary: Summary


def _plotted(result: Result) -> list[tuple[Point, PlottedPoint]]:
    return [
        (row.measurement.point, PlottedPoint(row.name, row.measurement.point.strategy, row.summary))
        for row in point_rows(result)
        if row.summary is not None
    ]


def wall_points(result: Result) -> list[PlottedPoint]:
    """The points that have samples, in measurement order."""
    points = [plotted for _, plotted in _plotted(result)]
    if not points:
        raise NothingToPlot("nothing to plot: no point has samples")
    return points


def cited_points(result: Result, cited: Sequence[Point]) -> list[PlottedPoint]:
    """The points ``cited`` (a lesson's, ``Finding.points``) that have samples, in the order cited."""
    rows = _plotted(result)
    points = [plotted for point in cited for at, plotted in rows if at == point]
    if not points:
        raise NothingToPlot("nothing to plot: no point the lesson cites has samples")
    return points


def cpu_points(result: Result) -> list[tuple[PlottedPoint, float]]:
    """The points whose CPU time was measured, each with its CPU time over wall time."""
    points = [(p, p.summary.cpu_per_wall) for _, p in _plotted(result) if p.summary.cpu_per_wall is not None]
    if not points:
        raise NothingToPlot("nothing to plot: no point has CPU time measured")
    return points


# --- timeline ----------------------------------------------------------------------------------------


def timeline_sample(measurement: Measurement) -> tuple[int, Sample] | None:
    """The sample a timeline draws, and its index: the median wall time among those with task spans.

    A point keeps its tasks' spans for its first 200,000 task records
    (``orchestrate/_runner.py``, ``SPAN_RECORDS``); the samples after those
    keep their totals but no spans, and a timeline could draw nothing of
    them. Of two middles the lower is taken.

    Returns:
        None where no sample has spans (or there is no sample).
    """
    with_spans = [i for i, sample in enumerate(measurement.samples) if len(sample.spans)]
    if not with_spans:
        return None
    order = sorted(with_spans, key=lambda i: measurement.samples[i].wall_s)
    index = order[(len(order) - 1) // 2]
    return index, measurement.samples[index]


def _with_spans(result: Result) -> list[int]:
    """The indices of the points that have a sample with spans, in measurement order."""
    return [i for i, m in enumerate(result.measurements) if timeline_sample(m) is not None]


def default_timeline_point(result: Result) -> int | None:
    """The point a timeline shows unless told: the first with the most workers that has a sample with spans.

    Returns:
        Its index in ``result.measurements``, or None when no point has spans.
    """
    found = _with_spans(result)
    if not found:
        return None
    return max(found, key=lambda i: (result.measurements[i].point.workers, -i))


def timeline_points(result: Result, limit: int = 6) -> list[int]:
    """Points worth a timeline in a report: per workload, each strategy's point with the most workers.

    Sequential points are left out unless a workload has nothing else.

    Returns:
        Indices into ``result.measurements``, at most ``limit``, in measurement order.
    """
    chosen: dict[tuple[str, str], int] = {}
    for index in _with_spans(result):
        point = result.measurements[index].point
        key = (point.workload, point.strategy)
        if key not in chosen or point.workers > result.measurements[chosen[key]].point.workers:
            chosen[key] = index
    workloads = {w for w, s in chosen if s != "sequential"}
    picked = sorted(i for (w, s), i in chosen.items() if s != "sequential" or w not in workloads)
    return picked[:limit]


@dataclass(frozen=True, slots=True)
class TimelinePanel:
    """One point of a timeline, with the sample drawn."""

    index: int  # in ``result.measurements``
    name: str  # as the results table shows it
    measurement: Measurement
    sample_index: int  # of the sample drawn, in ``measurement.samples``
    sample: Sample  # that sample, which has spans
    with_spans: int  # how many of the point's samples have spans (the median is among these)


def timeline_panels(result: Result, points: int | Sequence[int] | None = None) -> list[TimelinePanel]:
    """The points a timeline draws, one above the other, each with its :func:`timeline_sample`.

    ``points`` are indices in ``result.measurements`` (``--point``, counted
    from 0); None picks :func:`default_timeline_point`.
    """
    if points is None:
        default = default_timeline_point(result)
        if default is None:
            raise NothingToPlot("nothing to plot: no point has a sample with recorded tasks")
        points = default
    indices = [points] if isinstance(points, int) else list(points)
    if not indices:
        raise ValueError("points must name at least one point")
    names = point_names(result.measurements)
    panels = []
    for index in indices:
        if not 0 <= index < len(result.measurements):
            raise IndexError(f"point {index} is not in the result ({len(result.measurements)} points)")
        measurement = result.measurements[index]
        if not measurement.samples:
            raise NothingToPlot(
                f"nothing to plot: point {index + 1} ({names[index]}) has no samples "
                f"(status {measurement.status})"
            )
        found = timeline_sample(measurement)
        if found is None:
            raise NothingToPlot(f"nothing to plot: point {index + 1} ({names[index]}) recorded no task spans")
        with_spans = sum(1 for sample in measurement.samples if len(sample.spans))
        panels.append(TimelinePanel(index, names[index], measurement, *found, with_spans))
    return panels
