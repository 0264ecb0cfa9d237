"""The analysis's verdicts in plain words: a recommendation, its reasons, a classification's evidence.

For the terminal and the report alike; each command adds its own options
(``render/_analysis.py``, ``OPTIONS``).
"""

from __future__ import annotations

from threadlab._units import count, duration, milliseconds, percent, ratio, speedup
from threadlab.analysis import GroupPrecision, Kind, Recommendation, USLFit
from threadlab.analysis._pools import DaskSplit, SplitAdvice, SplitComparison, TaskOverhead
from threadlab.analysis._recommend import Choice, Verdict
from threadlab.analysis._verdict import Fact, FactCode, Speedup
from threadlab.model import NativePool, WaitLine
from threadlab.render._doubts import stability_advice
from threadlab.render._waits import line_words

# Facts whose words cite no figure.
_FIXED = {
    FactCode.NO_SEQUENTIAL: "no sequential point with CPU time measured; measure sequential too to settle it",
    FactCode.NO_THREADS: (
        "no thread point with 2+ workers, so whether it holds the GIL is not known: measure threads "
        "with 2 workers too"
    ),
    FactCode.ONE_CPU: "this machine has one CPU, so no strategy can run CPU work in parallel",
    FactCode.NO_OWN_GIL: "nothing with a GIL per worker was measured; measure processes too to confirm",
    FactCode.NO_WORKERS: "no strategy was measured with 2 or more workers",
    FactCode.NO_BASELINE: "no sequential baseline was measured",
}


def spread(measured: Speedup) -> str:
    """``1.98× (95% CI 1.90–2.05×)``: a speedup and its interval, as a sentence cites them."""
    return speedup(measured.value, (measured.low, measured.high), named=True)


def native_words(pool: NativePool | None) -> str:
    """``OpenBLAS, 2 threads``: the busiest native pool a worker had; empty where none is known."""
    if pool is None:
        return ""
    return f"{pool.name}, {count(pool.threads, 'thread')}"


def _figure(fact: Fact) -> float:
    assert fact.value is not None, f"{fact.code} cites a figure"
    return fact.value


def _measured(fact: Fact) -> str:
    assert fact.speedup is not None, f"{fact.code} cites a speedup"
    rounds = fact.speedup.rounds
    paired = (
        f", the median of {rounds} per-round ratios" if rounds else ", the ratio of the median throughputs"
    )
    return f"{fact.point} ×{fact.workers}: {fact.speedup.value:.2f}× sequential{paired}"


def _at(line: WaitLine | None) -> str:
    """`` at waits_tasks.py:35 (locked_sleep)``, or empty where no line was found."""
    return "" if line is None else f" at {line_words(line)}"


def fact_text(fact: Fact) -> str:
    """One fact behind a classification or a recommendation, in plain words citing its numbers."""
    code = fact.code
    if code in _FIXED:
        return _FIXED[code]
    if code is FactCode.SEQUENTIAL_CPU:
        cpu = _figure(fact)
        return f"sequential CPU/wall {cpu:.2f}: the tasks compute {min(cpu, 1.0):.0%} of the time"
    if code is FactCode.THREADS:
        busy = ratio(fact.other, "")
        return f"{fact.point} ×{fact.workers}: {_figure(fact):.2f}× sequential (CPU/wall {busy})"
    if code is FactCode.OWN_GIL:
        return f"{fact.point} ×{fact.workers}: {_figure(fact):.2f}× sequential"
    if code is FactCode.BUSY_INSIDE:
        pools = native_words(fact.pool)
        return (
            f"{fact.point}: one call keeps {_figure(fact):.2f} cores busy while it runs (CPU/wall "
            f"{ratio(fact.other, '')}), so it runs on native threads of its own"
            + (f" ({pools})" if pools else "")
        )
    if code is FactCode.GAIN_WITHOUT_PARALLEL:
        return (
            f"yet the threads kept only {_figure(fact):.2f} cores busy: a gain without parallel work "
            f"means the sequential run was slowed by something else; rerun on a quiet machine"
        )
    if code is FactCode.PARALLEL_WITHOUT_GAIN:
        return (
            f"yet the threads kept {_figure(fact):.2f} cores busy: they did run in parallel, so other "
            f"programs may have held the cores; rerun on a quiet machine"
        )
    if code is FactCode.CAPACITY_LOW:
        return (
            f"but the machine gave only {_figure(fact):.2f} of its {fact.workers} cores in parallel during "
            f"the run, so no strategy could have run this work in parallel: whether it holds the GIL "
            f"cannot be told here; measure again when the machine is quieter"
        )
    if code is FactCode.CPU_PER_TASK:
        alone, many = fact.other or 0.0, _figure(fact)
        grown = f"{many / alone:.2f}× as much" if alone > 0 else "more"
        return (
            f"no GIL here, so no GIL waits: CPU per task {duration(alone)} on one worker, "
            f"{duration(many)} on {fact.point} ×{fact.workers} ({grown})"
        )
    if code is FactCode.WAITS_LOCK:
        return (
            f"serialised on a lock{_at(fact.line)}: {fact.point} ×{fact.workers} spent "
            f"{percent(_figure(fact))} of their time waiting on it"
        )
    if code is FactCode.WAITS_GIL:
        return (
            f"waits for the GIL{_at(fact.line)}: {fact.point} ×{fact.workers} spent "
            f"{percent(_figure(fact))} of their time waiting for it"
        )
    return _reason_text(fact)


def _reason_text(fact: Fact) -> str:
    """The facts a recommendation cites (``fact_text`` words those of a classification)."""
    code = fact.code
    if code is FactCode.MEASURED:
        return _measured(fact)
    if code is FactCode.CLASSIFIED:
        assert fact.kind is not None, "CLASSIFIED cites a kind"
        return f"work classified as {fact.kind.words}"
    if code is FactCode.NO_GIL:
        return "work classified as cpu-bound, in parallel on threads: this build has no GIL"
    if code is FactCode.GIL_ON:
        return f"on Python {fact.python}t the GIL was on: {fact.cause or 'the cause was not recorded'}"
    if code is FactCode.FEWER_WORKERS:
        return (
            f"{fact.workers} workers gave {_figure(fact):.2f}× of that: "
            f"within {fact.other or 0.0:.0%}, so the fewer workers win"
        )
    if code is FactCode.SHORT_TASKS:
        return f"median task takes {duration(_figure(fact))}: starting workers costs more than it saves"
    if code is FactCode.ONE_CALL_BUSY:
        return f"{fact.point} ×1: one call keeps {_figure(fact):.2f} cores busy while it runs"
    if code is FactCode.LEFT_OUT:
        return (
            f"{fact.point} ×{fact.workers}: {_figure(fact):.2f}×, left out: its workers run on top of native "
            f"pools that already use the cores"
        )
    if code is FactCode.LOCK_HELD:
        return (
            f"but on {fact.point} each worker has its own copy of the lock: that helps only where the "
            f"lock guards nothing the workers share"
        )
    assert code is FactCode.SPLIT and fact.speedup is not None, f"{code} is worded"
    threads = count(fact.inner, "native thread")
    cited = spread(fact.speedup)
    return f"{fact.point} ×{fact.workers}, {threads} each: {cited} one worker with all its native threads"


def more_time_text(precision: GroupPrecision) -> str:
    """What more rounds would give, in plain words (each command adds its option)."""
    reached = "" if precision.reached is None else f"reached ±{precision.reached:.0%} "
    text = f"The rounds {reached}in {precision.elapsed_s:.0f} s ({precision.rounds} rounds)"
    if precision.more_time_s is not None:
        text += f"; about {precision.more_time_s:.0f} s of rounds would reach ±{precision.precision:.0%}"
    return text + ": give it more time, on a quieter machine if you can."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _gil_back_on(chosen: Choice) -> str:
    """`` On Python 3.13.5t the GIL was on: -X gil=1.``, where a free-threaded build had it on; else empty."""
    return "" if chosen.gil_on is None else " " + _sentence(fact_text(chosen.gil_on))


def _why(kind: Kind, chosen: Choice) -> str:
    if kind is Kind.IO:
        return "The tasks mostly wait, and waiting overlaps: more workers wait at once."
    if kind in (Kind.CPU_RELEASES_GIL, Kind.CPU_HOLDS_GIL) and chosen.no_gil:
        return "The work runs in parallel: this build has no GIL, so threads compute at once."
    if kind is Kind.CPU_RELEASES_GIL:
        return "The work runs in C code that releases the GIL, so threads compute in parallel."
    if kind is Kind.CPU_HOLDS_GIL and chosen.own_gil:
        return (
            f"The work holds the GIL, so it runs in parallel only where each worker has a GIL of its "
            f"own, as on {chosen.strategy}." + _gil_back_on(chosen)
        )
    if kind is Kind.MIXED:
        return "The tasks both wait and compute; the waiting overlaps."
    if kind is Kind.LOCK and chosen.own_gil:
        return (
            f"The threads queue on one lock; on {chosen.strategy} each worker has its own copy of it, "
            f"which is right only where the lock guards nothing shared. Else hold the lock for less "
            f"time or split it."
        )
    if kind is Kind.LOCK:
        return "The threads queue on one lock: hold it for less time or split it to gain more."
    return ""


def _why_not(kind: Kind, chosen: Choice) -> str:
    if kind is Kind.CPU_HOLDS_GIL:
        return (
            "The work holds the GIL, so threads take turns; if processes did not help either, "
            "their start-up and data transfer cost as much as they save." + _gil_back_on(chosen)
        )
    if kind is Kind.LOCK:
        return (
            "The threads queue on one lock, so they run one at a time: hold the lock for less time "
            "or split it."
        )
    return "The interval rules out a gain worth having." + _gil_back_on(chosen)


def advice_text(recommendation: Recommendation) -> str:
    """A recommendation as a short paragraph citing its numbers: ``count: use threads with 4 workers — …``."""
    r = recommendation
    verdict, chosen, workload = r.verdict, r.chosen, r.workload
    if r.inside is not None:
        return _inside_text(r)
    if verdict is Verdict.NO_WORKERS:
        return (
            f"{workload}: nothing ran with 2 or more workers; measure other strategies with 2 or more "
            f"workers to compare."
        )
    assert chosen is not None, f"{verdict} names a point"
    if verdict is Verdict.NO_BASELINE:
        return (
            f"{workload}: {chosen.name} with {chosen.workers} workers had the best throughput "
            f"({chosen.throughput:.3g} tasks/s), but without a sequential point the speedup is unknown; "
            f"measure sequential too."
        )
    assert chosen.speedup is not None, f"{verdict} cites a speedup"
    cited = spread(chosen.speedup)
    kind = r.classification.kind
    if verdict is Verdict.USE:
        return (
            f"{workload}: use {chosen.name} with {chosen.workers} workers — {cited} the sequential "
            f"throughput. {_why(kind, chosen)}"
        ).rstrip()
    if verdict is Verdict.TOO_NOISY:
        more = (
            more_time_text(r.precision)
            if r.precision is not None
            else _sentence(stability_advice(r.warning))
            if r.warning is not None
            else ""
        )
        return (
            f"{workload}: too noisy to tell — the best, {chosen.name} ×{chosen.workers}, measured "
            f"{cited}, and the interval spans both no gain and a real one. {more}"
        ).rstrip()
    stay = f"{workload}: stay sequential — the best alternative, {chosen.name} ×{chosen.workers}, "
    stay += f"measured {cited}, no clear gain. "
    if verdict is Verdict.STAY_SHORT_TASKS:
        return stay + (
            "The tasks are so short that the overhead of any strategy dominates; "
            "batch them into larger tasks."
        )
    if verdict is Verdict.STAY_UNSETTLED:
        return (
            stay
            + f"Its interval still reaches {chosen.speedup.high:.2f}×: "
            + "ask for a tighter precision to settle it."
        )
    return stay + _why_not(kind, chosen)


def _inside_text(r: Recommendation) -> str:
    """Work already parallel inside: one worker with its native pools, or N workers × k threads."""
    assert r.inside is not None
    pool = r.inside.pool
    pools = native_words(pool)
    opening = f"{r.workload}: already parallel inside: one call keeps {_figure(r.inside):.2f} cores busy"
    opening += f" ({pools})." if pools else "."
    who = pool.name if pool is not None else "its native threads"
    stay = f" Stay with one worker and let {who} use the cores"
    if r.verdict is Verdict.NO_SPLIT or r.chosen is None or r.chosen.speedup is None:
        return (
            f"{opening}{stay}: more workers on top would only compete for them. To weigh N workers "
            f"with 1 native thread each, measure them with inner_threads=1."
        )
    chosen, measured = r.chosen, r.chosen.speedup
    variable = pool.variable if pool is not None else "OMP_NUM_THREADS"
    alone = chosen.strategy == "sequential"
    workers = "one worker" if alone else f"{chosen.workers} {chosen.strategy}"
    split = f"{workers} with {variable}={chosen.inner}"
    cited = spread(measured)
    if r.verdict is Verdict.USE:
        why = (
            "Yet its native threads cost more than they give here"
            if alone
            else "Yet many calls split better than one"
        )
        return f"{opening} {why}: run {split} — {cited} one worker with all its native threads."
    text = f"{opening}{stay}, or run {split} for {cited} — "
    if r.verdict is Verdict.STAY_UNSETTLED and r.precision is not None:
        text += f"no clear gain, though its interval still reaches {measured.high:.2f}×. "
        return text + more_time_text(r.precision)
    return text + "no gain here."


def _split_words(split: DaskSplit) -> str:
    """``2 processes × 1 thread``."""
    return f"{count(split.processes, 'process', 'processes')} × {count(split.threads, 'thread')}"


def _split_advice(split: SplitComparison) -> str:
    advice, kind = split.advice, split.kind
    if advice in (SplitAdvice.ONE_THREAD_EACH, SplitAdvice.MEASURE_AGAIN):
        basis = (
            "the work holds the GIL"
            if kind is Kind.CPU_HOLDS_GIL
            else "the threads of one worker took turns, as work that holds the GIL does"
        )
        if advice is SplitAdvice.MEASURE_AGAIN:
            return f"{basis}, yet threads won here: measure again before choosing"
        return f"{basis}: use processes with one thread each"
    if advice is SplitAdvice.FEWER_PROCESSES:
        basis = "the tasks wait" if kind is Kind.IO else "the work releases the GIL"
        return (
            f"{basis}: threads of one worker overlap as well as processes do, and fewer "
            "processes with more threads each save memory and start-up"
        )
    if advice is SplitAdvice.MEASURE_SEQUENTIAL:
        return (
            "neither split ran faster here; measure sequential too, so that the kind of work says "
            "why (work that holds the GIL needs processes with one thread each)"
        )
    return f"the work is {kind.words}: measure it on both splits"


def split_text(split: SplitComparison) -> str:
    """Which of two Dask splits won, by how much, and what to do: ``2 processes × 1 thread ran …``."""
    win, lose = _split_words(split.winner), _split_words(split.other)
    low, high = split.interval
    head = (
        f"{win} ran {split.ratio:.2f}× the throughput of {lose} (95% interval {low:.2f}–{high:.2f})"
        if split.decided
        else f"{win} and {lose} are on par: {split.ratio:.2f}× (95% interval {low:.2f}–{high:.2f})"
    )
    return f"{head}; {_split_advice(split)}"


def overhead_text(cluster: TaskOverhead, pool: TaskOverhead) -> str:
    """Dask's per-task overhead against processes', for the same tasks, in one sentence."""
    difference = cluster.overhead_s - pool.overhead_s
    more = "more" if difference >= 0 else "less"
    return (
        f"{cluster.workload}: each task on {cluster.point} cost {milliseconds(cluster.overhead_s)} beyond "
        f"its own time, against {milliseconds(pool.overhead_s)} on {pool.point}: "
        f"{milliseconds(abs(difference))} {more} per task on the cluster (its scheduler's round trip); "
        "a cluster pays off where tasks take many times that"
    )


def scheduler_text(workload: str, strategy: str, python: str, fit: USLFit) -> str:
    """Where adding Dask workers stops paying, with USL's σ and κ named."""
    where = (
        f"adding workers stops paying past N* = {fit.peak_workers:.1f}"
        if fit.peak_workers is not None
        else "throughput levels off without a peak within the model"
        if fit.sigma > 0
        else "no limit showed over the worker counts measured"
    )
    return (
        f"{workload} [{python}] on {strategy}: σ {fit.sigma:.3f}, κ {fit.kappa:.2g}; {where}. "
        "Dask's scheduler cost is exactly USL's contention (σ: every task queues at the one "
        "scheduler) and coherency (κ: each worker more adds to every other's coordination)"
    )
