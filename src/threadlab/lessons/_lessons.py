"""The classic lessons of Python threads, measured here: sleeps, the CPU loop, a lock, hashing.

Each lesson is a ``Spec`` (a part of the tour's composite spec, so that the
results file says what produced its points); each finding is written from
the numbers measured, never from what the lesson expects: where this machine
or this interpreter disagrees with the folklore (a free-threaded build, say),
the finding says what was seen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadlab._units import percent, ratio, seconds
from threadlab.analysis import point_waits, without_gil
from threadlab.lessons._finding import Finding, Found, Summaries, cited, first, gained, speedup_words
from threadlab.model import Measurement, Point, Result, Spec, Summary, WaitLine

MANY_THREADS = 1000
# "A lock, not the GIL": threads queueing on one lock. At 2 threads the lock and the sleep
# it guards tie (lock 45%, sleep 53% measured on 3.11, a loaded 2-core machine); at 4 the
# lock holds about half the threads' time and is named as the dominant wait.
LOCK_THREADS = 4
# Samples of the sleep and lock lessons, in the quick tour and the full one: sleeps barely vary.
REPEAT = 3


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big the lessons' tasks are, and how long the tour measures.

    Attributes:
        duration: seconds each sleep task waits.
        iterations: steps of the CPU loop.
        mb: megabytes hashed per task.
        hold: seconds each task of the lock lesson holds its lock.
        cpu_repeat: samples of the CPU lessons, noisier on a shared machine.
        max_time_s: seconds of rounds, shared out among the lessons' groups; what the
            groups that settle early leave goes to those still short of their precision.
    """

    duration: float
    iterations: int
    mb: float
    hold: float
    cpu_repeat: int
    max_time_s: float


def sizes(quick: bool) -> Sizes:
    """The full tour's sizes, or the quick tour's."""
    # Full tour: about a minute on a 2-core machine; quick: about 15 s. The sleep lessons
    # reach their precision in their first rounds; the CPU lessons take what time is left,
    # and what the settled lessons leave (orchestrate share_out).
    # The lock lesson's sample is LOCK_THREADS holds in a row (40 ms quick, 80 ms full).
    if quick:
        return Sizes(duration=0.2, iterations=2 * 10**6, mb=16.0, hold=0.01, cpu_repeat=6, max_time_s=10.0)
    # The full tour's CPU loop: 3,000,000 steps, so that its rounds fit the tour's time. At
    # 10,000,000 a round of its 3 points took 1.85 s (3 rounds 5.55 s in a full tour here),
    # and each point 5.3-5.8 s for its warm-up and 6 samples (a full tour, load 2.3); 3/10 of
    # that buys the rounds its interval needs. At 3,000,000, six runs of the same comparison
    # all read processes 1.68-1.71x, +-3% (issue 21, a quiet machine). Nine rounds at least:
    # from nine on, one wild round (a busy machine's) no longer moves the 95% interval, which
    # at six is the whole range of the ratios (the CPU lesson read +-42.6% after 6 rounds in
    # a full tour at load 3-4.5); three more rounds of the CPU loop, hash and matmul cost
    # about 3.5 s there (6 rounds took 3.8 s, 1.5 s and 1.7 s).
    # Sleeps of 0.25 s: their lessons hold at any length (1000 threads each sleeping 0.25 s end
    # in about the time of one; two in sequence take twice one), and their fewest rounds come
    # before the CPU lesson's, whose part is of what they leave: at 1 s, a round of the 4 sleep
    # points took 5.2 s and their 3 rounds 15.5 s of the full tour's 40, where the CPU lesson
    # got 2.9 s and ended at ±17.9% (issue 21); at 0.5 s, their 3 rounds took 8.0 s.
    # 46 s of rounds: the fewest rounds of its 7 groups took about 32-37 s and the whole tour
    # 52 s at 40 s and at 45 s of rounds (full tours here, load 1-2.5). With the CPU lesson's
    # parts (CPU_LESSON_PARTS), 0.5 s sleeps and workers started one by one, tours of 48 s of
    # rounds took 58.0-60.0 s end to end; with 0.25 s sleeps and workers started two at a time,
    # 53.2-56.2 s, and of 46 s 51.5-53.3 s (benchmarks/bench_tour.py, three runs each, load
    # 1.1-1.8): the groups after it take their fewest rounds whatever is left, and the report's
    # 40 plots take 6-7 s. What is left after the groups' first passes goes to those still short
    # of ±10%, the nearest first (share_out).
    return Sizes(duration=0.25, iterations=3 * 10**6, mb=64.0, hold=0.02, cpu_repeat=9, max_time_s=46.0)


# The seed's CPU lesson (the count loop on threads and processes against sequential) takes this
# many parts of the tour's time, every other lesson one (orchestrate share_out). Its interval
# counts blocks of 2 s (analysis.block_interval), and from its first rounds to ±10% it needs
# about 20 s of them on this shared 2-core machine: the same 3 points alone, 15 s of rounds, read
# ±3-13% (six runs, load 1.3); in full tours at one part each its first pass had 5.5 s and
# ended at ±31% and ±58%. The others need little of theirs: the sleeps, the lock and sha256
# settle in their fewest rounds, and the NumPy, "which Python" and cluster lessons took their
# fewest rounds or little more in every full tour. Seven parts give it 7/12 of what is left
# after the sleeps (about 24 s of the 46).
CPU_LESSON_PARTS = 7.0


def lesson_parts(quick: bool) -> Callable[[Sequence[Point]], float]:
    """How many parts of the tour's time a group of its points takes (``CPU_LESSON_PARTS`` for the
    seed's CPU lesson, the count loop at ``sizes(quick).iterations``; one for every other)."""
    iterations = sizes(quick).iterations

    def parts(group: Sequence[Point]) -> float:
        first = group[0]
        cpu_lesson = first.workload == "count" and first.params.get("iterations") == iterations
        return CPU_LESSON_PARTS if cpu_lesson else 1.0

    return parts


def classic_specs(quick: bool, python: str, timeout_s: float) -> tuple[Spec, ...]:
    """The classic lessons, in the order they are told, each a spec of its own under ``python``."""
    size = sizes(quick)

    def lesson(
        workload: str,
        strategies: tuple[str, ...],
        workers: tuple[int, ...],
        params: dict[str, float | int],
        repeat: int,
        warmup: int = 1,
    ) -> Spec:
        return Spec(
            workloads=(workload,),
            strategies=strategies,
            workers=workers,
            repeat=repeat,
            warmup=warmup,
            params=params,
            timeout_s=timeout_s,
            python=python,
        )

    sleep = {"duration": size.duration}
    # No warm-up for the sleeps: their warm-ups took what their samples did (1.000 s against
    # 1.000-1.003 s for one 1 s sleep; 1.78 s against 1.59-2.19 s for 1000 threads, in a full
    # tour here), and cost the full tour 5.8 s that its CPU lesson's rounds need.
    return (
        lesson("sleep", ("sequential",), (1, 2), sleep, REPEAT, warmup=0),
        lesson("sleep", ("threads",), (2, MANY_THREADS), sleep, REPEAT, warmup=0),
        lesson(
            "count",
            ("sequential", "threads", "processes"),
            (2,),
            {"iterations": size.iterations},
            size.cpu_repeat,
        ),
        lesson("locked", ("sequential", "threads"), (LOCK_THREADS,), {"hold": size.hold}, REPEAT),
        lesson("hash", ("sequential", "threads"), (2,), {"mb": size.mb}, size.cpu_repeat),
    )


def _find(summaries: Summaries, workload: str, strategy: str, tasks: int) -> Found | None:
    return first(summaries, lambda p: (p.workload, p.strategy, p.tasks) == (workload, strategy, tasks))


def _spread(summary: Summary) -> str:
    return f"{seconds(summary.wall_min_s)}–{seconds(summary.wall_max_s)}"


def _gil_words(measurement: Measurement) -> str:
    interpreter = measurement.interpreter
    if interpreter is not None and without_gil(measurement):
        return f"this Python ({interpreter.label()}) is a free-threaded build running without the GIL"
    return "only one thread at a time may run Python bytecode under the GIL"


def _where(line: WaitLine | None) -> str:
    """`` at locked.py:24 (locked_task)``, or empty where no line was found."""
    return "" if line is None else f" at {os.path.basename(line.file)}:{line.line} ({line.function})"


def _gil_wait_words(measurement: Measurement) -> str:
    """The GIL wait measured on the CPU loop's threads, with the line they waited at."""
    waits = point_waits(measurement.samples)
    if waits is None:  # not measured (``--no-waits``)
        return ""
    if waits.observations == 0:
        return f" (where the threads waited was not measured: {'; '.join(waits.notes) or 'no reads'})"
    return (
        f"; measured: the threads waited for the GIL {percent(waits.share('gil'))} of their time"
        f"{_where(waits.top_line('gil'))}, and ran {percent(waits.share('cpu'))} of it"
    )


def _sleep_findings(summaries: Summaries) -> list[Finding]:
    found: list[Finding] = []
    one = _find(summaries, "sleep", "sequential", 1)
    two_seq = _find(summaries, "sleep", "sequential", 2)
    two_threads = _find(summaries, "sleep", "threads", 2)
    many = _find(summaries, "sleep", "threads", MANY_THREADS)
    if one:
        duration = float(one[0].point.params["duration"])
        found.append(
            Finding(
                f"One {duration:g} s sleep",
                f"took {seconds(one[1].wall_median_s)} (median of {len(one[0].samples)}, "
                f"{_spread(one[1])}): the cost of one task, and the floor for every sleep below.",
                cited(one),
            )
        )
    if two_seq:
        found.append(
            Finding(
                "Two sleeps in sequence",
                f"took {seconds(two_seq[1].wall_median_s)}: one after the other, their times add up.",
                cited(one, two_seq),
            )
        )
    if two_threads and two_seq:
        found.append(
            Finding(
                "Two sleeps on two threads",
                f"took {seconds(two_threads[1].wall_median_s)}, {speedup_words(two_threads[1])} the "
                f"throughput of the two in sequence: a sleeping thread releases the GIL, so the other runs "
                f"meanwhile. Threads help with waiting (I/O).",
                cited(two_seq, two_threads),
            )
        )
    if many:
        measurement, summary = many
        duration = float(measurement.point.params["duration"])
        over = summary.wall_median_s - duration
        spawn = summary.spawn_median_s
        spawn_text = (
            f"; starting the threads took {seconds(spawn)} ({seconds(spawn / MANY_THREADS)} a thread)"
            if spawn is not None
            else ""
        )
        found.append(
            Finding(
                f"{MANY_THREADS} threads each sleeping {duration:g} s",
                f"took {seconds(summary.wall_median_s)} (median, {_spread(summary)}), "
                f"{seconds(over)} over the {duration:g} s ideal{spawn_text}. "
                f"{MANY_THREADS * duration:g} s of waiting took about {seconds(summary.wall_median_s)}.",
                cited(one, many),
            )
        )
    return found


def _cpu_finding(result: Result, summaries: Summaries) -> Finding | None:
    cpu_seq = _find(summaries, "count", "sequential", 2)
    cpu_threads = _find(summaries, "count", "threads", 2)
    cpu_procs = _find(summaries, "count", "processes", 2)
    if not (cpu_seq and cpu_threads and cpu_procs):
        return None
    t, p = cpu_threads[1], cpu_procs[1]
    verdict = {
        False: f"no faster than sequential: {_gil_words(cpu_threads[0])}",
        True: f"faster: {_gil_words(cpu_threads[0])}, yet the threads gained",
        None: "the interval is too wide to tell whether threads gained here",
    }[gained(t)]
    iterations = int(cpu_threads[0].point.params["iterations"])
    cores = result.environment.cpu_count or "unknown"
    processes_verdict = {
        True: "each process has its own interpreter and GIL, so the loops run on separate cores. "
        "For pure-Python CPU work, use processes (or subinterpreters, or a free-threaded build).",
        False: f"no gain either, though each process has its own GIL: with {cores} CPUs here, "
        f"other programs (or the host) may hold the cores — see the machine line above — or "
        f"the loop is too short for process start-up to pay off.",
        None: "the interval is too wide to tell; the machine's speed moved too much during the rounds.",
    }[gained(p)]
    return Finding(
        f"The CPU loop ({iterations:,} steps) on 2 workers",
        f"threads: {speedup_words(t)} sequential (CPU/wall {ratio(t.cpu_per_wall, '')}), "
        f"{verdict}{_gil_wait_words(cpu_threads[0])}. Processes: {speedup_words(p)} sequential "
        f"(CPU/wall {ratio(p.cpu_per_wall, '')}): {processes_verdict}",
        cited(cpu_seq, cpu_threads, cpu_procs),
    )


def _lock_finding(summaries: Summaries) -> Finding | None:
    """ "A lock, not the GIL": threads that sleep holding one lock run one at a time."""
    seq = _find(summaries, "locked", "sequential", LOCK_THREADS)
    threads = _find(summaries, "locked", "threads", LOCK_THREADS)
    if not (seq and threads):
        return None
    hold = float(threads[0].point.params["hold"])
    waits = point_waits(threads[0].samples)
    measured = ""
    if waits is not None and waits.observations:
        measured = (
            f" Measured: the threads waited on the lock {percent(waits.share('lock'))} of their time"
            f"{_where(waits.top_line('lock'))}, and for the GIL {percent(waits.share('gil'))}."
        )
    elif waits is not None:
        measured = f" Where the threads waited was not measured: {'; '.join(waits.notes) or 'no reads'}."
    return Finding(
        f"A lock, not the GIL: {LOCK_THREADS} threads each sleeping {seconds(hold)} holding one lock",
        f"{speedup_words(threads[1])} sequential: sleeping releases the GIL, yet the sleeps do not overlap, "
        f"because each thread waits for the lock another holds.{measured} Hold a lock for less time "
        f"or split it; processes would each have a lock of their own, which helps only where it "
        f"guards nothing shared.",
        cited(seq, threads),
    )


def _hash_finding(summaries: Summaries) -> Finding | None:
    hash_seq = _find(summaries, "hash", "sequential", 2)
    hash_threads = _find(summaries, "hash", "threads", 2)
    if not (hash_seq and hash_threads):
        return None
    h = hash_threads[1]
    mb = float(hash_threads[0].point.params["mb"])
    return Finding(
        f"sha256 of {mb:g} MB on 2 threads",
        f"{speedup_words(h)} sequential (CPU/wall {ratio(h.cpu_per_wall, '')}): "
        + {
            True: "hashlib releases the GIL while it hashes, so threads do run it in parallel. "
            "Threads are enough for work done in C that releases the GIL.",
            False: "little gain here; hashlib releases the GIL, so the limit is elsewhere "
            "(memory bandwidth, or the host or another program holding a core: see the "
            "machine line above).",
            None: "the interval is too wide to tell; the machine's speed moved too much during the rounds.",
        }[gained(h)],
        cited(hash_seq, hash_threads),
    )


def classic_findings(result: Result, summaries: Summaries) -> list[Finding]:
    """The classic lessons' findings, each citing what was measured in ``result`` (its ``summaries``)."""
    told = (_cpu_finding(result, summaries), _lock_finding(summaries), _hash_finding(summaries))
    return _sleep_findings(summaries) + [finding for finding in told if finding is not None]
