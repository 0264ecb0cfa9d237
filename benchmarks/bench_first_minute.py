"""The first minute: how long ``threadlab run`` takes to an answer, beside the work's own time.

What it measures (issue "The first minute", part 1), each command through
the command line (``python -m threadlab run ... -q -o FILE``), timed whole:

1. the six commands of the issue's table, five of them sleeps, each timed
   beside its work: one round (one sample of every point) as the issue's
   table gives it (1000 threads: 1.2 s, their start-up with the sleep),
   and for the sleeps the target of 2 s plus 7 rounds (a warm-up and six
   rounds);
2. the count loop's stability: ``--runs`` runs (default 6) of ``run -w count
   -s sequential,threads,processes -n 2 --tasks 2 -p iterations=3000000``,
   each one's recommendation, processes' speedup and interval, its
   half-width and the command's time, read back from its results file, with
   what the run's noise monitor read of the machine: the cores that ran in
   parallel (its capacity probes, lowest and highest) and how much the
   calibration loop's speed varied. Intervals that do not share a value
   can then be checked against what the machine gave each run.

Targets: every sleep command within 2 s + 7 rounds of its work (one sleep:
9 s; the 0.1 s pair: 4.1 s); the count loop recommends processes in every
run, the processes intervals all share a value, their median half-width is
at most 10%, and the median time is at most 30 s. The sixth command (the
count loop on two strategies) is timed and shown, with no target of its own.

The figures depend on how busy the machine is: the load average is printed
at the start and beside every command.

Run: ``.venv/bin/python benchmarks/bench_first_minute.py [--strict] [--runs 6] [--skip-count]``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common

from threadlab.analysis import analyse, baselines, noise_report, relative_half_width, speedup
from threadlab.model import Result
from threadlab.orchestrate._store import load_result

# A sleep command may take the work of a warm-up and six rounds, and 2 s for everything else.
ROUNDS_ALLOWED = 7
FIXED_ALLOWED_S = 2.0
COUNT_RUNS = 6
COUNT_WIDEST_MEDIAN = 0.10
COUNT_MEDIAN_TIME_S = 30.0

# (the command's words after ``run``, one round of its work in seconds, held to the target)
COMMANDS: tuple[tuple[str, float, bool], ...] = (
    ("-w sleep -s sequential -n 1 -p duration=1", 1.0, True),
    ("-w sleep -s sequential -n 1 --tasks 2 -p duration=1", 2.0, True),
    ("-w sleep -s threads -n 1000 -p duration=1", 1.2, True),
    ("-w sleep -s sequential,threads -n 2 --tasks 2 -p duration=1", 3.0, True),
    ("-w sleep -s sequential,threads -n 2 --tasks 2 -p duration=0.1", 0.3, True),
    ("-w count -s sequential,threads -n 2 --tasks 2", 2.0, False),
)
COUNT = "-w count -s sequential,threads,processes -n 2 --tasks 2 -p iterations=3000000"


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def timed_run(words: str, out: Path) -> float:
    """Run ``threadlab run WORDS -q -o OUT`` in a fresh process; its wall time in seconds."""
    command = [sys.executable, "-m", "threadlab", "run", *words.split(), "-q", "-o", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"threadlab run {words} failed ({done.returncode}): {done.stderr.strip()}")
    return time.perf_counter() - started


def main() -> int:
    parser = _common.parser(__doc__)
    parser.add_argument("--runs", type=int, default=COUNT_RUNS, help="runs of the count loop")
    parser.add_argument("--skip-count", action="store_true", help="leave out the count loop's runs")
    args = parser.parse_args()
    _common.header("first minute: threadlab run to an answer")
    verdicts = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        print(f"   {'command':<62} {'round':>6} {'time':>7} {'target':>7} {'rounds':>6}  load")
        for words, round_s, held in COMMANDS:
            taken = timed_run(words, out)
            result = load_result(out)
            rounds = sum(r.rounds for r in result.rounds)
            target = FIXED_ALLOWED_S + ROUNDS_ALLOWED * round_s
            shown = f"{target:.1f} s" if held else "-"
            print(f"   {words:<62} {round_s:>5.1f}s {taken:>6.1f}s {shown:>7} {rounds:>6}  {load():.2f}")
            if held:
                verdicts.append(
                    _common.Verdict(f"run {words}", f"{taken:.1f} s", f"<= {target:.1f} s", taken <= target)
                )
        if not args.skip_count:
            verdicts.extend(count_stability(args.runs, out))
    return _common.finish(verdicts, args.strict)


def machine(result: Result) -> str:
    """What the noise monitor read beside a run: the capacity probes' range and the speed's variation."""
    if result.noise is None:
        return "machine not read"
    report = noise_report(result.noise)
    probes = result.noise.capacity_cores
    capacity = f"capacity {min(probes):.2f}-{max(probes):.2f} cores" if probes else "no capacity probe"
    varied = report.speed_variation
    speed = "speed not read" if varied is None else f"speed varied {varied:.0%}"
    return f"{capacity}, {speed}"


def count_stability(runs: int, out: Path) -> list[_common.Verdict]:
    """The count loop ``runs`` times: what each recommends, processes' interval, and the time."""
    print(f"   run {COUNT}, {runs} times:")
    times, widths, intervals, chosen = [], [], [], []
    for number in range(runs):
        taken = timed_run(COUNT, out)
        result = load_result(out)
        (recommendation,) = analyse(result).recommendations
        every = baselines(result.measurements)
        (processes, base) = next(
            (m, b) for m, b in zip(result.measurements, every, strict=True) if m.point.strategy == "processes"
        )
        paired = None if base is None else speedup(processes, base)
        if paired is None:
            print(f"   run {number + 1}: processes has no speedup")
            continue
        centre, interval, _ = paired
        width = relative_half_width(centre, interval)
        rounds = sum(r.rounds for r in result.rounds)
        times.append(taken)
        widths.append(width)
        intervals.append(interval)
        chosen.append(recommendation.strategy)
        print(
            f"   run {number + 1}: recommends {recommendation.strategy}; processes {centre:.2f}x "
            f"[{interval[0]:.2f}, {interval[1]:.2f}] ±{width:.1%}; {rounds} rounds; {taken:.1f} s; "
            f"load {load():.2f}; {machine(result)}"
        )
    agree = bool(intervals) and max(low for low, _ in intervals) <= min(high for _, high in intervals)
    return [
        _common.Verdict(
            "count loop recommends processes",
            f"{chosen.count('processes')} of {runs} runs",
            f"{runs} of {runs}",
            chosen.count("processes") == runs,
        ),
        _common.Verdict(
            "count loop processes intervals share a value",
            "yes" if agree else "no",
            "yes",
            agree,
        ),
        _common.Verdict(
            "count loop median half-width",
            f"±{statistics.median(widths):.1%}" if widths else "none",
            f"<= ±{COUNT_WIDEST_MEDIAN:.0%}",
            bool(widths) and statistics.median(widths) <= COUNT_WIDEST_MEDIAN,
        ),
        _common.Verdict(
            "count loop median time",
            f"{statistics.median(times):.1f} s" if times else "none",
            f"<= {COUNT_MEDIAN_TIME_S:.0f} s",
            bool(times) and statistics.median(times) <= COUNT_MEDIAN_TIME_S,
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
