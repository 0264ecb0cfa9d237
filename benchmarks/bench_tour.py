"""``threadlab tour`` end to end: the seconds a user waits for the full tour.

What it measures:
    The wall time of ``.venv/bin/threadlab tour --quiet -o <tmp file>`` run as
    a subprocess, from start to exit, as a user would see it.

Targets: at most 60 s (issue "Core"); the seed's CPU lesson (the count loop on 2
workers: threads and processes against sequential) ends with both intervals within
±10% (issue "The first minute", part 1: not "too wide to tell").

How: one subprocess run (timeout ``--timeout``, default 300 s). If the command
fails, or does not exist yet, it says so (exit code and the tail of its
output) and counts as a MISS, without a traceback. When the results file was
written it also loads it with ``threadlab.load_result`` and prints where the
time went: the sum of the points' ``elapsed_s``, the sum of their timed
samples and warm-ups, and the slowest points, so that the rest (start-up,
rendering, saving the file after each point) can be told apart; then each
group's rounds (how many, why they ended, the widest interval, the time it was
given and took: a group that went on with the time others left shows it), and
the CPU lesson's speedups with their intervals' half-widths.

Run: ``.venv/bin/python benchmarks/bench_tour.py [--strict] [--timeout S] [--quick]``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common

import threadlab
from threadlab.analysis import relative_half_width, summarise
from threadlab.lessons._lessons import sizes

TARGET_S = 60.0
TARGET = f"<= {TARGET_S:.0f} s"
CPU_TARGET = 0.10  # the CPU lesson's intervals: ±10% or better


def command() -> list[str]:
    script = Path(sys.executable).parent / "threadlab"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from threadlab.cli import main; sys.exit(main())"]


def breakdown(out: Path) -> threadlab.Result | None:
    """Where the tour's time went, from its own results file; the result, where it could be read."""
    try:
        result = threadlab.load_result(out)
    except Exception as error:  # noqa: BLE001 - a report line, whatever went wrong
        print(f"results file not readable: {type(error).__name__}: {error}")
        return None
    rows = []
    for m in result.measurements:
        timed = sum(s.wall_s for s in (*m.samples, *m.warmups))
        rows.append((m.elapsed_s or 0.0, timed, m))
    elapsed = sum(r[0] for r in rows)
    timed = sum(r[1] for r in rows)
    print(
        f"results file: {out.stat().st_size / 1e6:.1f} MB, {len(rows)} points; "
        f"sum of elapsed_s {elapsed:.1f} s = {timed:.1f} s timed runs "
        f"+ {elapsed - timed:.1f} s per-point overhead"
    )
    for seconds, timed_s, m in sorted(rows, key=lambda r: r[0], reverse=True)[:5]:
        print(
            f"   {seconds:6.2f} s  {m.point.label()} (repeat {m.point.repeat}, warm-up {m.point.warmup}, "
            f"timed {timed_s:.2f} s, status {m.status})"
        )
    print(f"groups (max_time_s {result.spec.max_time_s:g} s shared out):")
    for rounds in result.rounds:
        first = result.measurements[rounds.points[0]].point
        reached = "-" if rounds.reached is None else f"±{rounds.reached:.1%}"
        print(
            f"   {first.workload_label():40.40} {rounds.rounds:3} rounds, {rounds.ended:8} {reached:>8}; "
            f"given {rounds.time_s:5.1f} s, rounds took {rounds.elapsed_s:5.1f} s, restarts {rounds.restarts}"
        )
    return result


def cpu_lesson(result: threadlab.Result) -> float | None:
    """The CPU lesson's threads and processes speedups, printed; the wider half-width (None: not found)."""
    iterations = sizes(False).iterations
    widths = []
    for measurement, found in summarise(result):
        point = measurement.point
        if (point.workload, point.python, point.workers) != ("count", result.spec.python, 2):
            continue
        if point.params.get("iterations") != iterations or point.strategy not in ("threads", "processes"):
            continue
        if found is None or found.speedup_vs_sequential is None or found.speedup_vs_sequential_ci is None:
            print(f"CPU lesson: {point.label()}: no speedup")
            return None
        low, high = found.speedup_vs_sequential_ci
        width = relative_half_width(found.speedup_vs_sequential, (low, high))
        widths.append(width)
        print(
            f"CPU lesson: {point.strategy} ×2 {found.speedup_vs_sequential:.2f}× "
            f"(95% CI {low:.2f}–{high:.2f}×), ±{width:.1%} after {len(measurement.samples)} samples"
        )
    return max(widths) if len(widths) == 2 else None


def main() -> int:
    args_parser = _common.parser(__doc__)
    args_parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    args_parser.add_argument("--quick", action="store_true", help="time `tour --quick` instead (no target)")
    args = args_parser.parse_args()
    _common.header("threadlab tour" + (" --quick" if args.quick else "") + ", end to end")

    with tempfile.TemporaryDirectory(prefix="threadlab-bench-tour-") as folder:
        out = Path(folder) / "tour.json"
        argv = [*command(), "tour", "--quiet", "-o", str(out)] + (["--quick"] if args.quick else [])
        print(f"command: {' '.join(argv)}")
        started = time.perf_counter()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=args.timeout, check=False)
        except subprocess.TimeoutExpired:
            seconds = time.perf_counter() - started
            print(f"the tour was still running after {seconds:.0f} s and was stopped")
            return _common.finish(
                [_common.Verdict("tour end to end", f"timed out after {seconds:.0f} s", TARGET, False)],
                args.strict,
            )
        except OSError as error:
            print(f"the tour could not be started: {error}")
            return _common.finish(
                [_common.Verdict("tour end to end", "could not start", TARGET, False)],
                args.strict,
            )
        seconds = time.perf_counter() - started
        print(f"tour wall time: {seconds:.1f} s (exit code {done.returncode})")
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
            print("the tour FAILED; last lines of its output:")
            for line in tail:
                print(f"   | {line}")
        result = breakdown(out) if out.exists() else None
        width = None if result is None else cpu_lesson(result)
        figure = f"{seconds:.1f} s" + ("" if done.returncode == 0 else f" (FAILED, exit {done.returncode})")
        name = "tour --quick end to end (no target; informative)" if args.quick else "tour end to end"
        verdicts = [_common.Verdict(name, figure, TARGET, done.returncode == 0 and seconds <= TARGET_S)]
        if not args.quick:
            verdicts.append(
                _common.Verdict(
                    "tour's CPU lesson, widest of threads/processes interval",
                    "not found" if width is None else f"±{width:.1%}",
                    f"<= ±{CPU_TARGET:.0%}",
                    width is not None and width <= CPU_TARGET,
                )
            )
        return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
