"""Verdicts that don't flip: the same question asked again and again, back to back, with default settings.

The "done when" of the issue on trustworthy answers, measured as it is
stated:

* ``--runs`` (default 6) runs of ``threadlab run -w count -s
  sequential,threads,processes -n 2 --tasks 2 -p iterations=3000000`` with
  default precision and time: every run recommends processes (or at most
  one in four says too noisy), the recommended intervals share a common
  value, their median half-width is at most 10%, and every threads interval
  meets the band 0.90–1.05 with none claiming a gain (lower bound above 1.05);
* the same with ``sequential,threads,interpreters`` under Python 3.13 (where
  one is found), recommending interpreters;
* ``--advise-runs`` (default 3) runs of ``advise`` on a function that returns
  ``x + 1``: "stay sequential" every time.

Each run goes through the public API (``threadlab.run``, ``threadlab.advise``)
as a user's script would; the figures judged are the ones the analysis
reports. About 5 minutes per part on a 2-core machine.

Usage: ``.venv/bin/python benchmarks/bench_verdicts.py [--runs 6] [--advise-runs 3]
[--only count|interpreters|advise]``
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

import _common

import threadlab
from threadlab.analysis import Recommendation
from threadlab.render import advice_text, machine_line_of

ITERATIONS = 3_000_000
# Where the threads' interval must reach, and the gain none of them may claim.
THREADS_BAND = (0.90, 1.05)
CLAIMED_GAIN = 1.05
MOST_TOO_NOISY = 0.25
MOST_HALF_WIDTH = 0.10


def _recommendation(result: threadlab.Result) -> Recommendation:
    (found,) = threadlab.analyse(result).recommendations
    return found


def _threads_interval(result: threadlab.Result) -> tuple[float, float] | None:
    for measurement, summary in threadlab.summarise(result):
        if measurement.point.strategy == "threads" and summary is not None:
            return summary.speedup_vs_sequential_ci
    return None


def _noise(result: threadlab.Result) -> str:
    return machine_line_of(result) or "-"


def _runs(strategies: str, expected: str, runs: int, python: str | None) -> list[_common.Verdict]:
    title = f"run -w count -s {strategies} -n 2 --tasks 2 -p iterations={ITERATIONS:,}"
    print(f"\n-- {runs} × {title}" + (f" --python {python}" if python else ""))
    recommended: list[Recommendation] = []
    threads: list[tuple[float, float] | None] = []
    for number in range(1, runs + 1):
        result = threadlab.run(
            "count",
            strategies.split(","),
            2,
            tasks=2,
            params={"iterations": ITERATIONS},
            python=python,
        )
        found = _recommendation(result)
        recommended.append(found)
        threads.append(_threads_interval(result))
        (rounds,) = result.rounds
        interval = "-" if found.interval is None else f"[{found.interval[0]:.2f}, {found.interval[1]:.2f}]"
        shown = threads[-1]
        print(
            f"   run {number}: {found.strategy or 'too noisy'} ×{found.workers or '-'} "
            f"{found.speedup or 0:.2f}× {interval}; threads "
            f"{'-' if shown is None else f'[{shown[0]:.2f}, {shown[1]:.2f}]'}; "
            f"{rounds.rounds} rounds in {rounds.elapsed_s:.0f} s, ended {rounds.ended}"
        )
        print(textwrap.indent(_noise(result), "      "))
    chosen = [r for r in recommended if r.strategy == expected]
    too_noisy = [r for r in recommended if r.strategy is None]
    others = [r for r in recommended if r.strategy not in (expected, None)]
    intervals = [r.interval for r in chosen if r.interval is not None]
    common = bool(intervals) and max(low for low, _ in intervals) <= min(high for _, high in intervals)
    widths = [
        (high - low) / 2 / r.speedup for r, (low, high) in zip(chosen, intervals, strict=True) if r.speedup
    ]
    band_met = all(
        t is not None and t[0] <= THREADS_BAND[1] and t[1] >= THREADS_BAND[0] and t[0] <= CLAIMED_GAIN
        for t in threads
    )
    name = f"{strategies} ({python or 'this Python'})"
    return [
        _common.Verdict(
            f"{name}: recommends {expected}",
            f"{len(chosen)} of {runs} ({len(too_noisy)} too noisy, {len(others)} other)",
            f"all, or too noisy in at most {MOST_TOO_NOISY:.0%}",
            not others and len(too_noisy) <= MOST_TOO_NOISY * runs,
        ),
        _common.Verdict(
            f"{name}: the recommended intervals share a value",
            "yes" if common else "no",
            "yes",
            common,
        ),
        _common.Verdict(
            f"{name}: median half-width of the recommended intervals",
            f"±{statistics.median(widths):.1%}" if widths else "-",
            f"<= ±{MOST_HALF_WIDTH:.0%}",
            bool(widths) and statistics.median(widths) <= MOST_HALF_WIDTH,
        ),
        _common.Verdict(
            f"{name}: threads intervals meet {THREADS_BAND[0]:.2f}–{THREADS_BAND[1]:.2f}, "
            f"none above {CLAIMED_GAIN}",
            ", ".join("-" if t is None else f"[{t[0]:.2f}, {t[1]:.2f}]" for t in threads),
            "every one",
            band_met,
        ),
    ]


def _advise(runs: int) -> list[_common.Verdict]:
    print(f"\n-- {runs} × advise on a function that returns x + 1")
    said: list[str | None] = []
    with tempfile.TemporaryDirectory(prefix="bench-verdicts-") as scratch:
        path = Path(scratch) / "tiny.py"
        path.write_text("def tiny(x=1):\n    return x + 1\n", encoding="utf-8")
        for number in range(1, runs + 1):
            advice = threadlab.advise(f"{path}:tiny")
            found = advice.recommendation
            said.append(None if found is None else found.strategy)
            print(f"   run {number}: {advice_text(found) if found else 'no recommendation'}")
    stays = sum(1 for strategy in said if strategy == "sequential")
    return [
        _common.Verdict(
            "advise x + 1: stay sequential",
            f"{stays} of {runs}",
            f"{runs} of {runs}",
            stays == runs,
        )
    ]


def _python_313() -> str | None:
    try:
        threadlab.run(
            "sleep", "interpreters", 2, params={"duration": 0.0}, python="3.13", max_time=0.1, repeat=1
        )
    except threadlab.SpecError as error:
        print(f"\n-- no Python 3.13 with subinterpreters here: {error}")
        return None
    return "3.13"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _common.parser(__doc__)
    parser.add_argument("--runs", type=int, default=6, help="runs of each `threadlab run` (default 6)")
    parser.add_argument("--advise-runs", type=int, default=3, help="runs of advise (default 3)")
    parser.add_argument("--only", choices=("count", "interpreters", "advise"), default=None)
    args = parser.parse_args(argv)
    _common.header("verdicts that don't flip: the same question, again and again, default settings")
    verdicts: list[_common.Verdict] = []
    if args.only in (None, "count"):
        verdicts += _runs("sequential,threads,processes", "processes", args.runs, None)
    if args.only in (None, "interpreters"):
        python = _python_313()
        if python is not None:
            verdicts += _runs("sequential,threads,interpreters", "interpreters", args.runs, python)
    if args.only in (None, "advise"):
        verdicts += _advise(args.advise_runs)
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
