"""From a result to advice: per-point statistics, scaling, classification, recommendation.

Pure functions over the results model: ``analyse(result)`` returns an
``Analysis`` and prints nothing. Every conclusion carries the measured numbers
behind it, so that a reader can check it, and nothing is concluded where the
measurements cannot tell (the answer is then "unclear" or "too noisy",
saying what would settle it).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from threadlab._model import Measurement, Result
from threadlab.analysis._scaling import ScalingPoint, USLFit, USLNotFitted, fit_usl, scaling_table
from threadlab.analysis._stats import SampleStats, StabilityWarning, _seconds, check_stability, describe

Kind = Literal["io-bound", "cpu-bound, holds the GIL", "cpu-bound, releases the GIL", "mixed", "unclear"]

# Sequential CPU/wall below this: the tasks mostly wait (I/O-bound); above
# _CPU_BOUND they mostly compute. In between: mixed.
_IO_BOUND = 0.3
_CPU_BOUND = 0.7
# A speedup below this is "no real gain" at these machines' ±10-20% noise.
_REAL_GAIN = 1.3
# Threads whose CPU/wall is above this did compute in parallel (one GIL-bound
# thread at a time gives at most 1.0, plus a little for the interpreter's own threads).
_PARALLEL_CPU = 1.15
# A recommendation needs the lower end of its speedup interval above this.
_CLEAR_WIN = 1.05
# Among worker counts within this share of the best throughput, the fewest wins.
_NEAR_BEST = 0.95
# Median task time below this: per-task overhead of any strategy dominates.
_SHORT_TASK_S = 1e-4


@dataclass(frozen=True, slots=True)
class PointStats:
    """Statistics of one point's samples and the warnings they raise.

    Attributes:
        index: the point's position in ``Result.measurements``.
        label: how tables name the point.
        wall: statistics of the samples' wall times (seconds).
        throughput: statistics of the samples' throughputs (tasks per second).
        warnings: what makes these numbers less trustworthy, with advice.
    """

    index: int
    label: str
    wall: SampleStats
    throughput: SampleStats
    warnings: tuple[StabilityWarning, ...]


@dataclass(frozen=True, slots=True)
class StrategyScaling:
    """How one strategy's throughput scales with workers, for one workload.

    Attributes:
        workload: the workload's label (name, and parameters where needed).
        strategy: the strategy.
        python: the interpreter's label.
        points: speedup, efficiency and Karp–Flatt per worker count.
        usl: the Universal Scalability Law fit, or why it was not fitted.
    """

    workload: str
    strategy: str
    python: str
    points: tuple[ScalingPoint, ...]
    usl: USLFit | USLNotFitted


@dataclass(frozen=True, slots=True)
class Classification:
    """What kind of work a workload is, judged from its measurements.

    Attributes:
        workload: the workload's label.
        python: the interpreter's label.
        kind: ``io-bound``, ``cpu-bound, holds the GIL``, ``cpu-bound,
            releases the GIL``, ``mixed`` or ``unclear``.
        evidence: the measured numbers behind it, or what would settle it.
    """

    workload: str
    python: str
    kind: Kind
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What to use for a workload, with the expected speedup and the reasons.

    Attributes:
        workload: the workload's label.
        python: the interpreter's label.
        strategy: the strategy to use; ``sequential`` to stay sequential;
            None when the measurements are too noisy to tell.
        workers: how many workers (None when ``strategy`` is None).
        speedup: throughput against sequential (None without a baseline).
        interval: a conservative 95% interval for that speedup, from the
            confidence intervals of both medians.
        classification: the kind of work.
        reasons: the measured facts that led here.
        text: a short paragraph in plain words, citing the numbers.
    """

    workload: str
    python: str
    strategy: str | None
    workers: int | None
    speedup: float | None
    interval: tuple[float, float] | None
    classification: Classification
    reasons: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything threadlab concludes from one result."""

    points: tuple[PointStats, ...]
    scaling: tuple[StrategyScaling, ...]
    classifications: tuple[Classification, ...]
    recommendations: tuple[Recommendation, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, for the results file (derived; recomputed on load)."""
        from threadlab._serialize import plain

        data: dict[str, Any] = plain(self)
        return data


@dataclass(frozen=True, slots=True)
class _Measured:
    """A measurement with its statistics, inside one workload group."""

    index: int
    measurement: Measurement
    stats: PointStats

    @property
    def strategy(self) -> str:
        return self.measurement.point.strategy

    @property
    def workers(self) -> int:
        return self.measurement.point.workers

    @property
    def throughput(self) -> float:
        return self.stats.throughput.median

    @property
    def cpu_per_wall(self) -> float | None:
        ratios = [s.cpu_s / s.wall_s for s in self.measurement.samples if s.cpu_s is not None]
        return statistics.median(ratios) if ratios else None


def point_stats(index: int, measurement: Measurement) -> PointStats | None:
    """Statistics and stability warnings of one point; None without samples."""
    samples = measurement.samples
    if not samples:
        return None
    wall = describe([s.wall_s for s in samples])
    throughput = describe([s.throughput for s in samples])
    return PointStats(index, measurement.point.label(), wall, throughput, check_stability(wall))


def _python(measurement: Measurement) -> str:
    return measurement.interpreter.label() if measurement.interpreter else measurement.point.python


def _groups(result: Result) -> dict[tuple[Any, ...], list[_Measured]]:
    """Measurements grouped by workload, its parameters and the Python that ran it."""
    groups: dict[tuple[Any, ...], list[_Measured]] = {}
    for index, measurement in enumerate(result.measurements):
        stats = point_stats(index, measurement)
        if stats is None or measurement.status not in ("ok", "errors"):
            continue
        # A sample in which every task raised has no throughput to compare (speedups
        # against it would divide by zero): such a point is reported, not analysed.
        if stats.throughput.minimum <= 0:
            continue
        point = measurement.point
        key = (point.workload, tuple(sorted(point.params.items())), _python(measurement))
        groups.setdefault(key, []).append(_Measured(index, measurement, stats))
    return groups


def _workload_labels(keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], str]:
    """Name each group by its workload, adding parameters where two share a name."""
    names = [key[0] for key in keys]
    labels = {}
    for key in keys:
        name, params = key[0], key[1]
        if names.count(name) > 1 and params:
            name += " (" + ", ".join(f"{k}={v}" for k, v in params) + ")"
        labels[key] = name
    return labels


def _baseline(group: Sequence[_Measured], tasks: int | None = None) -> _Measured | None:
    """The sequential point to compare against: same task count if any, else the most tasks."""
    sequential = [m for m in group if m.strategy == "sequential"]
    if not sequential:
        return None
    same = [m for m in sequential if m.measurement.point.tasks == tasks]
    return (same or sorted(sequential, key=lambda m: m.measurement.point.tasks))[-1]


def _best_parallel(group: Sequence[_Measured], strategies: Sequence[str]) -> tuple[_Measured, float] | None:
    """The point with 2+ workers among ``strategies`` with the best speedup, and that speedup."""
    best: tuple[_Measured, float] | None = None
    for m in group:
        if m.strategy not in strategies or m.workers < 2:
            continue
        base = _baseline(group, m.measurement.point.tasks)
        if base is None:
            continue
        speedup = m.throughput / base.throughput
        if best is None or speedup > best[1]:
            best = (m, speedup)
    return best


def _fmt(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


def classify(workload: str, python: str, group: Sequence[_Measured], cpu_count: int | None) -> Classification:
    """Judge the kind of work from the measured CPU/wall and speedups."""
    base = _baseline(group)
    if base is None or base.cpu_per_wall is None:
        return Classification(
            workload,
            python,
            "unclear",
            ("no sequential point with CPU time measured; run it with -s sequential to settle it",),
        )
    cpu = base.cpu_per_wall
    evidence = [f"sequential CPU/wall {cpu:.2f}: the tasks compute {min(cpu, 1.0):.0%} of the time"]
    threads = _best_parallel(group, ("threads", "thread-pool"))
    # Strategies that run each worker under a GIL of its own.
    processes = _best_parallel(group, ("processes", "interpreters", "dask"))
    if threads:
        evidence.append(
            f"{threads[0].strategy} ×{threads[0].workers}: {threads[1]:.2f}× sequential "
            f"(CPU/wall {_fmt(threads[0].cpu_per_wall)})"
        )
    if processes:
        evidence.append(f"{processes[0].strategy} ×{processes[0].workers}: {processes[1]:.2f}× sequential")
    if cpu < _IO_BOUND:
        return Classification(workload, python, "io-bound", tuple(evidence))
    if cpu < _CPU_BOUND:
        return Classification(workload, python, "mixed", tuple(evidence))
    if threads is None:
        evidence.append(
            "no thread point with 2+ workers, so whether it holds the GIL is not known: add -s threads -n 1,2"
        )
        return Classification(workload, python, "unclear", tuple(evidence))
    if cpu_count is not None and cpu_count < 2:
        evidence.append("this machine has one CPU, so no strategy can run CPU work in parallel")
        return Classification(workload, python, "unclear", tuple(evidence))
    thread_cpu = threads[0].cpu_per_wall
    if threads[1] >= _REAL_GAIN and (thread_cpu is None or thread_cpu > _PARALLEL_CPU):
        return Classification(workload, python, "cpu-bound, releases the GIL", tuple(evidence))
    if threads[1] >= _REAL_GAIN:
        evidence.append(
            f"yet the threads kept only {thread_cpu:.2f} cores busy: a gain without parallel work "
            f"means the sequential run was slowed by something else; rerun on a quiet machine"
        )
        return Classification(workload, python, "unclear", tuple(evidence))
    if thread_cpu is not None and thread_cpu > _PARALLEL_CPU:
        evidence.append(
            f"yet the threads kept {thread_cpu:.2f} cores busy: they did run in parallel, so other "
            f"programs may have held the cores; rerun on a quiet machine"
        )
        return Classification(workload, python, "unclear", tuple(evidence))
    if processes is None:
        evidence.append("nothing with a GIL per worker was measured; add -s processes to confirm")
    return Classification(workload, python, "cpu-bound, holds the GIL", tuple(evidence))


def _interval(point: _Measured, base: _Measured) -> tuple[float, float]:
    """Conservative 95% interval of the ratio of two medians, from their intervals."""
    return (
        point.stats.throughput.ci_low / base.stats.throughput.ci_high,
        point.stats.throughput.ci_high / base.stats.throughput.ci_low,
    )


def _median_task_s(measurement: Measurement) -> float | None:
    durations = [d for s in measurement.samples for d in s.spans.durations()]
    return statistics.median(durations) if durations else None


def recommend(
    workload: str, python: str, group: Sequence[_Measured], classification: Classification
) -> Recommendation:
    """Pick the strategy and worker count, or say to stay sequential, or that it is too noisy."""
    # One worker of any strategy is sequential work plus overhead: never the advice.
    parallel = [m for m in group if m.strategy != "sequential" and m.workers >= 2]
    base = _baseline(group)

    def answer(
        strategy: str | None,
        workers: int | None,
        speedup: float | None,
        interval: tuple[float, float] | None,
        reasons: list[str],
        text: str,
    ) -> Recommendation:
        return Recommendation(
            workload, python, strategy, workers, speedup, interval, classification, tuple(reasons), text
        )

    if not parallel:
        reasons = ["no strategy was measured with 2 or more workers"]
        return answer(
            "sequential" if base else None,
            1 if base else None,
            1.0 if base else None,
            None,
            reasons,
            f"{workload}: nothing ran with 2 or more workers; add strategies and worker counts "
            f"(-s threads,processes -n 1,2,4) to compare.",
        )
    best = max(parallel, key=lambda m: m.throughput)
    same = [
        m for m in parallel if m.strategy == best.strategy and m.throughput >= _NEAR_BEST * best.throughput
    ]
    chosen = min(same, key=lambda m: m.workers)
    kind = classification.kind
    if base is None:
        return answer(
            chosen.strategy,
            chosen.workers,
            None,
            None,
            ["no sequential baseline was measured"],
            f"{workload}: {chosen.strategy} with {chosen.workers} workers had the best throughput "
            f"({chosen.throughput:.3g} tasks/s), but without a sequential point the speedup is unknown; "
            f"add -s sequential.",
        )
    speedup = chosen.throughput / base.throughput
    interval = _interval(chosen, base)
    reasons = [
        f"{chosen.strategy} ×{chosen.workers}: {chosen.throughput:.3g} tasks/s against sequential "
        f"{base.throughput:.3g} tasks/s",
        f"work classified as {kind}",
    ]
    if chosen is not best:
        reasons.append(
            f"{best.workers} workers gave {best.throughput / chosen.throughput:.2f}× of that: "
            f"within {1 - _NEAR_BEST:.0%}, so the fewer workers win"
        )
    spread = f"{speedup:.2f}× (95% CI {interval[0]:.2f}–{interval[1]:.2f}×)"
    if interval[0] > _CLEAR_WIN:
        return answer(
            chosen.strategy,
            chosen.workers,
            speedup,
            interval,
            reasons,
            f"{workload}: use {chosen.strategy} with {chosen.workers} workers — {spread} the "
            f"sequential throughput. {_why(kind, chosen.strategy)}",
        )
    task_s = _median_task_s(base.measurement)
    short = task_s is not None and task_s < _SHORT_TASK_S
    noisy = [w for m in (chosen, base) for w in m.stats.warnings if w.code in ("high-spread", "few-samples")]
    # Tiny tasks make short, noisy samples; when even the median shows no gain, more
    # repeats would not change the answer (batching would), so they stay sequential.
    if noisy and interval[1] > _REAL_GAIN and not (short and speedup < _REAL_GAIN):
        reasons.append(noisy[0].message)
        return answer(
            None,
            None,
            speedup,
            interval,
            reasons,
            f"{workload}: too noisy to tell — the best, {chosen.strategy} ×{chosen.workers}, measured "
            f"{spread}, and the interval spans both a loss and a gain. {_sentence(noisy[0].advice)}",
        )
    if task_s is not None and short:
        reasons.append(f"median task takes {_seconds(task_s)}: starting workers costs more than it saves")
    return answer(
        "sequential",
        1,
        1.0,
        None,
        reasons,
        f"{workload}: stay sequential — the best alternative, {chosen.strategy} ×{chosen.workers}, "
        f"measured {spread}, no clear gain. "
        + (
            "The tasks are so short that the overhead of any strategy dominates; "
            "batch them into larger tasks."
            if short
            else _why_not(kind)
        ),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _why(kind: Kind, strategy: str) -> str:
    if kind == "io-bound":
        return "The tasks mostly wait, and waiting overlaps: more workers wait at once."
    if kind == "cpu-bound, releases the GIL":
        return "The work runs in C code that releases the GIL, so threads compute in parallel."
    if kind == "cpu-bound, holds the GIL" and strategy in ("processes", "dask"):
        return (
            "The work holds the GIL, so only separate processes (each with its own GIL) run it in parallel."
        )
    if kind == "cpu-bound, holds the GIL" and strategy == "interpreters":
        return "The work holds the GIL, so subinterpreters, each with a GIL of its own, run it in parallel."
    if kind == "mixed":
        return "The tasks both wait and compute; the waiting overlaps."
    return ""


def _why_not(kind: Kind) -> str:
    if kind == "cpu-bound, holds the GIL":
        return (
            "The work holds the GIL, so threads take turns; if processes did not help either, "
            "their start-up and data transfer cost as much as they save."
        )
    return "Rerun with more repeats (--repeat 10) if you expected a gain."


def _scalings(key: tuple[Any, ...], label: str, group: Sequence[_Measured]) -> list[StrategyScaling]:
    found = []
    for strategy in dict.fromkeys(m.strategy for m in group):
        if strategy == "sequential":
            continue
        by_workers: dict[int, _Measured] = {}
        for m in group:
            if m.strategy == strategy:
                previous = by_workers.get(m.workers)
                if previous is None or m.measurement.point.tasks > previous.measurement.point.tasks:
                    by_workers[m.workers] = m
        base = _baseline(group)
        throughput = {w: m.throughput for w, m in sorted(by_workers.items()) if m.throughput > 0}
        if not throughput:
            continue
        found.append(
            StrategyScaling(
                workload=label,
                strategy=strategy,
                python=key[2],
                points=scaling_table(throughput, base.throughput if base else None),
                usl=fit_usl(throughput),
            )
        )
    return found


def analyse(result: Result) -> Analysis:
    """Statistics, scaling, classification and a recommendation for every workload in ``result``."""
    stats = tuple(s for s in (point_stats(i, m) for i, m in enumerate(result.measurements)) if s is not None)
    groups = _groups(result)
    labels = _workload_labels(list(groups))
    scaling: list[StrategyScaling] = []
    classifications: list[Classification] = []
    recommendations: list[Recommendation] = []
    for key, group in groups.items():
        label = labels[key]
        scaling.extend(_scalings(key, label, group))
        classification = classify(label, key[2], group, result.environment.cpu_count)
        classifications.append(classification)
        recommendations.append(recommend(label, key[2], group, classification))
    return Analysis(stats, tuple(scaling), tuple(classifications), tuple(recommendations))
