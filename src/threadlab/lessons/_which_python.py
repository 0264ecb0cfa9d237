"""The tour's "which Python" lesson: the CPU loop on each interpreter found here.

Told when more than one Python that can run threadlab's worker is found (or
given with ``python``): the pure-Python ``count`` loop on 2 workers, as
threads and, on 3.12+, as subinterpreters, against one worker, per Python.
At most three Pythons, the newest of each minor version, free-threaded
builds first: what the lesson can show is how a free-threaded build or a
subinterpreter changes what the GIL does, and how the versions differ on one
core. A free-threaded build is measured twice, with its GIL off and on
(``-X gil=1``), the same binary: what the GIL alone does to threads.

Kept short so that the whole tour stays within its minute on two cores:
about 2 s per Python here (2-3 points of a warm-up and 3 samples each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from threadlab._units import interval, ratio, seconds
from threadlab.analysis import median_interval, paired_ratios, without_gil
from threadlab.lessons._finding import Finding, Found, Summaries, speedup_words
from threadlab.model import Gil, Measurement, Spec, Summary

MOST_PYTHONS = 3
WORKERS = 2
REPEAT = 3
# Steps of the loop per task: ~0.08 s (0.03 s quick) on CPython 3.12 here,
# enough against a sample's noise once the warm-up has made the
# subinterpreters. Not the CPU lesson's sizes, so that the two lessons'
# points are told apart.
ITERATIONS = {False: 1_000_000, True: 400_000}
# A speedup at or above this counts as "ran in parallel" on 2 workers.
_PARALLEL = 1.4

ByStrategy = dict[str, Found]  # one Python's points of the lesson, by strategy
Holds = dict[str, list[tuple[str, ...]]]  # each verdict's figures, one tuple per Python it holds for


@dataclass(frozen=True, slots=True)
class LessonPython:
    """A Python the lesson may compare: what the lesson needs to know of it.

    Only Pythons that can run threadlab's worker are candidates.

    Attributes:
        executable: the path to run.
        version: e.g. ``"3.13.0"``.
        free_threaded: built with ``Py_GIL_DISABLED`` (3.13t, 3.14t).
        subinterpreters: whether it has subinterpreters with their own GIL (3.12+).
    """

    executable: str
    version: str
    free_threaded: bool = False
    subinterpreters: bool = False

    @property
    def version_key(self) -> tuple[int, ...]:
        """The version as numbers, for sorting: ``(3, 13, 0)``."""
        return tuple(int(n) for n in re.findall(r"\d+", self.version)[:3])


def lesson_pythons(candidates: Sequence[LessonPython]) -> tuple[LessonPython, ...]:
    """The Pythons the lesson compares: the newest of each minor version, free-threaded builds
    first, then the newest versions; at most three, or none when fewer than two are found."""
    best: dict[tuple[tuple[int, ...], bool], LessonPython] = {}
    for python in candidates:
        key = (python.version_key[:2], python.free_threaded)
        if key not in best or python.version_key > best[key].version_key:
            best[key] = python
    chosen = sorted(best.values(), key=lambda p: (not p.free_threaded, [-n for n in p.version_key]))
    return tuple(chosen[:MOST_PYTHONS]) if len(chosen) > 1 else ()


def which_python_specs(pythons: Sequence[LessonPython], quick: bool, timeout_s: float) -> tuple[Spec, ...]:
    """One spec per Python: sequential, threads and (3.12+) subinterpreters on 2 workers; and for a
    free-threaded build, the same binary again with its GIL on (``-X gil=1``): sequential and threads.
    """
    specs = []
    for python in pythons:
        own = ("interpreters",) if python.subinterpreters else ()
        specs.append(_count_spec(python, ("sequential", "threads", *own), quick, timeout_s))
        if python.free_threaded:
            specs.append(_count_spec(python, ("sequential", "threads"), quick, timeout_s, gil="on"))
    return tuple(specs)


def _count_spec(
    python: LessonPython, strategies: tuple[str, ...], quick: bool, timeout_s: float, gil: Gil = "default"
) -> Spec:
    """The lesson's count loop on ``WORKERS`` workers of ``python``, with its GIL as ``gil`` says."""
    return Spec(
        workloads=("count",),
        strategies=strategies,
        workers=(WORKERS,),
        repeat=REPEAT,
        params={"iterations": ITERATIONS[quick]},
        timeout_s=timeout_s,
        python=python.executable,
        gil=gil,
    )


def _lesson_measurements(summaries: Summaries) -> dict[str, ByStrategy]:
    """The lesson's points by Python executable (with ``--gil on`` apart: the same binary with its
    GIL), then by strategy."""
    found: dict[str, ByStrategy] = {}
    for measurement, summary in summaries:
        point = measurement.point
        if (
            point.workload == "count"
            and point.tasks == WORKERS
            and point.params.get("iterations") in ITERATIONS.values()
            and summary is not None
        ):
            key = point.python + (" -X gil=1" if point.gil == "on" else "")
            found.setdefault(key, {}).setdefault(point.strategy, (measurement, summary))
    return found


def _label(measurements: ByStrategy, python: str) -> str:
    found = (m.interpreter for m, _ in measurements.values() if m.interpreter is not None)
    return next((interpreter.label() for interpreter in found), python)


# Each verdict's words, in the order they are told, with the figures each Python it holds for
# gives (``holds``). Most name every Python they hold for at once (``{}``: their labels); those
# in ``_EACH`` are told once per Python, with its own figures.
_VERDICTS = {
    "threads-serial": (
        "Threads did not run the loop in parallel on {}: under a GIL one thread at a time runs Python "
        "bytecode."
    ),
    "threads-parallel": (
        "On {} threads did run it in parallel: a free-threaded build without its GIL lets threads use all "
        "the cores."
    ),
    # The same binary with its GIL off ({1}) and on ({2}): threads parallel, then taking turns.
    "gil-alone": (
        "The same {0} binary ran threads {1} with its GIL off and {2} with it on (-X gil=1): the GIL alone "
        "is what makes threads take turns."
    ),
    "gil-off-and-on": "The same {0} binary ran threads {1} with its GIL off and {2} with it on (-X gil=1).",
    "threads-odd": (
        "Threads measured faster on {}, which ran with a GIL: the loop released the GIL, or the sequential "
        "samples were slowed by something else."
    ),
    "unclear": (
        "Too wide an interval to tell for {}: the machine's speed moved too much during the rounds (see the "
        "machine line above)."
    ),
    "interpreters-parallel": (
        "Subinterpreters ran it in parallel on {}: each has a GIL of its own, so pure-Python CPU work scales "
        "with them in one process."
    ),
    "interpreters-serial": (
        "Subinterpreters showed no clear gain on {}, though each has its own GIL: the host or other programs "
        "held a core (see the machine line above), or starting them cost what they saved."
    ),
    "no-free-threaded": (
        "No free-threaded build without its GIL was compared: with one (bash scripts/free-threaded-python.sh "
        "on Debian or Ubuntu, or uv python install 3.14t) threads would scale with the cores too."
    ),
    # The fastest ({0}) and the slowest ({1}) on one core, its time against the fastest's ({2}, {3}).
    "one-core": (
        "On one core, {0} counted fastest and {1} slowest: {1} took {2} the time (95% CI {3}, paired round "
        "by round)."
    ),
    # A build without its GIL ({0}) against one of the same minor version with a GIL ({3}).
    "one-thread-cost": (
        "What free-threading costs one thread: {0} took {1} the time of {3} with its GIL (95% CI {2}, paired "
        "round by round)."
    ),
}
_EACH = frozenset({"gil-alone", "gil-off-and-on", "no-free-threaded", "one-core", "one-thread-cost"})


def _tell(holds: Holds) -> list[str]:
    """The verdicts that hold, in their words, in ``_VERDICTS``'s order."""
    told: list[str] = []
    for key, words in _VERDICTS.items():
        held = holds.get(key, [])
        if key in _EACH:
            told.extend(words.format(*figures) for figures in held)
        elif held:
            told.append(words.format(", ".join(figures[0] for figures in held)))
    return told


def _judge(found: ByStrategy, label: str, sequential: Summary, holds: Holds) -> str:
    """One Python's figures in words; adds its label to the verdicts (``holds``) it falls under."""
    words = [f"{label}: one worker {seconds(sequential.wall_median_s)}"]
    for strategy, named in (("threads", "threads"), ("interpreters", "subinterpreters")):
        if strategy not in found:
            continue
        measurement, summary = found[strategy]
        words.append(f"{named} {speedup_words(summary, named=False)}")
        verdict = _parallel(summary)
        if verdict is None:
            key = "unclear"
        elif strategy == "interpreters":
            key = "interpreters-parallel" if verdict else "interpreters-serial"
        elif not verdict:
            key = "threads-serial"
        else:
            key = "threads-parallel" if without_gil(measurement) else "threads-odd"
        holds[key].append((f"{named} on {label}",) if verdict is None else (label,))
    # With its GIL on, a build is measured on threads only.
    if "interpreters" not in found and found["sequential"][0].point.gil != "on":
        words.append("no subinterpreters (3.12+)")
    return ", ".join(words)


def _judge_gil_alone(by_python: dict[str, ByStrategy], holds: Holds) -> None:
    """Each free-threaded build measured with its GIL off and on (``-X gil=1``), the same binary:
    what the GIL alone does to its threads."""
    for python, found in by_python.items():
        with_gil = by_python.get(python + " -X gil=1")
        if with_gil is None or "threads" not in found or "threads" not in with_gil:
            continue
        off, on = found["threads"][1], with_gil["threads"][1]
        key = "gil-alone" if (_parallel(off), _parallel(on)) == (True, False) else "gil-off-and-on"
        holds[key].append(
            (_label(found, python), speedup_words(off, named=False), speedup_words(on, named=False))
        )


def which_python_finding(summaries: Summaries) -> Finding | None:
    """What the lesson found, from the tour's summaries; None when it was not run (one Python only)."""
    by_python = _lesson_measurements(summaries)
    by_python = {python: found for python, found in by_python.items() if "sequential" in found}
    if len(by_python) < 2:
        return None
    parts: list[str] = []
    # What each verdict holds for (threads-odd: parallel under a GIL: noise, or a loop that
    # releases the GIL; unclear: "threads on 3.12.3" and the like).
    holds: Holds = {key: [] for key in _VERDICTS}
    one_core: list[tuple[float, str, Measurement]] = []
    iterations = 0
    for python, found in by_python.items():
        label = _label(found, python)
        measurement, sequential = found["sequential"]
        iterations = int(measurement.point.params["iterations"])
        one_core.append((sequential.wall_median_s, label, measurement))
        parts.append(_judge(found, label, sequential, holds))
    _judge_gil_alone(by_python, holds)
    if not any(without_gil(found["sequential"][0]) for found in by_python.values()):
        holds["no-free-threaded"].append(())
    _judge_one_core(one_core, holds)
    paired_run = all(s.round is not None for _, _, m in one_core for s in m.samples)
    return Finding(
        f"Which Python: the CPU loop ({iterations:,} steps) on {WORKERS} workers, per interpreter",
        "; ".join(parts)
        + " (speedups against one worker on the same Python, with 95% intervals"
        + (", all measured in the same interleaved rounds). " if paired_run else "). ")
        + " ".join(_tell(holds)),
        tuple(measurement.point for found in by_python.values() for measurement, _ in found.values()),
    )


def _judge_one_core(one_core: Sequence[tuple[float, str, Measurement]], holds: Holds) -> None:
    """On one core: the fastest Python against the slowest, and what free-threading costs one
    worker (a build without its GIL against a build of the same minor version with a GIL), their
    sequential samples paired round by round."""
    fastest = min(one_core, key=lambda item: item[0])
    slowest = max(one_core, key=lambda item: item[0])
    # Both Pythons' sequential samples were taken in the same rounds: pair them, as a speedup.
    paired = paired_ratios(fastest[2].samples, slowest[2].samples)
    if fastest[1] != slowest[1] and paired:
        centre, bounds = median_interval(paired)
        holds["one-core"].append((fastest[1], slowest[1], ratio(centre), interval(bounds)))
    for _, label, measurement in one_core:
        if not without_gil(measurement) or measurement.interpreter is None:
            continue
        minor = measurement.interpreter.version.split(".")[:2]
        for _, other_label, other in one_core:
            python = other.interpreter
            if python is None or python.free_threaded or python.version.split(".")[:2] != minor:
                continue
            paired = paired_ratios(other.samples, measurement.samples)
            if paired:
                centre, bounds = median_interval(paired)
                holds["one-thread-cost"].append((label, ratio(centre), interval(bounds), other_label))
            break


def _parallel(summary: Summary) -> bool | None:
    """True: ran in parallel (the interval's low end at or above the bar); False: did not (its
    high end below it); None: the interval spans the bar."""
    interval = summary.speedup_vs_sequential_ci
    speed = summary.speedup_vs_sequential or 0.0
    low, high = interval if interval is not None else (speed, speed)
    if low >= _PARALLEL:
        return True
    if high < _PARALLEL:
        return False
    return None
