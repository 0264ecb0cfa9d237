"""``threadlab tour``: the classic lessons of Python threads, measured here.

Each lesson is a handful of points; each finding is written from the numbers
measured, never from what the lesson expects: where this machine or this
interpreter disagrees with the folklore (a free-threaded build, say), the
finding says what was seen.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from threadlab._model import Measurement, Point, Result, Spec, Summary
from threadlab.orchestrate._plan import plan
from threadlab.render._units import ratio, seconds

_MANY_THREADS = 1000


@dataclass(frozen=True, slots=True)
class Finding:
    """One lesson's conclusion, in plain words with the measured numbers."""

    title: str
    text: str


@dataclass(frozen=True, slots=True)
class _Sizes:
    duration: float  # seconds each sleep task waits
    iterations: int  # steps of the CPU loop
    mb: float  # megabytes hashed per task
    repeat: int  # samples of the sleep lessons: sleeps barely vary
    cpu_repeat: int  # samples of the CPU lessons, noisier on a shared machine
    warmup: int


def _sizes(quick: bool) -> _Sizes:
    # Full tour: about 40 s on a 2-core machine (measured), within the 60 s promised.
    if quick:
        return _Sizes(duration=0.2, iterations=2 * 10**6, mb=16.0, repeat=3, cpu_repeat=5, warmup=1)
    return _Sizes(duration=1.0, iterations=10**7, mb=64.0, repeat=3, cpu_repeat=5, warmup=1)


def tour_spec(quick: bool, python: str = "") -> Spec:
    """The spec recorded in the tour's results file (its points carry their own params).

    ``python``: the Python the classic lessons run under (default: this one).
    """
    sizes = _sizes(quick)
    return Spec(
        workloads=("sleep", "count", "hash"),
        strategies=("sequential", "threads", "processes"),
        workers=(1, 2, _MANY_THREADS),
        repeat=sizes.repeat,
        warmup=sizes.warmup,
        timeout_s=120.0,
        python=python or sys.executable,
    )


def tour_points(quick: bool, python: str = "") -> tuple[Point, ...]:
    """The lessons' points, in the order they are told, under ``python`` (default: this one)."""
    sizes = _sizes(quick)
    base = tour_spec(quick, python)

    def points(
        workload: str,
        strategies: tuple[str, ...],
        workers: tuple[int, ...],
        tasks: int | None,
        params: dict[str, float | int],
        repeat: int = sizes.repeat,
    ) -> tuple[Point, ...]:
        return plan(
            Spec(
                workloads=(workload,),
                strategies=strategies,
                workers=workers,
                tasks=tasks,
                repeat=repeat,
                warmup=base.warmup,
                params=params,
                python=base.python,
            )
        )

    sleep = {"duration": sizes.duration}
    return (
        *points("sleep", ("sequential",), (1, 2), None, sleep),
        *points("sleep", ("threads",), (2, _MANY_THREADS), None, sleep),
        *points(
            "count",
            ("sequential", "threads", "processes"),
            (2,),
            None,
            {"iterations": sizes.iterations},
            sizes.cpu_repeat,
        ),
        *points("hash", ("sequential", "threads"), (2,), None, {"mb": sizes.mb}, sizes.cpu_repeat),
    )


def _find(result: Result, workload: str, strategy: str, tasks: int) -> tuple[Measurement, Summary] | None:
    for measurement, summary in result.summaries():
        point = measurement.point
        if (point.workload, point.strategy, point.tasks) == (workload, strategy, tasks) and summary:
            return measurement, summary
    return None


def _spread(summary: Summary) -> str:
    return f"{seconds(summary.wall_min_s)}–{seconds(summary.wall_max_s)}"


def _gil_words(measurement: Measurement) -> str:
    interpreter = measurement.interpreter
    if interpreter is not None and interpreter.free_threaded and not interpreter.gil_enabled:
        return f"this Python ({interpreter.label()}) is a free-threaded build running without the GIL"
    return "only one thread at a time may run Python bytecode under the GIL"


def _waiting_words(summary: Summary) -> str:
    """How long the threads waited off-CPU (the waiting share), for the CPU lesson."""
    share = summary.waiting_share
    if share is None:
        return ""
    return (
        f"; each thread waited off-CPU for {share:.0%} of its task time (waiting share {share:.2f}), "
        f"and a loop that does no I/O waits only for the GIL, or for a core another program holds"
    )


def findings(result: Result) -> list[Finding]:
    """The tour's findings, each citing what was measured in ``result``."""
    found: list[Finding] = []
    one = _find(result, "sleep", "sequential", 1)
    two_seq = _find(result, "sleep", "sequential", 2)
    two_threads = _find(result, "sleep", "threads", 2)
    many = _find(result, "sleep", "threads", _MANY_THREADS)
    if one:
        duration = float(one[0].point.params["duration"])
        found.append(
            Finding(
                f"One {duration:g} s sleep",
                f"took {seconds(one[1].wall_median_s)} (median of {len(one[0].samples)}, "
                f"{_spread(one[1])}): the cost of one task, and the floor for every sleep below.",
            )
        )
    if two_seq:
        found.append(
            Finding(
                "Two sleeps in sequence",
                f"took {seconds(two_seq[1].wall_median_s)}: one after the other, their times add up.",
            )
        )
    if two_threads and two_seq:
        speedup = two_threads[1].speedup_vs_sequential
        found.append(
            Finding(
                "Two sleeps on two threads",
                f"took {seconds(two_threads[1].wall_median_s)}, {ratio(speedup)} the throughput of "
                f"the two in sequence: a sleeping thread releases the GIL, so the other runs meanwhile. "
                f"Threads help with waiting (I/O).",
            )
        )
    if many:
        measurement, summary = many
        duration = float(measurement.point.params["duration"])
        over = summary.wall_median_s - duration
        spawn = summary.spawn_median_s
        spawn_text = (
            f"; starting the threads took {seconds(spawn)} ({seconds(spawn / _MANY_THREADS)} a thread)"
            if spawn is not None
            else ""
        )
        found.append(
            Finding(
                f"{_MANY_THREADS} threads each sleeping {duration:g} s",
                f"took {seconds(summary.wall_median_s)} (median, {_spread(summary)}), "
                f"{seconds(over)} over the {duration:g} s ideal{spawn_text}. "
                f"{_MANY_THREADS * duration:g} s of waiting took about {seconds(summary.wall_median_s)}.",
            )
        )
    cpu_seq = _find(result, "count", "sequential", 2)
    cpu_threads = _find(result, "count", "threads", 2)
    cpu_procs = _find(result, "count", "processes", 2)
    if cpu_seq and cpu_threads and cpu_procs:
        t, p = cpu_threads[1], cpu_procs[1]
        t_speed = t.speedup_vs_sequential or 0.0
        verdict = (
            f"no faster than sequential: {_gil_words(cpu_threads[0])}"
            if t_speed < 1.2
            else f"{ratio(t_speed)} faster: {_gil_words(cpu_threads[0])}"
        )
        iterations = int(cpu_threads[0].point.params["iterations"])
        p_speed = p.speedup_vs_sequential or 0.0
        processes_verdict = (
            "each process has its own interpreter and GIL, so the loops run on separate cores. "
            "For pure-Python CPU work, use processes (or subinterpreters, or a free-threaded build)."
            if p_speed >= 1.2
            else f"no gain either, though each process has its own GIL: with "
            f"{result.environment.cpu_count or 'unknown'} CPUs here, other programs may hold the cores, "
            f"or the loop is too short for process start-up to pay off."
        )
        found.append(
            Finding(
                f"The CPU loop ({iterations:,} steps) on 2 workers",
                f"threads: {ratio(t_speed)} sequential (CPU/wall {ratio(t.cpu_per_wall, '')}), "
                f"{verdict}{_waiting_words(t)}. Processes: {ratio(p_speed)} sequential "
                f"(CPU/wall {ratio(p.cpu_per_wall, '')}): {processes_verdict}",
            )
        )
    hash_seq = _find(result, "hash", "sequential", 2)
    hash_threads = _find(result, "hash", "threads", 2)
    if hash_seq and hash_threads:
        h = hash_threads[1]
        h_speed = h.speedup_vs_sequential or 0.0
        mb = float(hash_threads[0].point.params["mb"])
        found.append(
            Finding(
                f"sha256 of {mb:g} MB on 2 threads",
                f"{ratio(h_speed)} sequential (CPU/wall {ratio(h.cpu_per_wall, '')}): "
                + (
                    "hashlib releases the GIL while it hashes, so threads do run it in parallel. "
                    "Threads are enough for work done in C that releases the GIL."
                    if h_speed >= 1.2
                    else "little gain here; hashlib releases the GIL, so the limit is elsewhere "
                    "(memory bandwidth, or another program using the cores)."
                ),
            )
        )
    from threadlab._tour_interpreters import lesson_finding  # here: it builds on this module

    which_python = lesson_finding(result)
    if which_python is not None:
        found.append(which_python)
    return found
