"""How the stored results files in tests/data were made; run from the repository root to remake them.

    .venv/bin/python tests/data/make_data.py            # remake the results files (real runs)
    .venv/bin/python tests/data/make_data.py --kinds KINDS   # a recording of the kinds of work (see below)
    THREADLAB_UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_render.py   # then the expected outputs

``results-small.json`` and ``compare-base.json`` are real runs on the machine
that made them.

``kinds-here.json`` and ``kinds-one-core.json`` (schema 2, interleaved rounds)
are the built-in workloads on sequential, threads and processes ×2, recorded
on the project's 2-core machine: the first at a moment when it gave both
cores (its machine line says so, and the classification came out as the
physics says), the second while other programs held about one core of the
two. They are moments of a machine, kept as they came: remake one with
``make_data.py --kinds NAME`` (``KINDS`` or ``KINDS_ONE_CORE``) and keep it
only if its machine line shows the moment it is named for.

``parallel-inside.json`` is ``matmul`` (a 600×600 NumPy product, OpenBLAS
with 2 threads) on sequential, threads and processes ×2, each with its native
pools left alone and with one native thread (``inner_threads=0,1``), on the
same 2-core machine at a moment when it gave 1.79 of its cores (other
programs used about 0.3): kept as it came, like the kinds above (``--kinds
PARALLEL_INSIDE``). On this machine under load (other programs using 1.6
cores) the same run advised one BLAS thread per call instead: two BLAS
threads wait on each other when a core is taken.

``advise-http-like.json`` and ``advise-async-wait.json`` are ``threadlab advise``
on ``tests/fixtures/advise_targets.py:http_like`` (budget 6 s) and
``:async_wait`` (budget 5 s), recorded on the same 2-core machine while six
other test runs shared it (``--kinds ADVISE_HTTP_LIKE``, ``--kinds
ADVISE_ASYNC_WAIT``): threads ×2 came out 1.84× (95% CI 1.49–2.03×), asyncio
×2 1.66× (1.57–1.73×). The tests judge which strategy waiting work goes on
from them: live, a busy moment can leave the interval "too noisy to tell".

``check-nap.json`` and ``check-locked.json`` are ``threadlab.check_scaling``
runs of tests/fixtures/scaling_targets.py (``nap``, ``locked``; threads ×2,
``budget=8``) on the project's 2-core machine under load, kept as they came:
the first passed (1.91–2.05×, 22 rounds), the second measured 0.83–1.01× over
28 rounds while only 0.63 cores ran in parallel (so inconclusive as recorded;
the tests give it free cores to make it a failure). Remade with::

    from threadlab import check_scaling, save_result
    for name in ("nap", "locked"):
        check = check_scaling(f"tests/fixtures/scaling_targets.py:{name}", budget=8)
        save_result(check.result, f"tests/data/check-{name}.json")

``compare-new.json`` is ``compare-base.json`` with a known
change applied, so that the comparison test knows the right answer: the
samples of ``count · threads ×2`` take 1.6× as long (slower), those of
``sleep · threads ×2`` 0.8× as long (faster), both far enough to separate
the two sets of samples entirely (checked), every other point is the same
samples (not significant), and ``sleep · sequential ×1`` is left out (only
in the base).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
THREADLAB = [sys.executable, "-c", "from threadlab.cli import main; main()"]

SMALL = [
    *("run", "-w", "sleep,count", "-s", "sequential,threads,processes", "-n", "1,2,4,8"),
    *("-p", "duration=0.05", "-p", "iterations=1000000", "--repeat", "3", "--warmup", "1", "-q"),
]
BASE = [
    *("run", "-w", "sleep,count", "-s", "sequential,threads", "-n", "1,2"),
    *("-p", "duration=0.02", "-p", "iterations=300000", "--repeat", "5", "--warmup", "1", "-q"),
]
KINDS = [
    *("run", "-w", "sleep,count,hash,compress", "-s", "sequential,threads,processes", "-n", "2"),
    *("-p", "duration=0.05", "-p", "iterations=4000000", "-p", "mb=4"),
    *("--repeat", "6", "--warmup", "1", "--max-time", "40", "-q"),
]
KINDS_ONE_CORE = [
    *("run", "-w", "sleep,count,hash,compress", "-s", "sequential,threads,processes", "-n", "2"),
    *("-p", "duration=0.05", "-p", "iterations=2000000", "-p", "mb=4"),
    *("--repeat", "6", "--warmup", "1", "--max-time", "8", "-q"),
]
PARALLEL_INSIDE = [
    *("run", "-w", "matmul", "-s", "sequential,threads,processes", "-n", "2"),
    *("-p", "inner_threads=0,1", "--max-time", "20", "-q"),
]
ADVISE_HTTP_LIKE = ["advise", "tests/fixtures/advise_targets.py:http_like", "--budget", "6", "-q"]
ADVISE_ASYNC_WAIT = ["advise", "tests/fixtures/advise_targets.py:async_wait", "--budget", "5", "-q"]
SLOWER = ("count", "threads", 2, 1.6)
FASTER = ("sleep", "threads", 2, 0.8)
DROPPED = ("sleep", "sequential", 1, 1)  # workload, strategy, workers, tasks


def _scaled(sample: object, factor: float) -> object:
    """A sample whose every duration is ``factor`` times as long."""
    from threadlab import Sample

    assert isinstance(sample, Sample)
    spans = sample.spans
    return dataclasses.replace(
        sample,
        wall_s=sample.wall_s * factor,
        cpu_user_s=None if sample.cpu_user_s is None else sample.cpu_user_s * factor,
        cpu_sys_s=None if sample.cpu_sys_s is None else sample.cpu_sys_s * factor,
        spans=dataclasses.replace(
            spans,
            start_s=tuple(t * factor for t in spans.start_s),
            end_s=tuple(t * factor for t in spans.end_s),
            cpu_s=tuple(None if t is None else t * factor for t in spans.cpu_s),
        ),
    )


def make_new(base_path: Path, new_path: Path) -> None:
    """Write ``new_path``: the base result with the known change applied."""
    from threadlab import load_result, save_result

    base = load_result(base_path)
    measurements = []
    for measurement in base.measurements:
        point = measurement.point
        key = (point.workload, point.strategy, point.workers)
        if (*key, point.tasks) == DROPPED:
            continue
        for workload, strategy, workers, factor in (SLOWER, FASTER):
            if key == (workload, strategy, workers):
                samples = tuple(_scaled(s, factor) for s in measurement.samples)
                # The change must separate the samples entirely, or the test's answer is not known.
                before = [s.wall_s for s in measurement.samples]
                after = [s.wall_s for s in samples]  # type: ignore[attr-defined]
                separated = min(after) > max(before) if factor > 1 else max(after) < min(before)
                assert separated, f"{key}: samples too noisy for a known change; run make_data.py again"
                measurement = dataclasses.replace(measurement, samples=samples)
        measurements.append(measurement)
    save_result(dataclasses.replace(base, measurements=tuple(measurements)), new_path)


def main() -> None:
    subprocess.run([*THREADLAB, *SMALL, "-o", str(HERE / "results-small.json")], check=True)
    subprocess.run([*THREADLAB, *BASE, "-o", str(HERE / "compare-base.json")], check=True)
    make_new(HERE / "compare-base.json", HERE / "compare-new.json")


if __name__ == "__main__":
    if sys.argv[1:] == ["--new-only"]:
        make_new(HERE / "compare-base.json", HERE / "compare-new.json")
    elif sys.argv[1:2] == ["--kinds"] and len(sys.argv) == 3:
        recipe = {
            "KINDS": (KINDS, "kinds-here.json"),
            "KINDS_ONE_CORE": (KINDS_ONE_CORE, "kinds-one-core.json"),
            "PARALLEL_INSIDE": (PARALLEL_INSIDE, "parallel-inside.json"),
            "ADVISE_HTTP_LIKE": (ADVISE_HTTP_LIKE, "advise-http-like.json"),
            "ADVISE_ASYNC_WAIT": (ADVISE_ASYNC_WAIT, "advise-async-wait.json"),
        }
        command, name = recipe[sys.argv[2]]
        subprocess.run([*THREADLAB, *command, "-o", str(HERE / name)], check=True)
    else:
        main()
