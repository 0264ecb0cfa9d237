"""Work already parallel inside, live: a NumPy product alone, then the inner × outer table.

What it measures (issue 13):
    1. ``matmul`` (``-p n=600``: two 600×600 matrices, about 25 ms a product)
       on one worker with its native pools left alone: CPU/wall, and the cores
       one call keeps busy while it runs (``analysis.cores_per_call``: the
       worker's CPU over the CPU of the thread that ran the call, which other
       programs holding the cores do not lower), with the pool threadpoolctl saw.
    2. The inner × outer table: one ``threadlab.run`` of sequential, threads
       and processes on ``--workers`` (default: 1 and this machine's cores)
       with ``inner_threads`` 1 and the cores, in interleaved rounds; each
       point's speedup against one worker with all its native threads, and
       the analysis's classification and advice.

These figures used to be claims in the issue; the tests judge a recorded file
(``tests/data/parallel-inside.json``), and the live figures live here.

Targets (what the physics says on a machine that gives its cores):
    * one call alone keeps more than 1.3 cores busy (the classification's threshold);
    * the advice is never a point whose workers run on top of native pools that
      already use the cores (inner_threads left alone with 2+ workers, or
      workers × inner_threads above the cores).

Run: ``.venv/bin/python benchmarks/bench_native.py [--strict] [--max-time S] [-n N]``  (~1 min)
"""

from __future__ import annotations

import os
import sys

import _common

import threadlab
from threadlab.analysis import Kind, cores_per_call, cpu_per_wall, summarise
from threadlab.render import advice_text, machine_line

N = 600
# The classification's threshold (analysis._classify.PARALLEL_INSIDE_CPU).
INSIDE = 1.3


def pools_of(measurement: threadlab.Measurement) -> str:
    native = measurement.native
    if native is None or native.pools is None:
        return "pools unknown (no threadpoolctl in the worker's Python)"
    return (
        ", ".join(f"{p.name} {p.threads} thread{'s' if p.threads != 1 else ''}" for p in native.pools)
        or "none"
    )


def alone(n: int, max_time: float) -> tuple[_common.Verdict, float | None]:
    result = threadlab.run("matmul", "sequential", 1, tasks=4, params={"n": n}, repeat=8, max_time=max_time)
    (measurement,) = result.measurements
    cpu, busy = cpu_per_wall(measurement.samples), cores_per_call(measurement.samples)
    walls = [s.wall_s / s.tasks for s in measurement.samples]
    print(f"\n1. one worker, native pools left alone ({pools_of(measurement)}):")
    print(f"   per product: {_common.spread(walls, 's', 4)}")
    print(
        f"   CPU/wall {cpu if cpu is None else f'{cpu:.2f}'} · one call keeps "
        f"{busy if busy is None else f'{busy:.2f}'} cores busy while it runs"
    )
    figure = "not measured" if busy is None else f"{busy:.2f} cores"
    return _common.Verdict(
        "matmul one call, cores kept busy", figure, f"> {INSIDE}", (busy or 0.0) > INSIDE
    ), busy


def table(n: int, workers: list[int], cores: int, max_time: float) -> _common.Verdict:
    inner = sorted({1, cores})
    result = threadlab.run(
        "matmul",
        ["sequential", "threads", "processes"],
        workers,
        params={"n": n, "inner_threads": inner},
        max_time=max_time,
    )
    analysis = threadlab.analyse(result)
    print(f"\n2. inner × outer: workers {workers} × inner_threads {inner}, {max_time:g} s of rounds")
    if analysis.noise is not None:
        print(f"   {machine_line(analysis.noise)}")
    print(f"   {'point':<44} {'speedup':>8} {'95% CI':>13} {'CPU/wall':>9} {'cores/call':>10}")
    for measurement, summary in summarise(result):
        point = measurement.point
        inner = point.strategy_params["inner_threads"]
        name = f"{point.strategy} ×{point.workers} ({point.tasks} tasks), inner_threads={inner}"
        if summary is None:
            print(f"   {name:<44} {measurement.status}")
            continue
        ci = summary.speedup_vs_sequential_ci
        busy = cores_per_call(measurement.samples) if point.strategy != "processes" else None
        print(
            f"   {name:<44} {summary.speedup_vs_sequential or 0:>7.2f}× "
            f"{'' if ci is None else f'{ci[0]:.2f}–{ci[1]:.2f}×':>13} "
            f"{summary.cpu_per_wall or 0:>9.2f} {'' if busy is None else f'{busy:.2f}':>10}"
        )
    (advice,) = analysis.recommendations
    print(f"   kind: {advice.classification.kind.words}")
    print(f"   advice: {advice_text(advice)}")
    stacked = advice.strategy not in (None, "sequential") and (
        not advice.inner_threads or (advice.workers or 1) * advice.inner_threads > cores
    )
    figure = f"{advice.strategy} ×{advice.workers}, inner_threads={advice.inner_threads}"
    kind_ok = advice.classification.kind is Kind.PARALLEL_INSIDE
    return _common.Verdict(
        "matmul advice within the cores",
        figure + ("" if kind_ok else " (not judged parallel inside)"),
        "one worker, or workers × inner_threads <= cores",
        kind_ok and not stacked,
    )


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--max-time", type=float, default=30.0, help="seconds of rounds for the table")
    args_parser.add_argument("-n", type=int, default=N, help=f"rows and columns of each matrix (default {N})")
    args = args_parser.parse_args()
    cores = os.cpu_count() or 1
    workers = sorted({1, cores})
    _common.header(f"already parallel inside: matmul n={args.n}, alone, then inner × outer on {cores} cores")
    first, _ = alone(args.n, 10.0)
    second = table(args.n, workers, cores, args.max_time)
    return _common.finish([first, second], args.strict)


if __name__ == "__main__":
    sys.exit(main())
