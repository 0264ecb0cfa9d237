"""What to use for a group's work: a strategy and a worker count, stay sequential, or "too noisy".

A recommendation is data: a :class:`Verdict`, the point it is about
(:class:`Choice`), the facts behind it (:class:`Fact`) and what would make it
surer (:class:`Remedy`); ``render/_advice.py`` words it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass

from threadlab.analysis._classify import Classification, own_gil, parallel_inside, without_gil
from threadlab.analysis._group import Group, GroupPrecision, Measured
from threadlab.analysis._remedy import Remedy
from threadlab.analysis._stats import StabilityWarning
from threadlab.analysis._summary import inner_threads
from threadlab.analysis._verdict import REAL_GAIN, Fact, FactCode, Speedup, gain
from threadlab.worker._kinds import Kind

# Among worker counts within this share of the best throughput, the fewest wins.
_NEAR_BEST = 0.95
# Median task time below this: per-task overhead of any strategy dominates.
_SHORT_TASK_S = 1e-4


class Verdict(enum.StrEnum):
    """What a recommendation says; ``render/_advice.py`` words each.

    Members:
        USE: use the chosen point: the low end of its interval is a clear gain.
        TOO_NOISY: the interval spans both no gain and a real one, and the time ran out.
        STAY_SHORT_TASKS: stay sequential: the tasks are too short for any strategy.
        STAY_UNSETTLED: stay sequential, though the interval still reaches a real gain.
        STAY: stay sequential: no gain worth having.
        NO_WORKERS: nothing ran with 2 or more workers.
        NO_BASELINE: no sequential point, so the speedup is unknown.
        NO_SPLIT: work already parallel inside, and no N workers × k native threads measured.
    """

    USE = "use"
    TOO_NOISY = "too-noisy"
    STAY_SHORT_TASKS = "stay-short-tasks"
    STAY_UNSETTLED = "stay-unsettled"
    STAY = "stay"
    NO_WORKERS = "no-workers"
    NO_BASELINE = "no-baseline"
    NO_SPLIT = "no-split"


@dataclass(frozen=True, slots=True)
class Choice:
    """The point a recommendation is about: the one to use, or the best alternative to sequential.

    Attributes:
        name: the strategy, with the parameters swept (``dask (threads_per_worker=2)``).
        strategy: the strategy's name.
        workers: its workers.
        throughput: its median throughput, tasks per second.
        speedup: its speedup against sequential; None without a baseline.
        inner: the native threads each worker was limited to (0: left as they were).
        own_gil: whether each worker ran under a GIL of its own (None: unknown).
        no_gil: whether it ran on threads of one process on a free-threaded build with its
            GIL off: threads compute at once, whatever the work does with a GIL.
        gil_on: where it ran on a free-threaded build with its GIL on, that fact
            (``FactCode.GIL_ON``: the Python and the cause recorded); else None.
    """

    name: str
    strategy: str
    workers: int
    throughput: float
    speedup: Speedup | None
    inner: int = 0
    own_gil: bool | None = None
    no_gil: bool = False
    gil_on: Fact | None = None

    @classmethod
    def of(cls, measured: Measured) -> Choice:
        """The choice of one measured point."""
        return cls(
            measured.name,
            measured.strategy,
            measured.workers,
            measured.throughput,
            speedup_of(measured),
            inner_threads(measured.measurement),
            own_gil(measured.measurement),
            _no_gil(measured),
            _gil_on(measured),
        )


def speedup_of(measured: Measured) -> Speedup | None:
    """A point's speedup with its interval and paired rounds; None without both."""
    value, bounds = measured.speedup, measured.interval
    if value is None or bounds is None:
        return None
    return Speedup(value, bounds[0], bounds[1], measured.summary.speedup_rounds)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What to use for a workload, with the expected speedup and the reasons, as data.

    Attributes:
        workload: the workload's label.
        python: the interpreter's label.
        strategy: the strategy to use; ``sequential`` to stay sequential;
            None when the measurements are too noisy to tell.
        workers: how many workers (None when ``strategy`` is None).
        speedup: throughput against sequential (None without a baseline).
        interval: its 95% interval, paired round by round (``analysis._summary.speedup``).
        classification: the kind of work.
        verdict: what the recommendation says.
        reasons: the measured facts that led here.
        remedies: what would make the answer surer, as data (empty when
            nothing would): the command line words them as its options.
        inner_threads: for work already parallel inside, the native threads
            each worker should keep: 1 for N workers × 1 native thread, 0 for
            one worker whose native pools use every core (left as they are);
            None for other work.
        chosen: the point it is about: the one to use, or the best
            alternative to sequential; None where none was measured.
        inside: for work already parallel inside, how many cores one call of
            one worker keeps busy (``FactCode.ONE_CALL_BUSY``, with its pool).
        precision: how precise the group's rounds came out, where a verdict
            turns on more time (``TOO_NOISY``, an unsettled split).
        warning: for a file measured before rounds, the warning that made it
            too noisy to tell.
    """

    workload: str
    python: str
    strategy: str | None
    workers: int | None
    speedup: float | None
    interval: tuple[float, float] | None
    classification: Classification
    verdict: Verdict
    reasons: tuple[Fact, ...]
    remedies: tuple[Remedy, ...]
    inner_threads: int | None = None
    chosen: Choice | None = None
    inside: Fact | None = None
    precision: GroupPrecision | None = None
    warning: StabilityWarning | None = None


def recommend(
    group: Group,
    classification: Classification,
    precision: GroupPrecision | None = None,
    cpu_count: int | None = None,
) -> Recommendation:
    """Pick the strategy and worker count, or say to stay sequential, or that it is too noisy.

    A strategy is recommended where its paired interval is a gain (``analysis._verdict.gain``); "too
    noisy" only where the interval cannot tell and the rounds' time ran out, never while more rounds
    were allowed. ``precision`` is None for a file written before rounds; for work already parallel
    inside, N workers × k native threads are weighed only where they fit in ``cpu_count``.
    """
    answer = Recommendation(
        group.label, group.python, "sequential", 1, 1.0, None, classification, Verdict.STAY, (), ()
    )
    if classification.kind is Kind.PARALLEL_INSIDE:
        found = _already_parallel(group, precision, cpu_count, answer)
        if found is not None:
            return found
    # One worker of any strategy is sequential work plus overhead: never the advice.
    parallel = [m for m in group.members if m.strategy != "sequential" and m.workers >= 2]
    if not parallel:
        stays = group.baseline() is not None
        return dataclasses.replace(
            answer,
            strategy="sequential" if stays else None,
            workers=1 if stays else None,
            speedup=1.0 if stays else None,
            verdict=Verdict.NO_WORKERS,
            reasons=(Fact(FactCode.NO_WORKERS),),
            remedies=(Remedy.ADD_WORKERS,),
        )
    # Points compared with a baseline of this group (the baseline rule gave each its own).
    ranked = [m for m in parallel if speedup_of(m) is not None and group.member(m.baseline) is not None]
    if not ranked:
        best, near = _near_best(parallel, lambda m: m.throughput)
        chosen = min((m for m in near if m.name == best.name), key=lambda m: m.workers)
        return dataclasses.replace(
            answer,
            strategy=chosen.strategy,
            workers=chosen.workers,
            speedup=None,
            verdict=Verdict.NO_BASELINE,
            reasons=(Fact(FactCode.NO_BASELINE),),
            remedies=(Remedy.ADD_SEQUENTIAL,),
            chosen=Choice.of(chosen),
        )
    return _weighed(group, ranked, precision, answer)


def _weighed(
    group: Group, ranked: list[Measured], precision: GroupPrecision | None, answer: Recommendation
) -> Recommendation:
    """The answer among points with a speedup: use the best, too noisy to tell, or stay sequential."""
    best, near = _near_best(ranked, lambda m: m.speedup or 0.0)
    chosen = min((m for m in near if m.name == best.name), key=lambda m: m.workers)
    base = group.member(chosen.baseline)
    assert base is not None  # ranked holds only points whose baseline is in the group
    measured = speedup_of(chosen)
    assert measured is not None  # ranked holds only points with a speedup
    kind = answer.classification.kind
    reasons = [
        Fact(FactCode.MEASURED, chosen.name, chosen.workers, speedup=measured),
        Fact(FactCode.NO_GIL, kind=kind)
        if kind is Kind.CPU_RELEASES_GIL and _no_gil(chosen)
        else Fact(FactCode.CLASSIFIED, kind=kind),
    ]
    if chosen is not best:
        ratio = (best.speedup or 0.0) / measured.value
        reasons.append(Fact(FactCode.FEWER_WORKERS, workers=best.workers, value=ratio, other=1 - _NEAR_BEST))
    answer = dataclasses.replace(answer, chosen=Choice.of(chosen), reasons=tuple(reasons))
    if gain(measured):
        return _use(answer, chosen, measured)
    return _no_clear_gain(answer, chosen, base, precision)


def _no_clear_gain(
    answer: Recommendation, chosen: Measured, base: Measured, precision: GroupPrecision | None
) -> Recommendation:
    """The best point's interval is no clear gain: too noisy to tell, or stay sequential (and why)."""
    measured = speedup_of(chosen)
    assert measured is not None  # the caller weighed only points with a speedup
    reasons = list(answer.reasons)
    task_s = base.median_task_s()
    short = task_s is not None and task_s < _SHORT_TASK_S
    warning = None
    if precision is not None:
        out_of_time = precision.ended == "time"
        remedies: tuple[Remedy, ...] = (Remedy.MORE_TIME, Remedy.QUIETER_MACHINE)
    else:  # a file measured before rounds: judged by the spread of its samples, as it was then
        noisy = [
            w for m in (chosen, base) for w in m.stats.warnings if w.code in ("high-spread", "few-samples")
        ]
        out_of_time = bool(noisy)
        warning = noisy[0] if noisy else None
        remedies = noisy[0].remedies if noisy else ()
    # Tiny tasks make short, noisy samples; when even the median shows no gain, more
    # rounds would not change the answer (batching would), so they stay sequential.
    if out_of_time and gain(measured) is None and not (short and measured.value < REAL_GAIN):
        return dataclasses.replace(
            answer,
            strategy=None,
            workers=None,
            speedup=measured.value,
            interval=(measured.low, measured.high),
            verdict=Verdict.TOO_NOISY,
            remedies=remedies,
            precision=precision,
            warning=warning,
        )
    if task_s is not None and short:
        reasons.append(Fact(FactCode.SHORT_TASKS, value=task_s))
        return dataclasses.replace(
            answer, verdict=Verdict.STAY_SHORT_TASKS, reasons=tuple(reasons), remedies=(Remedy.BIGGER_TASKS,)
        )
    if gain(measured) is None:
        return dataclasses.replace(
            answer, verdict=Verdict.STAY_UNSETTLED, remedies=(Remedy.TIGHTER_PRECISION,)
        )
    return answer


def _already_parallel(
    group: Group, precision: GroupPrecision | None, cpu_count: int | None, answer: Recommendation
) -> Recommendation | None:
    """One worker whose native pools use all the cores, or N workers × k native threads where better.

    Points whose workers stack on native pools that already use the cores
    (``inner_threads`` left alone, or more inner threads than the cores
    share out) are never the advice: they oversubscribe the cores, and any
    gain they show is the machine's noise or a pool that did not fill it.
    None where no one-worker point kept several cores busy.
    """
    busiest = parallel_inside(group)
    if busiest is None:
        return None
    inside, busy = busiest
    native = inside.measurement.native
    pool = None if native is None else native.most_threads()
    opening = Fact(FactCode.ONE_CALL_BUSY, inside.name, 1, busy, pool=pool)
    reasons = [opening]

    def fits(m: Measured) -> bool:
        inner = inner_threads(m.measurement)
        return inner >= 1 and (cpu_count is None or m.workers * inner <= cpu_count)

    for m in group.members:
        if m.strategy != "sequential" and m.workers >= 2 and not fits(m) and m.speedup is not None:
            reasons.append(Fact(FactCode.LEFT_OUT, m.name, m.workers, m.speedup))
    # The alternatives: N workers × k native threads within the cores, and one worker with fewer
    # native threads than it would take (inner_threads=k: where its threads wait on each other).
    alternatives = [
        m
        for m in group.members
        if (m.workers >= 2 or m.strategy == "sequential")
        and fits(m)
        and speedup_of(m) is not None
        and group.member(m.baseline) not in (None, m)
    ]
    splits = [m for m in alternatives if m.workers >= 2]
    answer = dataclasses.replace(answer, inner_threads=0, inside=opening)
    chosen = _pick(alternatives) if alternatives else None
    if chosen is None or not gain(speedup_of(chosen) or Speedup(0.0, 0.0, 0.0)):
        if not splits:
            return dataclasses.replace(
                answer, verdict=Verdict.NO_SPLIT, reasons=tuple(reasons), remedies=(Remedy.ADD_INNER_SPLIT,)
            )
        chosen = _pick(splits)  # no clear win: the outer split is the alternative worth naming
    choice = Choice.of(chosen)
    measured = choice.speedup
    assert measured is not None  # alternatives hold only points with a speedup
    reasons.append(Fact(FactCode.SPLIT, chosen.name, chosen.workers, inner=choice.inner, speedup=measured))
    answer = dataclasses.replace(answer, chosen=choice, reasons=tuple(reasons))
    if gain(measured):
        return dataclasses.replace(_use(answer, chosen, measured), inner_threads=choice.inner)
    if precision is not None and precision.ended == "time" and gain(measured) is None:
        return dataclasses.replace(
            answer, verdict=Verdict.STAY_UNSETTLED, remedies=(Remedy.MORE_TIME,), precision=precision
        )
    return answer


def _use(answer: Recommendation, chosen: Measured, measured: Speedup) -> Recommendation:
    """Use the chosen point: its interval is a gain.

    For lock-bound work on workers with a GIL (and so a lock) each, a warning reason: the
    gain holds only where the lock guards nothing the workers share (each process locks
    its own copy), which no measurement here can tell.
    """
    reasons = answer.reasons
    if answer.classification.kind is Kind.LOCK and own_gil(chosen.measurement):
        reasons = (*reasons, Fact(FactCode.LOCK_HELD, chosen.name, chosen.workers))
    return dataclasses.replace(
        answer,
        reasons=reasons,
        strategy=chosen.strategy,
        workers=chosen.workers,
        speedup=measured.value,
        interval=(measured.low, measured.high),
        verdict=Verdict.USE,
    )


def _pick(among: list[Measured]) -> Measured:
    """Within 5% of the best, the fewest workers, then the fewest native threads."""
    near = _near_best(among, lambda m: m.speedup or 0.0)[1]
    return min(near, key=lambda m: (m.workers, m.workers * inner_threads(m.measurement)))


def _near_best(among: list[Measured], value: Callable[[Measured], float]) -> tuple[Measured, list[Measured]]:
    """The best by ``value``, and the points within 5% of it (itself among them)."""
    best = max(among, key=value)
    return best, [m for m in among if value(m) >= _NEAR_BEST * value(best)]


def _no_gil(measured: Measured) -> bool:
    """Whether the point ran on a free-threaded build with its GIL off, on threads of one process."""
    return without_gil(measured.measurement) and own_gil(measured.measurement) is False


def _gil_on(measured: Measured) -> Fact | None:
    """``FactCode.GIL_ON`` where the point ran on a free-threaded build with its GIL on; else None."""
    interpreter = measured.measurement.interpreter
    if interpreter is None or not interpreter.free_threaded or not interpreter.gil_enabled:
        return None
    return Fact(FactCode.GIL_ON, python=interpreter.version, cause=interpreter.gil_cause)
