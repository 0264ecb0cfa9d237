"""Saving after each point: does a save cost the same at point 1 and at point 200?

What it measures:
    A run saves its results file after every round, so a long run saves a
    growing result again and again (issue 11: "Saving after each point costs
    the same at point 1 and at point 200"). This script builds a synthetic
    ``Result`` that grows one point at a time to ``--points`` points
    (default 200: groups of four points, sequential ×1 and threads,
    processes and thread-pool ×2, each with 5 samples of 2 tasks, one
    warm-up and per-task spans, as a real run records them) and times one
    save after each added point, two ways:

    * ``ResultsWriter.save`` on one writer for the whole run, given the
      summaries ``summaries_kept`` computes again only for the points that
      changed, as ``orchestrate._execute`` does: the writer keeps the JSON
      text of every point whose summary has not changed, so it serialises
      only the new one;
    * ``save_result`` (a new writer each time), given every summary computed
      again: every point serialised again, with its summary, at every save:
      the cost grows with the points.

    It prints the median save time at points 1-10 and at points
    (N-9)-N, and their ratio, for both; the file's size at points 10 and N;
    and, to tell the cost of the bytes from the cost of the rest, the time
    it takes to encode the same text and ``write_atomically`` it again
    alone, right after each of the writer's saves, and the writer's save
    time beyond that, paired save by save.

Target (issue 11, and ``orchestrate/_store.py``'s own claim: "a save costs
the same at point 1 and at point 200, but for the bytes written"): the
writer's save time beyond writing its bytes (encoding the file's text and
``write_atomically``, timed again alone right after each save) is at most
``RATIO_MAX`` times as long at points 191-200 as at points 1-10. The whole
save cannot stay flat while the file it rewrites grows 20-fold; the naive
save's ratio shows what the writer is there to avoid.

How: the growth is repeated ``--repeat`` times (default 3), in a temporary
directory, and each median is taken over all saves of its ten points in
all repeats; nothing runs a worker, so the figures are the saving's alone.
The machine's speed drifts from minute to minute: the two ways are
interleaved repeat by repeat, so that a slow phase falls on both.

Run: ``.venv/bin/python benchmarks/bench_saving.py [--strict] [--points N] [--repeat R]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common

from threadlab.analysis import summarise
from threadlab.model import Environment, Measurement, Point, Result, Sample, Spec, TaskSpans
from threadlab.orchestrate._execute import summaries_kept
from threadlab.orchestrate._store import ResultsWriter, save_result, write_atomically

STRATEGIES = (("sequential", 1), ("threads", 2), ("processes", 2), ("thread-pool", 2))
SAMPLES = 5
TASKS = 2
# Beyond writing its bytes, the writer's save may cost this many times as much at the last ten
# points as at the first ten: serialising one new point is the same work at both ends, and what
# else grows with the points (joining their kept texts, one dict lookup each) is small beside it.
RATIO_MAX = 2.0


def spans(offset: float) -> TaskSpans:
    return TaskSpans(
        start_s=tuple(offset + 0.0001 * i for i in range(TASKS)),
        end_s=tuple(offset + 0.0201 + 0.0001 * i for i in range(TASKS)),
        cpu_s=tuple(0.0002 + 0.00001 * i for i in range(TASKS)),
        worker=tuple(i % 2 for i in range(TASKS)),
        ok=(True,) * TASKS,
        workers=("4242:140001", "4242:140002"),
    )


def sample(index: int, number: int | None) -> Sample:
    """A plausible sample of the ``index``-th point, in round ``number`` (None: a warm-up)."""
    wall = 0.02 + (index % 7) * 0.001 + (number or 0) * 0.0001
    return Sample(
        wall_s=wall,
        cpu_user_s=0.0011,
        cpu_sys_s=0.0004,
        ctx_voluntary=9,
        ctx_involuntary=1,
        max_rss_bytes=24_000_000 + index,
        spawn_s=0.0002,
        tasks_ok=TASKS,
        spans=spans(0.0001 * index),
        round=number,
        started_at=None if number is None else 1_750_000_000.0 + index * 0.1 + (number or 0) * 0.01,
    )


def measurement(index: int) -> Measurement:
    """The ``index``-th point: its group is ``index // 4``, its strategy ``index % 4``."""
    strategy, workers = STRATEGIES[index % len(STRATEGIES)]
    point = Point(
        "count",
        strategy,
        workers,
        TASKS,
        params={"iterations": 1000 * (index // len(STRATEGIES) + 1)},
        python=sys.executable,
        repeat=SAMPLES,
    )
    return Measurement(
        point,
        "ok",
        samples=tuple(sample(index, r) for r in range(SAMPLES)),
        warmups=(sample(index, None),),
        elapsed_s=0.5,
    )


def grow(
    points: int, save: Callable[[Result], None], after: Callable[[Result], None] | None = None
) -> list[float]:
    """Save after each added point; the seconds each save took, in order (``after``: untimed)."""
    spec = Spec(("count",), tuple(name for name, _ in STRATEGIES), (1, 2), tasks=TASKS, repeat=SAMPLES)
    environment = Environment("3.13.1", sys.executable, False, True, 2, "Linux", "0", "2025-06-15T12:00:00Z")
    measured: list[Measurement] = []
    times = []
    for index in range(points):
        measured.append(measurement(index))
        result = Result(spec, environment, tuple(measured))
        started = time.perf_counter()
        save(result)
        times.append(time.perf_counter() - started)
        if after is not None:
            after(result)
    return times


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--points", type=int, default=200, help="points to grow to (default 200)")
    args_parser.add_argument("--repeat", type=int, default=3, help="times to grow the result (default 3)")
    args = args_parser.parse_args()
    points = max(args.points, 20)
    _common.header(f"saving after each point, 1 to {points} points, {args.repeat} repeats")

    writer_times: list[list[float]] = []
    naive_times: list[list[float]] = []
    # After each of the writer's saves, the same bytes written again alone, right then: what
    # the save cost beyond writing its bytes is the difference, paired save by save.
    write_times: list[list[float]] = []
    sizes: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-saving-") as scratch:
        path = Path(scratch) / "results.json"

        def naive(result: Result) -> None:
            save_result(result, path, summaries=[s for _, s in summarise(result)])

        for _ in range(args.repeat):
            writes: list[float] = []

            def write_again(result: Result, writes: list[float] = writes) -> None:
                text = path.read_text(encoding="utf-8")
                sizes[len(result.measurements)] = len(text)
                started = time.perf_counter()
                write_atomically(path, text.encode("utf-8"))
                writes.append(time.perf_counter() - started)

            with ResultsWriter(path) as writer:  # its lock released at each repeat's end
                kept: dict[int, Any] = {}

                def save(result: Result, writer: ResultsWriter = writer, kept: dict[int, Any] = kept) -> None:
                    writer.save(result, summaries=summaries_kept(result.measurements, kept))

                writer_times.append(grow(points, save, write_again))
            write_times.append(writes)
            naive_times.append(grow(points, naive))

    first, last = range(0, 10), range(points - 10, points)
    beyond = [
        [s - w for s, w in zip(saves, writes, strict=True)]
        for saves, writes in zip(writer_times, write_times, strict=True)
    ]

    def at(times: list[list[float]], where: range) -> float:
        return _common.median([run[i] for run in times for i in where])

    print(
        f"the file: {sizes[10] / 1e3:.1f} KB at point 10, {sizes[points] / 1e3:.1f} KB at point {points}; "
        f"encoding and writing its text alone: median {at(write_times, first) * 1e3:.2f} ms at points 1-10, "
        f"{at(write_times, last) * 1e3:.2f} ms at points {points - 9}-{points}"
    )
    verdicts = []
    for name, times in (
        ("ResultsWriter.save (one writer)", writer_times),
        ("save_result (a new writer each time)", naive_times),
    ):
        early, late = at(times, first), at(times, last)
        print(
            f"{name:38} points 1-10: median {early * 1e3:7.2f} ms   points {points - 9}-{points}: "
            f"median {late * 1e3:7.2f} ms   ratio {late / early:5.1f}×"
        )
        if name.startswith("ResultsWriter"):
            more_early, more_late = at(beyond, first), at(beyond, last)
            print(
                f"{'  of it, beyond writing the bytes':38} points 1-10: median {more_early * 1e3:7.2f} ms"
                f"   points {points - 9}-{points}: median {more_late * 1e3:7.2f} ms"
                f"   ratio {more_late / more_early:5.1f}×"
            )
            verdicts.append(
                _common.Verdict(
                    f"writer save beyond its bytes, points {points - 9}-{points} against 1-10 "
                    f"({more_early * 1e3:.2f} → {more_late * 1e3:.2f} ms)",
                    f"{more_late / more_early:.2f}×",
                    f"<= {RATIO_MAX:g}×",
                    more_late / more_early <= RATIO_MAX,
                )
            )
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
