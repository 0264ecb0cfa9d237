"""100,000 asyncio sleeps of 1.0 s: the event loop's wall time, and what shipping the spans costs.

What it measures:
    ``threadlab.run("sleep", "asyncio", 100000, params={"duration": 1.0},
    repeat=3, warmup=1)``: the median wall time of the 3 samples (each one
    ``asyncio.run`` of 100,000 coroutines that each ``await asyncio.sleep(1.0)``),
    their min–max, the loop's CPU/wall, ``Measurement.elapsed_s`` (the whole
    point from the orchestrator: worker start, 4 runs, building and shipping
    100,000 spans per sample as JSON, parsing them back), and the size of the
    results JSON (``json.dumps(result.to_json())``) with the time to build it.

Target (issue "Core"): wall median at most 2.0 s.

How: one ``threadlab.run`` call. From each sample's spans it splits the wall
time into: before the first task started (creating the coroutines and
tasks), when the last task started, when the last task ended, and the tail.
The orchestration overhead is ``elapsed_s`` minus the sum of the samples' and
warm-up's wall times. For comparison, a plain script in a fresh process runs
``asyncio.gather(*(asyncio.sleep(1.0) for _ in range(100000)))`` (1 warm-up
+ 3 samples) with the garbage collector on (as threadlab runs) and off (as
``timeit`` runs). ``--no-plain`` skips it.

Run: ``.venv/bin/python benchmarks/bench_asyncio_sleeps.py [--strict] [--no-plain]``
"""

from __future__ import annotations

import json
import sys
import time

import _common

import threadlab

TASKS = 100_000
DURATION = 1.0
TARGET_S = 2.0

PLAIN = f"""
import asyncio, gc, time
async def main():
    await asyncio.gather(*(asyncio.sleep({DURATION}) for _ in range({TASKS})))
for gc_on in (True, False):
    for i in range(4):
        gc.collect()
        if not gc_on:
            gc.disable()
        t0 = time.perf_counter()
        c0 = time.process_time()
        asyncio.run(main())
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        gc.enable()
        if i:  # the first is a warm-up
            print("gc-on" if gc_on else "gc-off", wall, cpu)
"""


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--no-plain", action="store_true", help="skip the plain-script comparison")
    args = args_parser.parse_args()
    _common.header(f"{TASKS:,} asyncio sleeps of {DURATION} s (asyncio strategy)")

    started = time.perf_counter()
    result = threadlab.run("sleep", "asyncio", TASKS, params={"duration": DURATION}, repeat=3, warmup=1)
    api_s = time.perf_counter() - started
    ((measurement, summary),) = threadlab.summarise(result)
    if summary is None:
        print(f"   threadlab measured no sample: status {measurement.status}, errors {measurement.errors}")
        return _common.finish(
            [_common.Verdict("asyncio-100k wall median", "no sample", f"<= {TARGET_S:.1f} s", False)],
            args.strict,
        )

    walls = [s.wall_s for s in measurement.samples]
    print(f"threadlab wall: {_common.spread(walls)}")
    print(
        f"threadlab samples: {', '.join(f'{w:.3f}' for w in walls)} s "
        f"(warm-up {', '.join(f'{s.wall_s:.3f}' for s in measurement.warmups)} s); "
        f"status {measurement.status}"
    )
    if summary.cpu_per_wall is not None:
        print(f"threadlab CPU/wall median: {summary.cpu_per_wall:.2f} (1.00 = the loop's thread never idle)")
    first = [min(s.spans.start_s) for s in measurement.samples]
    last = [max(s.spans.start_s) for s in measurement.samples]
    ends = [max(s.spans.end_s) for s in measurement.samples]
    tails = [s.wall_s - e for s, e in zip(measurement.samples, ends, strict=True)]
    print(
        "threadlab breakdown (medians): "
        f"first task started at {_common.median(first):.3f} s, "
        f"last task started at {_common.median(last):.3f} s, "
        f"last task ended at {_common.median(ends):.3f} s, "
        f"tail after it {_common.median(tails) * 1e3:.0f} ms"
    )
    timed = sum(s.wall_s for s in (*measurement.samples, *measurement.warmups))
    elapsed = measurement.elapsed_s or float("nan")
    print(
        f"orchestration total (Measurement.elapsed_s): {elapsed:.2f} s "
        f"= {timed:.2f} s of timed runs + {elapsed - timed:.2f} s overhead "
        f"({(elapsed - timed) / (len(measurement.samples) + len(measurement.warmups)):.2f} s per run); "
        f"threadlab.run() returned after {api_s:.2f} s"
    )
    started = time.perf_counter()
    document = result.to_json()
    built_s = time.perf_counter() - started
    started = time.perf_counter()
    text = json.dumps(document)
    dumped_s = time.perf_counter() - started
    spans = sum(len(s.spans) for s in (*measurement.samples, *measurement.warmups))
    print(
        f"results JSON: {len(text) / 1e6:.1f} MB for {spans:,} spans "
        f"({len(text) / max(spans, 1):.0f} bytes per span); "
        f"Result.to_json() {built_s:.2f} s + json.dumps {dumped_s:.2f} s"
    )

    if not args.no_plain:
        code, out, err, _ = _common.run_python(PLAIN)
        if code != 0:
            print(f"plain script failed (exit {code}): {err.strip()[-500:]}")
        else:
            for label in ("gc-on", "gc-off"):
                rows = [line.split() for line in out.splitlines() if line.startswith(label + " ")]
                plain_walls = [float(row[1]) for row in rows]
                plain_cpu = [float(row[2]) for row in rows]
                print(
                    f"plain asyncio.gather script, {label}: {_common.spread(plain_walls)}, "
                    f"CPU median {_common.median(plain_cpu):.2f} s"
                )
    return _common.finish(
        [
            _common.Verdict(
                "asyncio-100k wall median",
                f"{summary.wall_median_s:.3f} s",
                f"<= {TARGET_S:.1f} s",
                summary.wall_median_s <= TARGET_S,
            )
        ],
        args.strict,
    )


if __name__ == "__main__":
    sys.exit(main())
