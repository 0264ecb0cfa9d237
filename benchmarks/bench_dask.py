"""Per-task overhead of the ``dask`` strategy against ``processes``, on this machine.

What it measures:
    The same point under both strategies: 1000 tasks of ``sleep`` 10 ms on
    2 workers (``dask``: its embedded LocalCluster of 2 one-thread worker
    processes; ``processes``: a pool of 2). For each sample, the per-task
    overhead is the worker time not spent inside a task, per task::

        overhead = (W × wall − Σ task durations) / T

    taken twice: over the whole sample (the cluster's or pool's start and
    close included, what a one-off run pays) and over the tasks phase only
    (first task start to last task end: the cost of handing out tasks once
    the workers are up). The headline is the ratio dask / processes of the
    tasks-phase overhead; both ratios are printed, with dask's start-up
    (``spawn_s``) and the moment each strategy's first task started.

Target: dask's tasks-phase overhead at most 1 ms per task, the figure
Dask's documentation gives for its scheduler ("each task suffers about 1ms
of overhead"). The ratio has no target: it is the figure to quote.

How: ``--rounds`` rounds (default 2), each running one point per strategy
(interleaved, so that a busy moment of the machine does not land on one
strategy only) with one warm-up (it pays the worker's first imports of
distributed) and ``--repeat`` samples (default 2). About a minute and a half.

Run: ``.venv/bin/python benchmarks/bench_dask.py [--strict] [--rounds N] [--repeat N]``
"""

from __future__ import annotations

import sys

import _common

import threadlab
from threadlab import Sample
from threadlab.worker import strategies

TASKS = 1000
WORKERS = 2
DURATION_S = 0.01
STRATEGIES = ("processes", "dask")
# Dask's documentation: "each task suffers about 1ms of overhead".
TARGET_MS = 1.0


def overhead_ms(sample: Sample, phase_only: bool) -> float:
    """Worker time outside the tasks, per task, in milliseconds."""
    spans = sample.spans
    wall = max(spans.end_s) - min(spans.start_s) if phase_only else sample.wall_s
    return (WORKERS * wall - sum(spans.durations())) / len(spans) * 1e3


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--rounds", type=int, default=2, help="points per strategy (default 2)")
    args_parser.add_argument("--repeat", type=int, default=2, help="samples per point (default 2)")
    args = args_parser.parse_args()
    _common.header(
        f"per-task overhead, dask against processes: {TASKS} tasks of sleep {DURATION_S * 1e3:g} ms "
        f"on {WORKERS} workers, {args.rounds} rounds × {args.repeat} samples"
    )
    reason = strategies.get("dask").unavailable_reason()
    if reason:
        print(f"   dask cannot run here: {reason}")
        verdict = _common.Verdict("dask per-task overhead, tasks phase", "not run", "<= 1 ms", False)
        return _common.finish([verdict], args.strict)

    samples: dict[str, list[Sample]] = {name: [] for name in STRATEGIES}
    for _ in range(args.rounds):
        for name in STRATEGIES:
            result = threadlab.run(
                "sleep",
                name,
                WORKERS,
                tasks=TASKS,
                repeat=args.repeat,
                warmup=1,
                params={"duration": DURATION_S},
                timeout=600,
            )
            (measurement,) = result.measurements
            if measurement.status != "ok":
                print(f"   {name}: status {measurement.status}: {measurement.errors}")
            samples[name].extend(measurement.samples)

    medians: dict[str, tuple[float, float]] = {}
    for name in STRATEGIES:
        found = samples[name]
        if not found:
            print(f"{name:10} no sample")
            continue
        whole = [overhead_ms(s, phase_only=False) for s in found]
        phase = [overhead_ms(s, phase_only=True) for s in found]
        medians[name] = (_common.median(whole), _common.median(phase))
        print(f"{name:10} wall            {_common.spread([s.wall_s for s in found])}")
        print(f"{'':10} first task at   {_common.spread([min(s.spans.start_s) for s in found])}")
        if name == "dask":
            print(f"{'':10} start-up        {_common.spread([s.spawn_s or 0.0 for s in found])}")
        print(f"{'':10} overhead/task   whole sample {_common.spread(whole, 'ms', 2)}")
        print(f"{'':10} overhead/task   tasks phase  {_common.spread(phase, 'ms', 2)}")

    verdicts = []
    if len(medians) == len(STRATEGIES):
        (dask_whole, dask_phase), (proc_whole, proc_phase) = medians["dask"], medians["processes"]
        print(f"ratio dask / processes, per-task overhead, tasks phase:  {dask_phase / proc_phase:.1f}×")
        print(f"ratio dask / processes, per-task overhead, whole sample: {dask_whole / proc_whole:.1f}×")
        verdicts.append(
            _common.Verdict(
                f"dask per-task overhead, tasks phase (median; {dask_phase / proc_phase:.1f}× processes)",
                f"{dask_phase:.2f} ms",
                f"<= {TARGET_MS:g} ms",
                dask_phase <= TARGET_MS,
            )
        )
    else:
        missing = _common.Verdict("dask per-task overhead, tasks phase", "no samples", "<= 1 ms", False)
        verdicts.append(missing)
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
