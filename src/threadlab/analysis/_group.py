"""A result's points as the analysis reads them: one group per work, each point with its figures.

A group is what ``Point.group_key()`` says is compared: the same workload and
parameters under the same Python and GIL mode. Each of its points that
measured something comes with its statistics, its summary (paired speedup
and interval) and the baseline that speedup was computed against, by the one
rule of ``analysis._summary.baselines``::

    Result.measurements ──point_stats──► PointStats (wall, throughput, warnings)
           │           ──summary─────► Summary (speedup vs its baseline, CPU/wall)
           ▼
    groups(result): [Group(label, python, members: Measured…)] ──► classify, recommend, scaling
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from threadlab.analysis._stats import SampleStats, StabilityWarning, check_stability, describe
from threadlab.analysis._summary import (
    baselines,
    cores_per_call,
    group_baseline,
    paired_ratios,
    python_label,
    summary,
)
from threadlab.model import Measurement, Result, Rounds, Summary, Swept

# The most time suggested for more rounds: beyond an hour, the machine is the problem.
MOST_TIME_S = 3600.0


@dataclass(frozen=True, slots=True)
class PointStats:
    """Statistics of one point's samples and the warnings they raise.

    Attributes:
        index: the point's position in ``Result.measurements``.
        label: how tables name the point.
        wall: statistics of the samples' wall times (seconds).
        throughput: statistics of the samples' throughputs (tasks per second).
        warnings: what makes these numbers less trustworthy, with advice.
        ratios: statistics of the per-round speedups against the baseline,
            where the point was paired with one round by round (None otherwise).
    """

    index: int
    label: str
    wall: SampleStats
    throughput: SampleStats
    warnings: tuple[StabilityWarning, ...]
    ratios: SampleStats | None = None


@dataclass(frozen=True, slots=True)
class GroupPrecision:
    """How precise one group's speedups came out, and what would make them more so.

    Attributes:
        workload: the group's workload label.
        python: the interpreter's label.
        rounds: how many interleaved rounds ran.
        elapsed_s: how long they took.
        precision: the relative half-width asked for.
        reached: the widest relative half-width reached (None: nothing paired).
        ended: why the rounds ended (``precise``, ``time``, ``interrupted``, ``failed``).
        more_time_s: where the time ran out before the precision was reached,
            about how many seconds of rounds would reach it (intervals narrow
            as one over the square root of the rounds), at most
            ``MOST_TIME_S``; None otherwise.
        most_live: where a memory budget held fewer workers than points,
            the most alive at once (``Rounds.most_live``); None otherwise.
        restarts: workers started afresh for points whose worker the
            budget had closed (``Rounds.restarts``).
    """

    workload: str
    python: str
    rounds: int
    elapsed_s: float
    precision: float
    reached: float | None
    ended: str
    more_time_s: float | None
    most_live: int | None = None
    restarts: int = 0


@dataclass(frozen=True, slots=True)
class Measured:
    """A measurement of one group with its statistics, its summary and its baseline.

    Attributes:
        index: the point's position in ``Result.measurements``.
        baseline: the sequential measurement its speedup was computed
            against (``analysis._summary.baselines``); None without one.
        variant: the strategy with the parameters swept among the result's
            points (``Swept.strategy_label``); empty where none is.
    """

    index: int
    measurement: Measurement
    stats: PointStats
    summary: Summary
    baseline: Measurement | None
    variant: str = ""

    @property
    def speedup(self) -> float | None:
        return self.summary.speedup_vs_sequential

    @property
    def interval(self) -> tuple[float, float] | None:
        return self.summary.speedup_vs_sequential_ci

    @property
    def strategy(self) -> str:
        return self.measurement.point.strategy

    @property
    def name(self) -> str:
        """The strategy, with the parameters swept: ``dask (threads_per_worker=2)``."""
        return self.variant or self.strategy

    @property
    def workers(self) -> int:
        return self.measurement.point.workers

    @property
    def throughput(self) -> float:
        return self.stats.throughput.median

    @property
    def cpu_per_wall(self) -> float | None:
        return self.summary.cpu_per_wall

    @property
    def cores_per_call(self) -> float | None:
        """Cores one call kept busy while it ran (``analysis._summary.cores_per_call``)."""
        return cores_per_call(self.measurement.samples)

    def median_task_s(self) -> float | None:
        """The median time one task took, over every sample; None without task records."""
        durations = [d for s in self.measurement.samples for d in s.spans.durations()]
        return statistics.median(durations) if durations else None


@dataclass(frozen=True, slots=True)
class Group:
    """The measured points of one work under one Python, as the analysis reads them.

    Attributes:
        label: the workload as given, with its swept parameters (``Swept.workload_label``).
        python: the interpreter's label.
        members: its points that measured something, in the result's order.
    """

    label: str
    python: str
    members: tuple[Measured, ...]

    def baseline(self) -> Measured | None:
        """The sequential point that stands for the group (``analysis._summary.group_baseline``)."""
        return self.member(group_baseline([m.measurement for m in self.members]))

    def member(self, measurement: Measurement | None) -> Measured | None:
        """The group's entry for ``measurement``; None where it is not one of the group's."""
        return next((m for m in self.members if m.measurement is measurement), None)


def point_stats(
    index: int, measurement: Measurement, baseline: Measurement | None, swept: Swept
) -> PointStats | None:
    """Statistics and stability warnings of one point; None without samples.

    Where the point was paired round by round with ``baseline``, the spread
    that matters is that of its per-round speedups, not of its raw wall
    times: the machine's drift moves both samples of a round alike, and the
    pairing takes it out.
    """
    samples = measurement.samples
    if not samples:
        return None
    wall = describe([s.wall_s for s in samples])
    throughput = describe([s.throughput for s in samples])
    ratios = None
    if baseline is measurement and any(s.round is not None for s in samples):
        # The baseline of its group, paired with itself: every per-round ratio is 1. Its raw
        # spread is the machine's, shown in the noise line, and taken out of the speedups.
        ratios = describe([1.0] * len(samples))
    elif baseline is not None:
        paired = paired_ratios(samples, baseline.samples)
        ratios = describe(paired) if paired else None
    warnings = check_stability(wall, ratios=ratios)
    return PointStats(index, swept.point_label(measurement.point), wall, throughput, warnings, ratios)


def groups(result: Result) -> list[Group]:
    """The result's measured points, one group per ``Point.group_key()``, in the result's order.

    Points that failed, timed out or measured no throughput are left out: a
    sample in which every task raised has none to compare (speedups against
    it would divide by zero); such a point is reported, not analysed.
    """
    found: dict[tuple[Any, ...], list[Measured]] = {}
    every = baselines(result.measurements)
    swept = Swept.among(m.point for m in result.measurements)
    for index, (measurement, baseline) in enumerate(zip(result.measurements, every, strict=True)):
        stats = point_stats(index, measurement, baseline, swept)
        summarised = summary(measurement, baseline)
        if stats is None or summarised is None or measurement.status not in ("ok", "errors"):
            continue
        if stats.throughput.minimum <= 0:
            continue
        variant = swept.strategy_label(measurement.point)
        entry = Measured(index, measurement, stats, summarised, baseline, variant)
        found.setdefault(measurement.point.group_key(), []).append(entry)
    # Named as its points are (``Swept``: the swept parameters), the workload as the user gave it.
    return [
        Group(
            swept.workload_label(members[0].measurement.point, as_given=True),
            python_label(members[0].measurement),
            tuple(members),
        )
        for members in found.values()
    ]


def rounds_of(result: Result, group: Group) -> Rounds | None:
    """The interleaved rounds the group's points were measured in; None for a file before rounds."""
    indices = {m.index for m in group.members}
    return next((rounds for rounds in result.rounds if indices & set(rounds.points)), None)


def group_precision(group: Group, rounds: Rounds) -> GroupPrecision:
    """How precise the group's speedups came out in ``rounds``, and how much more time would do."""
    more = None
    if rounds.ended == "time" and rounds.reached is not None and rounds.reached > rounds.precision:
        more = min(MOST_TIME_S, rounds.elapsed_s * (rounds.reached / rounds.precision) ** 2)
    return GroupPrecision(
        group.label,
        group.python,
        rounds.rounds,
        rounds.elapsed_s,
        rounds.precision,
        rounds.reached,
        rounds.ended,
        more,
        rounds.most_live,
        rounds.restarts,
    )
