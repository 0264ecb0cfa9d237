"""Orchestration overhead per point: worker process start-up and protocol, per strategy.

What it measures:
    For a trivial point (``sleep`` with ``duration=0``, 1 worker, 1 task,
    ``repeat=1``, ``warmup=0``) of each strategy (sequential, threads,
    thread-pool, processes, asyncio): ``Measurement.elapsed_s`` minus the sum
    of the wall times of all its samples and warm-ups, i.e. what threadlab
    spends around the timed runs: starting the worker process
    (``python -m threadlab.worker``), importing the worker side, the JSON
    request and events, and reaping the worker.

Target (issue "Core"): at most 150 ms per point (checked on the median of
each strategy; the max is printed too).

How: ``--points`` rounds (default 20); each round runs one
``threadlab.run(...)`` per strategy, strategies interleaved so that a busy
moment of the machine does not land on one strategy only. For reference it
also times, in fresh processes, the bare interpreter start
(``python -c pass``) and the start plus the worker's imports, which bound
from below what a worker process can cost here, and the whole
``threadlab.run()`` call as the user sees it.

Run: ``.venv/bin/python benchmarks/bench_overhead.py [--strict] [--points N]``
"""

from __future__ import annotations

import sys
import time

import _common

import threadlab

STRATEGIES = ("sequential", "threads", "thread-pool", "processes", "asyncio")
TARGET_MS = 150.0
WORKER_IMPORTS = (
    "import threadlab.worker._protocol, threadlab.worker._measure, "
    "threadlab.worker.strategies, threadlab.worker.workloads"
)


def reference(code: str, times: int = 10) -> list[float]:
    found = []
    for _ in range(times):
        rc, _out, err, seconds = _common.run_python(code)
        if rc != 0:
            print(f"   reference {code!r} failed: {err.strip()[-300:]}")
            return []
        found.append(seconds)
    return found


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--points", type=int, default=20, help="points per strategy (default 20)")
    args = args_parser.parse_args()
    _common.header(f"orchestration overhead of a trivial point, {args.points} points per strategy")

    overhead: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    calls: dict[str, list[float]] = {name: [] for name in STRATEGIES}
    failures: dict[str, str] = {}
    for _ in range(args.points):
        for name in STRATEGIES:
            started = time.perf_counter()
            result = threadlab.run("sleep", name, 1, tasks=1, repeat=1, warmup=0, params={"duration": 0.0})
            calls[name].append(time.perf_counter() - started)
            (measurement,) = result.measurements
            if measurement.status != "ok" or measurement.elapsed_s is None:
                failures[name] = f"status {measurement.status}: {measurement.errors}"
                continue
            timed = sum(s.wall_s for s in (*measurement.samples, *measurement.warmups))
            overhead[name].append(measurement.elapsed_s - timed)

    verdicts = []
    for name in STRATEGIES:
        values = [v * 1e3 for v in overhead[name]]
        if not values:
            print(f"{name:12} no point succeeded: {failures.get(name)}")
            verdicts.append(_common.Verdict(f"overhead {name}", "no point", f"<= {TARGET_MS:.0f} ms", False))
            continue
        print(
            f"{name:12} overhead median {_common.median(values):6.1f} ms, max {max(values):6.1f} ms, "
            f"min {min(values):6.1f} ms (n={len(values)}); "
            f"whole threadlab.run() call median {_common.median(calls[name]) * 1e3:6.1f} ms"
        )
        if name in failures:
            print(f"{'':12} some points failed: {failures[name]}")
        verdicts.append(
            _common.Verdict(
                f"overhead {name} (median; max {max(values):.0f} ms)",
                f"{_common.median(values):.1f} ms",
                f"<= {TARGET_MS:.0f} ms",
                _common.median(values) <= TARGET_MS,
            )
        )

    bare = reference("pass")
    imports = reference(WORKER_IMPORTS)
    if bare:
        print(f"reference: python -c pass: median {_common.median(bare) * 1e3:.1f} ms")
    if imports:
        print(f"reference: python -c '<worker imports>': median {_common.median(imports) * 1e3:.1f} ms")
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
