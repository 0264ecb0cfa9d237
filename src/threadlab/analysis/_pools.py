"""Pools and clusters as users run them: start-up, per-task overhead, the process × thread split.

From a result and the rest of its analysis::

    Measurement.startup_s ─────────────────────────► PoolStartup   (kept out of throughput)
    samples' wall and task spans ──────────────────► TaskOverhead  ((wall − ideal) / tasks)
    dask points of one group, same W × threads ────► SplitComparison (paired rounds, interval,
                                    + Classification  what to do, from the kind of work)
    StrategyScaling of dask (USL σ, κ) ────────────► PoolReport.scheduler (where more workers stop paying)

``render/_advice.py`` words it. In a sample's per-task overhead, ``ideal`` is the tasks' own
time (the sum of their spans) spread evenly over the point's worker threads (W, or W ×
threads_per_worker on Dask): the overhead is the time spent outside any task, per task:
submitting, pickling, the scheduler's round trips, idle workers at the end.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from threadlab.analysis._classify import Classification
from threadlab.analysis._group import Group, Measured
from threadlab.analysis._scaling import USLFit
from threadlab.analysis._summary import block_interval, paired_blocks
from threadlab.analysis._verdict import Speedup, gain
from threadlab.model import Measurement, Result, Sample, Swept
from threadlab.worker import strategies as strategy_registry
from threadlab.worker._kinds import Kind


@dataclass(frozen=True, slots=True)
class PoolStartup:
    """A warm pool's start-up (to its first task done), measured once for its point, out of its throughput."""

    point: str
    startup_s: float


@dataclass(frozen=True, slots=True)
class TaskOverhead:
    """What each task of a point cost beyond its own time, on its pool or cluster.

    Attributes:
        workload: the group's workload label.
        python: the interpreter's label.
        point: the point's label, strategy and workers.
        strategy: the strategy's name.
        slots: the worker threads the tasks were spread over.
        overhead_s: median over samples of ``(wall − ideal) / tasks``.
    """

    workload: str
    python: str
    point: str
    strategy: str
    slots: int
    overhead_s: float


@dataclass(frozen=True, slots=True)
class DaskSplit:
    """How a Dask point's worker threads are split: ``processes`` × ``threads`` each."""

    processes: int
    threads: int


class SplitAdvice(enum.StrEnum):
    """What a split comparison says to do, from the kind of work and which split won.

    Members:
        ONE_THREAD_EACH: processes with one thread each (the work holds the GIL, or its
            threads took turns as such work does).
        MEASURE_AGAIN: the work holds the GIL, yet threads won: measure again before choosing.
        FEWER_PROCESSES: waiting or GIL-releasing work: fewer processes with more threads
            each overlap as well, and save memory and start-up.
        MEASURE_SEQUENTIAL: on par, kind unknown: measure sequential so that the kind says why.
        MEASURE_BOTH: any other kind: measure it on both splits.
    """

    ONE_THREAD_EACH = "one-thread-each"
    MEASURE_AGAIN = "measure-again"
    FEWER_PROCESSES = "fewer-processes"
    MEASURE_SEQUENTIAL = "measure-sequential"
    MEASURE_BOTH = "measure-both"


@dataclass(frozen=True, slots=True)
class SplitComparison:
    """Two Dask splits of the same worker threads: W processes × t threads against W' × t'.

    Attributes:
        workload: the group's workload label.
        python: the interpreter's label.
        threads: the total worker threads of both (W × t = W' × t').
        winner, other: the two splits; the winner had the higher median paired throughput.
        ratio: the winner's throughput over the other's, median of the per-round ratios.
        interval: its 95% interval (blocks of rounds, as every speedup's).
        decided: whether the winner's ratio is a gain (``analysis._verdict.gain``; else on par).
        kind: the group's kind of work, which the advice rests on.
        advice: what to do, as data (``render/`` words it).
    """

    workload: str
    python: str
    threads: int
    winner: DaskSplit
    other: DaskSplit
    ratio: float
    interval: tuple[float, float]
    decided: bool
    kind: Kind
    advice: SplitAdvice


@dataclass(frozen=True, slots=True)
class PoolReport:
    """Everything the analysis says about pools and clusters in one result.

    Attributes:
        startups: each warm pool's start-up.
        overheads: each pool point's per-task overhead.
        comparisons: where a group has both Dask and processes, the
            cheapest per-task overhead of each: ``(dask, processes)``.
        splits: Dask's process × thread splits compared.
        scheduler: each Dask scaling's USL fit, ``(workload, strategy label,
            python, fit)``: its σ and κ say where adding workers stops paying.
    """

    startups: tuple[PoolStartup, ...] = ()
    overheads: tuple[TaskOverhead, ...] = ()
    comparisons: tuple[tuple[TaskOverhead, TaskOverhead], ...] = ()
    splits: tuple[SplitComparison, ...] = ()
    scheduler: tuple[tuple[str, str, str, USLFit], ...] = ()


def slots_of(measurement: Measurement) -> int:
    """The worker threads a point's tasks were spread over: W, or W × threads_per_worker."""
    threads = measurement.point.strategy_params.get("threads_per_worker", 1)
    return measurement.point.workers * (threads if isinstance(threads, int) and threads >= 1 else 1)


def sample_overhead(sample: Sample, slots: int) -> float | None:
    """``(wall − ideal) / tasks`` of one sample; None where its spans were not kept."""
    if not sample.spans or sample.tasks == 0:
        return None
    ideal = sum(sample.spans.durations()) / slots
    return (sample.wall_s - ideal) / sample.tasks


def task_overhead(measurement: Measurement) -> float | None:
    """The median per-task overhead over a point's samples; None without spans."""
    slots = slots_of(measurement)
    found = [o for o in (sample_overhead(s, slots) for s in measurement.samples) if o is not None]
    return statistics.median(found) if found else None


def _split(measurement: Measurement) -> DaskSplit:
    processes = measurement.point.workers
    return DaskSplit(processes, slots_of(measurement) // processes)


def _advice(kind: Kind, winner: Measured, other: Measured, decided: bool) -> SplitAdvice:
    """What to do, from the classification's kind, or from the split that won."""
    processes_won = decided and winner.workers > other.workers
    if kind is Kind.CPU_HOLDS_GIL:
        return SplitAdvice.MEASURE_AGAIN if decided and not processes_won else SplitAdvice.ONE_THREAD_EACH
    if kind is Kind.UNKNOWN and processes_won:
        return SplitAdvice.ONE_THREAD_EACH
    if kind in (Kind.IO, Kind.CPU_RELEASES_GIL):
        return SplitAdvice.FEWER_PROCESSES
    if kind is Kind.UNKNOWN and not decided:
        # On par says little alone: the machine may have given fewer cores than threads.
        return SplitAdvice.MEASURE_SEQUENTIAL
    return SplitAdvice.MEASURE_BOTH


def _splits_of_the_same(first: Measured, second: Measured) -> bool:
    """Two Dask points that differ only in how the same worker threads are split into processes."""

    def rest(m: Measured) -> dict[str, object]:
        params = m.measurement.point.strategy_params
        return {k: v for k, v in params.items() if k != "threads_per_worker"}

    return (
        slots_of(first.measurement) == slots_of(second.measurement)
        and first.measurement.point.tasks == second.measurement.point.tasks
        and first.workers != second.workers
        and rest(first) == rest(second)
    )


def split_comparisons(group: Group, classification: Classification) -> list[SplitComparison]:
    """Every pair of Dask points of ``group`` with the same worker threads split differently,
    compared round by round as a speedup is against its baseline."""
    dask = [m for m in group.members if m.strategy == "dask"]
    found = []
    for i, first in enumerate(dask):
        for second in dask[i + 1 :]:
            if not _splits_of_the_same(first, second):
                continue
            blocks = paired_blocks(first.measurement.samples, second.measurement.samples)
            if not blocks:
                continue
            ratio, (low, high) = block_interval(blocks)
            winner, other = (first, second) if ratio >= 1 else (second, first)
            if ratio < 1:
                ratio, (low, high) = 1 / ratio, (1 / high, 1 / low)
            decided = gain(Speedup(ratio, low, high)) is True
            kind = classification.kind
            found.append(
                SplitComparison(
                    group.label,
                    group.python,
                    slots_of(first.measurement),
                    _split(winner.measurement),
                    _split(other.measurement),
                    ratio,
                    (low, high),
                    decided,
                    kind,
                    _advice(kind, winner, other, decided),
                )
            )
    return found


def is_pool(measurement: Measurement) -> bool:
    """Whether the point's tasks went through a pool or a scheduler (``Strategy.pool``).

    A pool's point records ``start`` among its strategy's parameters (``pool_params``): the analysis
    may not import the orchestrator's registry. A file written before pools took ``start`` is
    answered by the worker's registry, which knows its own strategies.
    """
    if "start" in measurement.point.strategy_params:
        return True
    try:
        return strategy_registry.get(measurement.point.strategy).pool
    except (KeyError, ImportError):
        return False


def _overheads(group: Group) -> list[TaskOverhead]:
    return [
        TaskOverhead(
            group.label, group.python, f"{m.name} ×{m.workers}", m.strategy, slots_of(m.measurement), overhead
        )
        for m in group.members
        if is_pool(m.measurement)
        for overhead in (task_overhead(m.measurement),)
        if overhead is not None
    ]


def pool_report(
    result: Result,
    grouped: Sequence[tuple[Group, Classification]],
    usl_fits: Sequence[tuple[str, str, str, USLFit]],
) -> PoolReport:
    """Start-ups, per-task overheads, split comparisons (``grouped``: each group with its
    classification) and scheduler limits (``usl_fits``: the Dask scalings' fits) of ``result``."""
    swept = Swept.among(m.point for m in result.measurements)
    startups = tuple(
        PoolStartup(swept.point_label(m.point), m.startup_s)
        for m in result.measurements
        if m.startup_s is not None
    )
    overheads: list[TaskOverhead] = []
    comparisons: list[tuple[TaskOverhead, TaskOverhead]] = []
    splits: list[SplitComparison] = []
    for group, classification in grouped:
        found = _overheads(group)
        overheads.extend(found)
        dask = [o for o in found if o.strategy == "dask"]
        processes = [o for o in found if o.strategy == "processes"]
        if dask and processes:
            comparisons.append(
                (min(dask, key=lambda o: o.overhead_s), min(processes, key=lambda o: o.overhead_s))
            )
        splits.extend(split_comparisons(group, classification))
    return PoolReport(startups, tuple(overheads), tuple(comparisons), tuple(splits), tuple(usl_fits))
