"""What to use for a group's work: a strategy and a worker count, stay sequential, or "too noisy".

The choice rests on each point's paired speedup and its 95% interval. A
recommendation says it in a short paragraph citing the numbers, and what
would make it surer as :class:`Remedy` values, which each front end words
its own way (never a command-line option here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from threadlab.analysis._classify import (
    REAL_GAIN,
    Classification,
    inner_threads,
    native_words,
    own_gil,
    parallel_inside,
)
from threadlab.analysis._group import Group, GroupPrecision, Measured
from threadlab.analysis._remedy import Remedy
from threadlab.analysis._stats import _seconds
from threadlab.worker._kinds import Kind

# A recommendation needs the lower end of its speedup interval above this.
_CLEAR_WIN = 1.05
# Among worker counts within this share of the best throughput, the fewest wins.
_NEAR_BEST = 0.95
# Median task time below this: per-task overhead of any strategy dominates.
_SHORT_TASK_S = 1e-4


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
        remedies: what would make the answer surer, as data (empty when
            nothing would): the command line words them as its options.
        inner_threads: for work already parallel inside, the native threads
            each worker should keep: 1 for N workers × 1 native thread, 0 for
            one worker whose native pools use every core (left as they are);
            None for other work.
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
    remedies: tuple[Remedy, ...]
    inner_threads: int | None = None


# A recommendation as ``recommend`` builds it: strategy, workers, speedup, interval, reasons,
# text, then remedies.
_Answer = Callable[..., Recommendation]


def recommend(
    group: Group,
    classification: Classification,
    precision: GroupPrecision | None = None,
    cpu_count: int | None = None,
) -> Recommendation:
    """Pick the strategy and worker count, or say to stay sequential, or that it is too noisy.

    The choice rests on each point's paired speedup and its 95% interval: a
    strategy is recommended when the interval's low end is above 1.05.
    "Too noisy" is the answer only when the interval spans both no gain and a
    real one, and the rounds ended because their time ran out, never while
    more rounds were still allowed.

    Args:
        group: the group's measured points.
        classification: the group's kind of work (:func:`classify`).
        precision: how precise its rounds came out; None for a file written before rounds.
        cpu_count: the machine's logical CPUs, where known: for work already
            parallel inside, N workers × k native threads are weighed only
            where they fit in them.
    """
    workload = group.label
    # One worker of any strategy is sequential work plus overhead: never the advice.
    parallel = [m for m in group.members if m.strategy != "sequential" and m.workers >= 2]

    def answer(
        strategy: str | None,
        workers: int | None,
        speedup: float | None,
        interval: tuple[float, float] | None,
        reasons: list[str],
        text: str,
        *remedies: Remedy,
    ) -> Recommendation:
        return Recommendation(
            workload,
            group.python,
            strategy,
            workers,
            speedup,
            interval,
            classification,
            tuple(reasons),
            text,
            remedies,
        )

    if classification.kind is Kind.PARALLEL_INSIDE:
        found = _already_parallel(group, precision, cpu_count, answer)
        if found is not None:
            return found
    if not parallel:
        stays = group.baseline() is not None
        return answer(
            "sequential" if stays else None,
            1 if stays else None,
            1.0 if stays else None,
            None,
            ["no strategy was measured with 2 or more workers"],
            f"{workload}: nothing ran with 2 or more workers; measure other strategies with 2 or more "
            f"workers to compare.",
            Remedy.ADD_WORKERS,
        )
    # Points compared with a baseline of this group (the baseline rule gave each its own).
    ranked = [
        m
        for m in parallel
        if m.speedup is not None and m.interval is not None and group.member(m.baseline) is not None
    ]
    if not ranked:
        best = max(parallel, key=lambda m: m.throughput)
        chosen = min(
            (m for m in parallel if m.name == best.name and m.throughput >= _NEAR_BEST * best.throughput),
            key=lambda m: m.workers,
        )
        return answer(
            chosen.strategy,
            chosen.workers,
            None,
            None,
            ["no sequential baseline was measured"],
            f"{workload}: {chosen.name} with {chosen.workers} workers had the best throughput "
            f"({chosen.throughput:.3g} tasks/s), but without a sequential point the speedup is unknown; "
            f"measure sequential too.",
            Remedy.ADD_SEQUENTIAL,
        )
    best = max(ranked, key=lambda m: m.speedup or 0.0)
    chosen = min(
        (
            m
            for m in ranked
            if m.name == best.name and (m.speedup or 0.0) >= _NEAR_BEST * (best.speedup or 0.0)
        ),
        key=lambda m: m.workers,
    )
    base = group.member(chosen.baseline)
    assert base is not None  # ranked holds only points whose baseline is in the group
    speedup = chosen.speedup or 0.0
    interval = chosen.interval or (0.0, 0.0)
    kind = classification.kind
    paired = chosen.summary.speedup_rounds
    reasons = [
        f"{chosen.name} ×{chosen.workers}: {speedup:.2f}× sequential"
        + (
            f", the median of {paired} per-round ratios"
            if paired
            else ", the ratio of the median throughputs"
        ),
        "work classified as cpu-bound, in parallel on threads: this build has no GIL"
        if kind is Kind.CPU_RELEASES_GIL and _no_gil(chosen)
        else f"work classified as {kind.words}",
    ]
    if chosen is not best:
        reasons.append(
            f"{best.workers} workers gave {(best.speedup or 0.0) / speedup:.2f}× of that: "
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
            f"{workload}: use {chosen.name} with {chosen.workers} workers — {spread} the "
            f"sequential throughput. {_why(kind, chosen)}".rstrip(),
        )
    task_s = base.median_task_s()
    short = task_s is not None and task_s < _SHORT_TASK_S
    if precision is not None:
        out_of_time = precision.ended == "time"
        more = _more_time_text(precision)
        remedies: tuple[Remedy, ...] = (Remedy.MORE_TIME, Remedy.QUIETER_MACHINE)
    else:  # a file measured before rounds: judged by the spread of its samples, as it was then
        noisy = [
            w for m in (chosen, base) for w in m.stats.warnings if w.code in ("high-spread", "few-samples")
        ]
        out_of_time = bool(noisy)
        more = _sentence(noisy[0].advice) if noisy else ""
        remedies = noisy[0].remedies if noisy else ()
    # Tiny tasks make short, noisy samples; when even the median shows no gain, more
    # rounds would not change the answer (batching would), so they stay sequential.
    if out_of_time and interval[1] > REAL_GAIN and not (short and speedup < REAL_GAIN):
        return answer(
            None,
            None,
            speedup,
            interval,
            reasons,
            f"{workload}: too noisy to tell — the best, {chosen.name} ×{chosen.workers}, measured "
            f"{spread}, and the interval spans both no gain and a real one. {more}".rstrip(),
            *remedies,
        )
    if task_s is not None and short:
        reasons.append(f"median task takes {_seconds(task_s)}: starting workers costs more than it saves")
    stay = f"{workload}: stay sequential — the best alternative, {chosen.name} ×{chosen.workers}, "
    stay += f"measured {spread}, no clear gain. "
    if short:
        text = (
            "The tasks are so short that the overhead of any strategy dominates; "
            "batch them into larger tasks."
        )
        return answer("sequential", 1, 1.0, None, reasons, stay + text, Remedy.BIGGER_TASKS)
    if interval[1] > REAL_GAIN:
        text = f"Its interval still reaches {interval[1]:.2f}×: ask for a tighter precision to settle it."
        return answer("sequential", 1, 1.0, None, reasons, stay + text, Remedy.TIGHTER_PRECISION)
    return answer("sequential", 1, 1.0, None, reasons, stay + _why_not(kind, chosen))


def _already_parallel(
    group: Group, precision: GroupPrecision | None, cpu_count: int | None, answer: _Answer
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
    pools = native_words(native)
    who = pool.name if pool is not None else "its native threads"
    variable = pool.variable if pool is not None else "OMP_NUM_THREADS"
    opening = f"{group.label}: already parallel inside: one call keeps {busy:.2f} cores busy"
    opening += f" ({pools})." if pools else "."
    reasons = [f"{inside.name} ×1: one call keeps {busy:.2f} cores busy while it runs"]

    def fits(m: Measured) -> bool:
        inner = inner_threads(m.measurement)
        return inner >= 1 and (cpu_count is None or m.workers * inner <= cpu_count)

    outer = [m for m in group.members if m.strategy != "sequential" and m.workers >= 2]
    for m in outer:
        if not fits(m) and m.speedup is not None:
            reasons.append(
                f"{m.name} ×{m.workers}: {m.speedup:.2f}×, left out: its workers run on top of native "
                f"pools that already use the cores"
            )
    # The alternatives: N workers × k native threads within the cores, and one worker with fewer
    # native threads than it would take (inner_threads=k: where its threads wait on each other).
    alternatives = [
        m
        for m in group.members
        if (m.workers >= 2 or m.strategy == "sequential")
        and fits(m)
        and m.speedup is not None
        and m.interval is not None
        and group.member(m.baseline) not in (None, m)
    ]
    splits = [m for m in alternatives if m.workers >= 2]
    stay = f" Stay with one worker and let {who} use the cores"

    def pick(among: list[Measured]) -> Measured:
        """The best; within 5% of it, the fewest workers, then the fewest native threads."""
        best = max(among, key=lambda m: m.speedup or 0.0)
        return min(
            (m for m in among if (m.speedup or 0.0) >= _NEAR_BEST * (best.speedup or 0.0)),
            key=lambda m: (m.workers, m.workers * inner_threads(m.measurement)),
        )

    chosen = pick(alternatives) if alternatives else None
    if chosen is None or (chosen.interval or (0.0, 0.0))[0] <= _CLEAR_WIN:
        if not splits:
            text = (
                f"{opening}{stay}: more workers on top would only compete for them. To weigh N workers "
                f"with 1 native thread each, measure them with inner_threads=1."
            )
            found = answer("sequential", 1, 1.0, None, reasons, text, Remedy.ADD_INNER_SPLIT)
            return dataclasses.replace(found, inner_threads=0)
        chosen = pick(splits)  # no clear win: the outer split is the alternative worth naming
    speedup = chosen.speedup or 0.0
    interval = chosen.interval or (0.0, 0.0)
    inner = inner_threads(chosen.measurement)
    spread = f"{speedup:.2f}× (95% CI {interval[0]:.2f}–{interval[1]:.2f}×)"
    alone = chosen.strategy == "sequential"
    split = (
        f"one worker with {variable}={inner}"
        if alone
        else f"{chosen.workers} {chosen.strategy} with {variable}={inner}"
    )
    reasons.append(
        f"{chosen.name} ×{chosen.workers}, {inner} native thread{'s' if inner != 1 else ''} each: "
        f"{spread} one worker with all its native threads"
    )
    if interval[0] > _CLEAR_WIN:
        why = (
            "Yet its native threads cost more than they give here"
            if alone
            else "Yet many calls split better than one"
        )
        text = f"{opening} {why}: run {split} — {spread} one worker with all its native threads."
        found = answer(chosen.strategy, chosen.workers, speedup, interval, reasons, text)
        return dataclasses.replace(found, inner_threads=inner)
    unsettled = precision is not None and precision.ended == "time" and interval[1] > REAL_GAIN
    text = f"{opening}{stay}, or run {split} for {spread} — "
    if unsettled:
        assert precision is not None
        text += f"no clear gain, though its interval still reaches {interval[1]:.2f}×. "
        text += _more_time_text(precision)
        found = answer("sequential", 1, 1.0, None, reasons, text, Remedy.MORE_TIME)
    else:
        found = answer("sequential", 1, 1.0, None, reasons, text + "no gain here.")
    return dataclasses.replace(found, inner_threads=0)


def _more_time_text(precision: GroupPrecision) -> str:
    """What more rounds would give, in plain words (the front end words the option)."""
    reached = "" if precision.reached is None else f"reached ±{precision.reached:.0%} "
    text = f"The rounds {reached}in {precision.elapsed_s:.0f} s ({precision.rounds} rounds)"
    if precision.more_time_s is not None:
        text += f"; about {precision.more_time_s:.0f} s of rounds would reach ±{precision.precision:.0%}"
    return text + ": give it more time, on a quieter machine if you can."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _no_gil(chosen: Measured) -> bool:
    """Whether the point ran on a free-threaded build with its GIL off, on threads of one process."""
    interpreter = chosen.measurement.interpreter
    free = interpreter is not None and interpreter.free_threaded and not interpreter.gil_enabled
    return free and own_gil(chosen.measurement) is False


def _gil_back_on(chosen: Measured) -> str:
    """`` On Python 3.13.5t the GIL was on: -X gil=1.``, where a free-threaded build had it on; else empty."""
    interpreter = chosen.measurement.interpreter
    if interpreter is None or not interpreter.free_threaded or not interpreter.gil_enabled:
        return ""
    cause = interpreter.gil_cause or "the cause was not recorded"
    return f" On Python {interpreter.version}t the GIL was on: {cause}."


def _why(kind: Kind, chosen: Measured) -> str:
    if kind is Kind.IO:
        return "The tasks mostly wait, and waiting overlaps: more workers wait at once."
    if kind in (Kind.CPU_RELEASES_GIL, Kind.CPU_HOLDS_GIL) and _no_gil(chosen):
        return "The work runs in parallel: this build has no GIL, so threads compute at once."
    if kind is Kind.CPU_RELEASES_GIL:
        return "The work runs in C code that releases the GIL, so threads compute in parallel."
    if kind is Kind.CPU_HOLDS_GIL and own_gil(chosen.measurement):
        return (
            f"The work holds the GIL, so it runs in parallel only where each worker has a GIL of its "
            f"own, as on {chosen.strategy}." + _gil_back_on(chosen)
        )
    if kind is Kind.MIXED:
        return "The tasks both wait and compute; the waiting overlaps."
    return ""


def _why_not(kind: Kind, chosen: Measured) -> str:
    if kind is Kind.CPU_HOLDS_GIL:
        return (
            "The work holds the GIL, so threads take turns; if processes did not help either, "
            "their start-up and data transfer cost as much as they save." + _gil_back_on(chosen)
        )
    return "The interval rules out a gain worth having." + _gil_back_on(chosen)
