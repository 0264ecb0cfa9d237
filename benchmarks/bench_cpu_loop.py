"""The CPU-bound ``count`` loop on 2 workers: processes scale, threads do not.

What it measures:
    ``threadlab.run("count", ["sequential", "threads", "processes"], [2],
    repeat=5)`` (warm-up 1, the default; ``iterations`` at its default of
    10**7): each point runs T = 2 tasks (sequential on one worker), and the
    speedup printed is ``Summary.speedup_vs_sequential`` (median throughput
    against the sequential point's), side by side from the same run.

Targets (issue "Core"):
    * processes on 2 workers: speedup at least 1.85×;
    * threads on 2 workers: speedup between 0.9× and 1.1× (the GIL: no gain,
      and no large loss either).

How: one ``threadlab.run`` call; per point it prints the wall median,
min–max, CPU/wall, the tasks' CPU time over their wall time (1.0: each task
had a core; about 0.5: two threads sharing the GIL; well under 1.0 for
processes: something else took the cores) and the speedup. The processes
speedup is bounded by the machine: on 2 cores both tasks share the cores
with the orchestrator and anything else running, so the load average
printed at the start matters.

Run: ``.venv/bin/python benchmarks/bench_cpu_loop.py [--strict]``
"""

from __future__ import annotations

import sys

import _common

import threadlab

PROCESSES_MIN = 1.85
THREADS_RANGE = (0.9, 1.1)


def main() -> int:
    args = _common.parser(__doc__).parse_args()
    _common.header("count loop (10**7 iterations per task) on 2 workers")
    result = threadlab.run("count", ["sequential", "threads", "processes"], [2], repeat=5)
    speedups: dict[str, float | None] = {}
    for measurement, summary in threadlab.summarise(result):
        point = measurement.point
        if summary is None:
            print(f"{point.label()}: no sample (status {measurement.status})")
            speedups[point.strategy] = None
            continue
        walls = [s.wall_s for s in measurement.samples]
        cpu = f"{summary.cpu_per_wall:.2f}" if summary.cpu_per_wall is not None else "n/a"
        speedup = summary.speedup_vs_sequential
        speedups[point.strategy] = speedup
        # Task CPU over task wall: 1.0 when each task had a core to itself;
        # about 0.5 for two threads sharing the GIL; well under 1.0 for
        # processes means something else on the machine took the cores.
        share = _common.median(
            [
                sum(c for c in s.spans.cpu_s if c is not None) / max(sum(s.spans.durations()), 1e-9)
                for s in measurement.samples
            ]
        )
        print(
            f"{point.label():40} wall {_common.spread(walls)}; CPU/wall {cpu}; "
            f"task CPU/task wall {share:.2f}; "
            f"speedup {'n/a' if speedup is None else f'{speedup:.2f}×'}"
        )
    processes = speedups.get("processes")
    threads = speedups.get("threads")
    low, high = THREADS_RANGE
    return _common.finish(
        [
            _common.Verdict(
                "cpu-loop processes speedup (2 workers)",
                "n/a" if processes is None else f"{processes:.2f}×",
                f">= {PROCESSES_MIN:.2f}×",
                processes is not None and processes >= PROCESSES_MIN,
            ),
            _common.Verdict(
                "cpu-loop threads speedup (2 workers)",
                "n/a" if threads is None else f"{threads:.2f}×",
                f"{low:.1f}× to {high:.1f}×",
                threads is not None and low <= threads <= high,
            ),
        ],
        args.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
