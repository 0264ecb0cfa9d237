"""The tour's "which Python" lesson: the CPU loop on each interpreter found here.

Told when more than one Python that can run threadlab's worker is found (or
given with ``--python``): the pure-Python ``count`` loop on 2 workers, as
threads and, on 3.12+, as subinterpreters, against one worker, per Python.
At most three Pythons, the newest of each minor version, free-threaded
builds first: what the lesson can show is how a free-threaded build or a
subinterpreter changes what the GIL does, and how the versions differ on one
core.

Kept short so that the whole tour stays within its minute on two cores:
about 2 s per Python here (2-3 points of a warm-up and 3 samples each).
"""

from __future__ import annotations

from collections.abc import Sequence

from threadlab._model import Measurement, Point, Result, Spec, Summary
from threadlab._tour import Finding
from threadlab.orchestrate._interpreters import FoundInterpreter, newest_per_minor
from threadlab.orchestrate._plan import plan
from threadlab.render._units import ratio, seconds

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


def lesson_pythons(found: Sequence[FoundInterpreter]) -> list[FoundInterpreter]:
    """The Pythons the lesson compares: at most three, or none when fewer than two can run it."""
    chosen = newest_per_minor(found, MOST_PYTHONS)
    return chosen if len(chosen) > 1 else []


def lesson_points(pythons: Sequence[FoundInterpreter], quick: bool) -> tuple[Point, ...]:
    """Sequential, threads and (3.12+) subinterpreters on 2 workers, for each Python."""
    points: list[Point] = []
    for python in pythons:
        strategies = ("sequential", "threads") + (("interpreters",) if python.subinterpreters else ())
        points.extend(
            plan(
                Spec(
                    workloads=("count",),
                    strategies=strategies,
                    workers=(WORKERS,),
                    repeat=REPEAT,
                    warmup=1,
                    params={"iterations": ITERATIONS[quick]},
                    timeout_s=120.0,
                    python=python.executable,
                )
            )
        )
    return tuple(points)


def _lesson_measurements(result: Result) -> dict[str, dict[str, tuple[Measurement, Summary]]]:
    """The lesson's points by Python executable, then by strategy."""
    found: dict[str, dict[str, tuple[Measurement, Summary]]] = {}
    for measurement, summary in result.summaries():
        point = measurement.point
        if (
            point.workload == "count"
            and point.tasks == WORKERS
            and point.params.get("iterations") in ITERATIONS.values()
            and summary is not None
        ):
            found.setdefault(point.python, {}).setdefault(point.strategy, (measurement, summary))
    return found


def _label(measurements: dict[str, tuple[Measurement, Summary]], python: str) -> str:
    for measurement, _ in measurements.values():
        if measurement.interpreter is not None:
            return measurement.interpreter.label()
    return python


def lesson_finding(result: Result) -> Finding | None:
    """What the lesson found, in plain words; None when it was not run (one Python only)."""
    by_python = _lesson_measurements(result)
    by_python = {python: found for python, found in by_python.items() if "sequential" in found}
    if len(by_python) < 2:
        return None
    parts: list[str] = []
    threads_parallel: list[str] = []
    interpreters_parallel: list[str] = []
    interpreters_serial: list[str] = []
    threads_serial: list[str] = []
    threads_odd: list[str] = []  # parallel under a GIL: noise, or a loop that releases the GIL
    one_core: list[tuple[float, str]] = []
    iterations = 0
    for python, found in by_python.items():
        label = _label(found, python)
        measurement, sequential = found["sequential"]
        iterations = int(measurement.point.params["iterations"])
        one_core.append((sequential.wall_median_s, label))
        words = [f"{label}: one worker {seconds(sequential.wall_median_s)}"]
        if "threads" in found:
            threads, summary = found["threads"]
            speed = summary.speedup_vs_sequential or 0.0
            words.append(f"threads {ratio(speed)}")
            if speed < _PARALLEL:
                threads_serial.append(label)
            elif _without_gil(threads):
                threads_parallel.append(label)
            else:
                threads_odd.append(label)
        if "interpreters" in found:
            summary = found["interpreters"][1]
            speed = summary.speedup_vs_sequential or 0.0
            words.append(f"subinterpreters {ratio(speed)}")
            (interpreters_parallel if speed >= _PARALLEL else interpreters_serial).append(label)
        else:
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
    if threads_odd:
        verdicts.append(
            f"Threads measured faster on {', '.join(threads_odd)}, which ran with a GIL: likely noise "
            f"from other programs; rerun the tour to check."
        )
    if interpreters_parallel:
        verdicts.append(
            f"Subinterpreters ran it in parallel on {', '.join(interpreters_parallel)}: each has a GIL "
            f"of its own, so pure-Python CPU work scales with them in one process."
        )
    if interpreters_serial:
        verdicts.append(
            f"Subinterpreters showed no clear gain on {', '.join(interpreters_serial)}, though each has "
            f"its own GIL: other programs may have held the cores; rerun the tour to check."
        )
    if not any(_without_gil(found["sequential"][0]) for found in by_python.values()):
        verdicts.append(
            "No free-threaded build without its GIL was compared: with one (uv python install 3.14t) "
            "threads would scale with the cores too."
        )
    fastest, slowest = min(one_core), max(one_core)
    if slowest[0] > 0 and fastest[1] != slowest[1]:
        verdicts.append(
            f"On one core, {fastest[1]} counted fastest ({seconds(fastest[0])}) and {slowest[1]} "
            f"slowest ({seconds(slowest[0])}, {ratio(slowest[0] / fastest[0])} the time)."
        )
    return Finding(
        f"Which Python: the CPU loop ({iterations:,} steps) on {WORKERS} workers, per interpreter",
        "; ".join(parts)
        + f" (medians of {REPEAT} samples; speedups against one worker on the same Python). "
        + " ".join(verdicts),
    )


def _without_gil(measurement: Measurement) -> bool:
    """Whether the point ran on a free-threaded build with its GIL off."""
    interpreter = measurement.interpreter
    return interpreter is not None and interpreter.free_threaded and not interpreter.gil_enabled
