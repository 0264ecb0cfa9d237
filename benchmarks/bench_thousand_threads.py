"""1000 threads sleeping 1.0 s: threadlab's wall time against the classic demo.

What it measures:
    ``threadlab.run("sleep", "threads", 1000, params={"duration": 1.0},
    repeat=5, warmup=1)``: the median wall time of the 5 samples (each sample
    is one run of 1000 ``threading.Thread`` s, each sleeping 1.0 s, from
    before the threads are built to after the last is joined), their
    min–max, and ``Summary.spawn_median_s`` (time spent in ``Thread.start()``)
    in total and per thread.

Target (issue "Core"): wall median at most 1.10 s.

How: one ``threadlab.run`` call (one worker process, 1 warm-up, 5 samples).
From each sample's spans it also splits the wall time into: before the first
task started (building the Thread objects, starting the first), the start
loop (``spawn_s``), the last task's sleep, and the tail after the last task
ended. For comparison, a plain script (no threadlab) runs the same demo in a
fresh process, before and after threadlab's run (1 warm-up + 5 samples each),
timed the same way (build + start + join) and also as start + join only, so
the difference is threadlab's own overhead. ``--no-plain`` skips it.

Run: ``.venv/bin/python benchmarks/bench_thousand_threads.py [--strict] [--no-plain]``
"""

from __future__ import annotations

import sys

import _common

import threadlab

THREADS = 1000
DURATION = 1.0
TARGET_S = 1.10

PLAIN = f"""
import gc, threading, time
def task():
    time.sleep({DURATION})
for i in range(6):
    gc.collect()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=task) for _ in range({THREADS})]
    t1 = time.perf_counter()
    for t in threads:
        t.start()
    t2 = time.perf_counter()
    for t in threads:
        t.join()
    t3 = time.perf_counter()
    if i:  # the first is a warm-up
        print("build+start+join", t3 - t0)
        print("start+join", t3 - t1)
        print("spawn", t2 - t1)
"""


def plain_round() -> tuple[list[float], list[float], list[float]]:
    code, out, err, _ = _common.run_python(PLAIN)
    if code != 0:
        print(f"   plain script failed (exit {code}): {err.strip()[-500:]}")
        return [], [], []
    return (
        _common.floats_after("build+start+join", out),
        _common.floats_after("start+join", out),
        _common.floats_after("spawn", out),
    )


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--no-plain", action="store_true", help="skip the plain-script comparison")
    args = args_parser.parse_args()
    _common.header(f"{THREADS} threads sleeping {DURATION} s (threads strategy)")

    plain: tuple[list[float], list[float], list[float]] = ([], [], [])
    if not args.no_plain:
        plain = plain_round()

    result = threadlab.run("sleep", "threads", THREADS, params={"duration": DURATION}, repeat=5, warmup=1)
    ((measurement, summary),) = threadlab.summarise(result)
    if not args.no_plain:
        after = plain_round()
        plain = (plain[0] + after[0], plain[1] + after[1], plain[2] + after[2])

    if summary is None:
        print(f"   threadlab measured no sample: status {measurement.status}, errors {measurement.errors}")
        return _common.finish(
            [_common.Verdict("thousand-threads wall median", "no sample", f"<= {TARGET_S:.2f} s", False)],
            args.strict,
        )

    walls = [s.wall_s for s in measurement.samples]
    print(f"threadlab wall: {_common.spread(walls)}")
    print(f"threadlab samples: {', '.join(f'{w:.3f}' for w in walls)} s; status {measurement.status}")
    if summary.spawn_median_s is not None:
        print(
            f"threadlab spawn (Thread.start loop): median {summary.spawn_median_s:.3f} s "
            f"= {summary.spawn_median_s / THREADS * 1e6:.0f} µs per thread"
        )
    first = [min(s.spans.start_s) for s in measurement.samples]
    last = [max(s.spans.start_s) for s in measurement.samples]
    ends = [max(s.spans.end_s) for s in measurement.samples]
    tails = [s.wall_s - e for s, e in zip(measurement.samples, ends, strict=True)]
    slowest = [max(s.spans.durations()) for s in measurement.samples]
    print(
        "threadlab breakdown (medians): "
        f"first task started at {_common.median(first) * 1e3:.1f} ms, "
        f"last task started at {_common.median(last) * 1e3:.1f} ms, "
        f"last task ended at {_common.median(ends):.3f} s, "
        f"tail after it {_common.median(tails) * 1e3:.1f} ms, "
        f"slowest task {_common.median(slowest):.3f} s"
    )
    print(f"threadlab orchestration total (Measurement.elapsed_s): {measurement.elapsed_s:.2f} s for 6 runs")

    if plain[0]:
        print(f"plain script, build+start+join (as threadlab times it): {_common.spread(plain[0])}")
        print(f"plain script, start+join (Thread objects built before the clock): {_common.spread(plain[1])}")
        print(
            f"plain script spawn: median {_common.median(plain[2]):.3f} s "
            f"= {_common.median(plain[2]) / THREADS * 1e6:.0f} µs per thread"
        )
        print(
            "threadlab overhead vs plain build+start+join: "
            f"{(summary.wall_median_s - _common.median(plain[0])) * 1e3:+.0f} ms (median vs median)"
        )
    return _common.finish(
        [
            _common.Verdict(
                "thousand-threads wall median",
                f"{summary.wall_median_s:.3f} s",
                f"<= {TARGET_S:.2f} s",
                summary.wall_median_s <= TARGET_S,
            )
        ],
        args.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
