"""Pools and clusters as users run them: start-up, per-task overhead, the process × thread split.

Pure functions over a result and the rest of its analysis::

    Measurement.startup_s ─────────────────────────► PoolStartup   (kept out of throughput)
    samples' wall and task spans ──────────────────► TaskOverhead  ((wall − ideal) / tasks)
    dask points of one group, same W × threads ────► SplitComparison (paired rounds, interval,
                                    + Classification  why, in the classification's words)
    StrategyScaling of dask (USL σ, κ) ────────────► scheduler_limits (where more workers stop paying)

The per-task overhead of a point is, per sample, ``(wall − ideal) / tasks``
with ``ideal`` the tasks' own time (the sum of their spans) spread evenly over
the point's worker threads (W, or W × threads_per_worker on Dask): the time
the sample spent outside any task, per task: submitting, pickling, the
scheduler's round trips, idle workers at the end. Its median over the samples
is reported. Samples whose spans were not kept are passed over.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from threadlab.analysis._classify import Classification
from threadlab.analysis._group import Group, Measured
from threadlab.analysis._scaling import USLFit
from threadlab.analysis._summary import block_interval, paired_blocks
from threadlab.model import Measurement, Result, Sample, Swept
from threadlab.worker import strategies as strategy_registry
from threadlab.worker._kinds import Kind


@dataclass(frozen=True, slots=True)
class PoolStartup:
    """A warm pool's start-up, measured once for its point and kept out of its throughput.

    Attributes:
        point: the point's label.
        startup_s: from starting the pool (or cluster) to its first task done.
    """

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
class SplitComparison:
    """Two Dask splits of the same worker threads: W processes × t threads against W' × t'.

    Attributes:
        workload: the group's workload label.
        python: the interpreter's label.
        threads: the total worker threads of both (W × t = W' × t').
        winner, other: the two splits, ``2 processes × 1 thread``; the
            winner had the higher median paired throughput.
        ratio: the winner's throughput over the other's, median of the per-round ratios.
        interval: its 95% interval (blocks of rounds, as every speedup's).
        decided: whether the interval lies above 1 (else the two are on par).
        text: which wins and why, in plain words.
    """

    workload: str
    python: str
    threads: int
    winner: str
    other: str
    ratio: float
    interval: tuple[float, float]
    decided: bool
    text: str


@dataclass(frozen=True, slots=True)
class PoolReport:
    """Everything the analysis says about pools and clusters in one result.

    Attributes:
        startups: each warm pool's start-up.
        overheads: each pool point's per-task overhead.
        comparisons: where a group has both Dask and processes, a sentence
            comparing their per-task overheads.
        splits: Dask's process × thread splits compared.
        scheduler: per Dask scaling fitted, where adding workers stops paying.
    """

    startups: tuple[PoolStartup, ...] = ()
    overheads: tuple[TaskOverhead, ...] = ()
    comparisons: tuple[str, ...] = ()
    splits: tuple[SplitComparison, ...] = ()
    scheduler: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.startups or self.overheads or self.splits or self.scheduler)


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


def _split(measurement: Measurement) -> str:
    threads = slots_of(measurement) // measurement.point.workers
    processes = measurement.point.workers
    return (
        f"{processes} process{'es' if processes != 1 else ''} × {threads} thread{'s' if threads != 1 else ''}"
    )


def _why(kind: Kind, winner: Measured, other: Measured, decided: bool) -> str:
    """Why the split that won did, in the classification's words, or from the split itself."""
    more_processes = winner if winner.workers > other.workers else other
    processes_won = decided and winner is more_processes
    if kind is Kind.CPU_HOLDS_GIL or (kind is Kind.UNKNOWN and processes_won):
        basis = (
            "the work holds the GIL"
            if kind is Kind.CPU_HOLDS_GIL
            else "the threads of one worker took turns, as work that holds the GIL does"
        )
        advice = "use processes with one thread each"
        if decided and not processes_won:
            return f"{basis}, yet threads won here: measure again before choosing"
        return f"{basis}: {advice}"
    if kind in (Kind.IO, Kind.CPU_RELEASES_GIL):
        basis = "the tasks wait" if kind is Kind.IO else "the work releases the GIL"
        return (
            f"{basis}: threads of one worker overlap as well as processes do, and fewer "
            "processes with more threads each save memory and start-up"
        )
    if kind is Kind.UNKNOWN and not decided:
        # On par says little alone: the machine may have given fewer cores than threads.
        return (
            "neither split ran faster here; measure sequential too, so that the kind of work says "
            "why (work that holds the GIL needs processes with one thread each)"
        )
    return f"the work is {kind.words}: measure it on both splits"


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
    """Every pair of Dask points of ``group`` with the same worker threads split differently.

    The two are compared round by round, as a speedup is against its
    baseline: the per-round throughput ratios, their median, and a 95%
    interval over blocks of rounds (``analysis._summary.block_interval``).
    """
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
            decided = low > 1
            win, lose = _split(winner.measurement), _split(other.measurement)
            head = (
                f"{win} ran {ratio:.2f}× the throughput of {lose} (95% interval {low:.2f}–{high:.2f})"
                if decided
                else f"{win} and {lose} are on par: {ratio:.2f}× (95% interval {low:.2f}–{high:.2f})"
            )
            text = f"{head}; {_why(classification.kind, winner, other, decided)}"
            found.append(
                SplitComparison(
                    group.label,
                    group.python,
                    slots_of(first.measurement),
                    win,
                    lose,
                    ratio,
                    (low, high),
                    decided,
                    text,
                )
            )
    return found


def is_pool(measurement: Measurement) -> bool:
    """Whether the point's tasks went through a pool or a scheduler (``Strategy.pool``).

    A pool's point records it: ``start`` among its strategy's parameters
    (``pool_params``), the analysis not importing the orchestrator's
    registry. A file written before pools took ``start`` is answered by the
    worker's registry, which knows its own strategies.
    """
    if "start" in measurement.point.strategy_params:
        return True
    try:
        return strategy_registry.get(measurement.point.strategy).pool
    except (KeyError, ImportError):
        return False


def _overheads(group: Group) -> list[TaskOverhead]:
    found = []
    for member in group.members:
        if not is_pool(member.measurement):
            continue
        overhead = task_overhead(member.measurement)
        if overhead is not None:
            label = f"{member.name} ×{member.workers}"
            found.append(
                TaskOverhead(
                    group.label, group.python, label, member.strategy, slots_of(member.measurement), overhead
                )
            )
    return found


def _comparison(overheads: Sequence[TaskOverhead]) -> str | None:
    """Dask's per-task overhead against processes', for the same tasks, in one sentence."""
    dask = [o for o in overheads if o.strategy == "dask"]
    processes = [o for o in overheads if o.strategy == "processes"]
    if not dask or not processes:
        return None
    cluster = min(dask, key=lambda o: o.overhead_s)
    pool = min(processes, key=lambda o: o.overhead_s)
    difference = cluster.overhead_s - pool.overhead_s
    more = "more" if difference >= 0 else "less"
    return (
        f"{cluster.workload}: each task on {cluster.point} cost {_ms(cluster.overhead_s)} beyond its own "
        f"time, against {_ms(pool.overhead_s)} on {pool.point}: {_ms(abs(difference))} {more} per task "
        "on the cluster (its scheduler's round trip); a cluster pays off where tasks take many times that"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def scheduler_limits(usl_fits: Sequence[tuple[str, str, str, USLFit]]) -> list[str]:
    """Where adding Dask workers stops paying, per fitted scaling, with USL's σ and κ named.

    Args:
        usl_fits: ``(workload, strategy label, python, fit)`` of each Dask scaling fitted.
    """
    lines = []
    for workload, strategy, python, fit in usl_fits:
        where = (
            f"adding workers stops paying past N* = {fit.peak_workers:.1f}"
            if fit.peak_workers is not None
            else "throughput levels off without a peak within the model"
            if fit.sigma > 0
            else "no limit showed over the worker counts measured"
        )
        lines.append(
            f"{workload} [{python}] on {strategy}: σ {fit.sigma:.3f}, κ {fit.kappa:.2g}; {where}. "
            "Dask's scheduler cost is exactly USL's contention (σ: every task queues at the one "
            "scheduler) and coherency (κ: each worker more adds to every other's coordination)"
        )
    return lines


def pool_report(
    result: Result,
    grouped: Sequence[tuple[Group, Classification]],
    usl_fits: Sequence[tuple[str, str, str, USLFit]],
) -> PoolReport:
    """Start-ups, per-task overheads, split comparisons and scheduler limits of ``result``.

    Args:
        result: what was measured.
        grouped: each group of the analysis with its classification.
        usl_fits: each Dask scaling's USL fit (``scheduler_limits``).
    """
    swept = Swept.among(m.point for m in result.measurements)
    startups = tuple(
        PoolStartup(swept.point_label(m.point), m.startup_s)
        for m in result.measurements
        if m.startup_s is not None
    )
    overheads: list[TaskOverhead] = []
    comparisons: list[str] = []
    splits: list[SplitComparison] = []
    for group, classification in grouped:
        found = _overheads(group)
        overheads.extend(found)
        sentence = _comparison(found)
        if sentence is not None:
            comparisons.append(sentence)
        splits.extend(split_comparisons(group, classification))
    return PoolReport(
        startups, tuple(overheads), tuple(comparisons), tuple(splits), tuple(scheduler_limits(usl_fits))
    )
