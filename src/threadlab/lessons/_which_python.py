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

from threadlab._units import ratio, seconds
from threadlab.analysis import median_interval, paired_ratios
from threadlab.lessons._finding import Finding, without_gil
from threadlab.model import Measurement, Spec, Summary

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
        specs.append(
            Spec(
                workloads=("count",),
                strategies=("sequential", "threads") + (("interpreters",) if python.subinterpreters else ()),
                workers=(WORKERS,),
                repeat=REPEAT,
                warmup=1,
                params={"iterations": ITERATIONS[quick]},
                timeout_s=timeout_s,
                python=python.executable,
            )
        )
        if python.free_threaded:
            specs.append(
                Spec(
                    workloads=("count",),
                    strategies=("sequential", "threads"),
                    workers=(WORKERS,),
                    repeat=REPEAT,
                    warmup=1,
                    params={"iterations": ITERATIONS[quick]},
                    timeout_s=timeout_s,
                    python=python.executable,
                    gil="on",
                )
            )
    return tuple(specs)


def _lesson_measurements(
    summaries: Sequence[tuple[Measurement, Summary | None]],
) -> dict[str, dict[str, tuple[Measurement, Summary]]]:
    """The lesson's points by Python executable (with ``--gil on`` apart: the same binary with its
    GIL), then by strategy."""
    found: dict[str, dict[str, tuple[Measurement, Summary]]] = {}
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


def _label(measurements: dict[str, tuple[Measurement, Summary]], python: str) -> str:
    for measurement, _ in measurements.values():
        if measurement.interpreter is not None:
            return measurement.interpreter.label()
    return python


def which_python_finding(summaries: Sequence[tuple[Measurement, Summary | None]]) -> Finding | None:
    """What the lesson found, in plain words; None when it was not run (one Python only).

    Args:
        summaries: ``threadlab.analysis.summarise(result)`` of the tour's result.
    """
    by_python = _lesson_measurements(summaries)
    by_python = {python: found for python, found in by_python.items() if "sequential" in found}
    if len(by_python) < 2:
        return None
    parts: list[str] = []
    threads_parallel: list[str] = []
    interpreters_parallel: list[str] = []
    interpreters_serial: list[str] = []
    threads_serial: list[str] = []
    threads_odd: list[str] = []  # parallel under a GIL: noise, or a loop that releases the GIL
    one_core: list[tuple[float, str, Measurement]] = []
    unclear: list[str] = []
    iterations = 0
    for python, found in by_python.items():
        label = _label(found, python)
        measurement, sequential = found["sequential"]
        iterations = int(measurement.point.params["iterations"])
        one_core.append((sequential.wall_median_s, label, measurement))
        words = [f"{label}: one worker {seconds(sequential.wall_median_s)}"]
        if "threads" in found:
            threads, summary = found["threads"]
            words.append(f"threads {_speedup(summary)}")
            verdict = _parallel(summary)
            if verdict is False:
                threads_serial.append(label)
            elif verdict is None:
                unclear.append(f"threads on {label}")
            elif without_gil(threads):
                threads_parallel.append(label)
            else:
                threads_odd.append(label)
        if "interpreters" in found:
            summary = found["interpreters"][1]
            words.append(f"subinterpreters {_speedup(summary)}")
            verdict = _parallel(summary)
            if verdict is None:
                unclear.append(f"subinterpreters on {label}")
            else:
                (interpreters_parallel if verdict else interpreters_serial).append(label)
        elif not python.endswith(" -X gil=1"):  # with its GIL on, a build is measured on threads only
            words.append("no subinterpreters (3.12+)")
        parts.append(", ".join(words))
    verdicts: list[str] = []
    if threads_serial:
        verdicts.append(
            f"Threads did not run the loop in parallel on {', '.join(threads_serial)}: under a GIL one "
            f"thread at a time runs Python bytecode."
        )
    if threads_parallel:
        verdicts.append(
            f"On {', '.join(threads_parallel)} threads did run it in parallel: a free-threaded build "
            f"without its GIL lets threads use all the cores."
        )
    for python, found in by_python.items():
        with_gil = by_python.get(python + " -X gil=1")
        if with_gil is None or "threads" not in found or "threads" not in with_gil:
            continue
        label, off, on = _label(found, python), found["threads"][1], with_gil["threads"][1]
        told = (
            ": the GIL alone is what makes threads take turns"
            if (_parallel(off), _parallel(on)) == (True, False)
            else ""
        )
        verdicts.append(
            f"The same {label} binary ran threads {_speedup(off)} with its GIL off and {_speedup(on)} "
            f"with it on (-X gil=1){told}."
        )
    if threads_odd:
        verdicts.append(
            f"Threads measured faster on {', '.join(threads_odd)}, which ran with a GIL: the loop "
            f"released the GIL, or the sequential samples were slowed by something else."
        )
    if unclear:
        verdicts.append(
            f"Too wide an interval to tell for {', '.join(unclear)}: the machine's speed moved too "
            f"much during the rounds (see the machine line above)."
        )
    if interpreters_parallel:
        verdicts.append(
            f"Subinterpreters ran it in parallel on {', '.join(interpreters_parallel)}: each has a GIL "
            f"of its own, so pure-Python CPU work scales with them in one process."
        )
    if interpreters_serial:
        verdicts.append(
            f"Subinterpreters showed no clear gain on {', '.join(interpreters_serial)}, though each has "
            f"its own GIL: the host or other programs held a core (see the machine line above), or "
            f"starting them cost what they saved."
        )
    if not any(without_gil(found["sequential"][0]) for found in by_python.values()):
        verdicts.append(
            "No free-threaded build without its GIL was compared: with one (bash "
            "scripts/free-threaded-python.sh on Debian or Ubuntu, or uv python install 3.14t) threads "
            "would scale with the cores too."
        )
    paired_run = all(s.round is not None for _, _, m in one_core for s in m.samples)
    fastest = min(one_core, key=lambda item: item[0])
    slowest = max(one_core, key=lambda item: item[0])
    # Both Pythons' sequential samples were taken in the same rounds: pair them, as a speedup.
    paired = paired_ratios(fastest[2].samples, slowest[2].samples)
    if fastest[1] != slowest[1] and paired:
        centre, (low, high) = median_interval(paired)
        verdicts.append(
            f"On one core, {fastest[1]} counted fastest and {slowest[1]} slowest: {slowest[1]} took "
            f"{centre:.2f}× the time (95% CI {low:.2f}–{high:.2f}×, paired round by round)."
        )
    verdicts.extend(_one_thread_cost(one_core))
    return Finding(
        f"Which Python: the CPU loop ({iterations:,} steps) on {WORKERS} workers, per interpreter",
        "; ".join(parts)
        + " (speedups against one worker on the same Python, with 95% intervals"
        + (", all measured in the same interleaved rounds). " if paired_run else "). ")
        + " ".join(verdicts),
    )


def _one_thread_cost(one_core: Sequence[tuple[float, str, Measurement]]) -> list[str]:
    """What free-threading costs one worker: a build without its GIL against a build of the same
    minor version with a GIL, their sequential samples paired round by round."""
    said = []
    for _, label, measurement in one_core:
        if not without_gil(measurement) or measurement.interpreter is None:
            continue
        minor = measurement.interpreter.version.split(".")[:2]
        for _, other_label, other in one_core:
            if other.interpreter is None or other.interpreter.free_threaded:
                continue
            if other.interpreter.version.split(".")[:2] != minor:
                continue
            paired = paired_ratios(other.samples, measurement.samples)
            if paired:
                centre, (low, high) = median_interval(paired)
                said.append(
                    f"What free-threading costs one thread: {label} took {centre:.2f}× the time of "
                    f"{other_label} with its GIL (95% CI {low:.2f}–{high:.2f}×, paired round by round)."
                )
            break
    return said


def _speedup(summary: Summary) -> str:
    interval = summary.speedup_vs_sequential_ci
    if interval is None:
        return ratio(summary.speedup_vs_sequential)
    return f"{ratio(summary.speedup_vs_sequential)} ({interval[0]:.2f}–{interval[1]:.2f})"


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
