"""Run every benchmark, one after another, and print a summary table of the targets.

What it does: runs each ``bench_*.py`` of this folder in a fresh process of
this Python, one at a time (they measure timing; running two at once on a
2-core machine would spoil both), shows their output as it comes, collects
their ``TARGET [PASS|MISS] name: figure (target ...)`` lines, and ends with a
table: target, figure, target value, verdict, script, seconds taken.

Exit code: 0, unless ``--strict`` is given and a target was missed or a
script crashed (then 1).

Run: ``.venv/bin/python benchmarks/run_all.py [--strict] [--only NAME ...] [--skip NAME ...]``
(NAME as in ``thousand_threads`` for ``bench_thousand_threads.py``). It takes
a few minutes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The order they run in: the cheap, stable ones first, the tour last.
ORDER = ("cpu_loop", "overhead", "thousand_threads", "asyncio_sleeps", "tour")
TARGET = re.compile(r"^TARGET \[(PASS|MISS)\] (.*?): (.*) \(target (.*)\)$")


def scripts(only: list[str], skip: list[str]) -> list[Path]:
    found = {p.stem.removeprefix("bench_"): p for p in HERE.glob("bench_*.py")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    if only:
        names = [n for n in names if n in only]
    return [found[n] for n in names if n not in skip]


def run(script: Path) -> tuple[int, list[str], float]:
    """Run one script, echoing its output; (exit code, its lines, seconds)."""
    print(f"\n$ {Path(sys.executable).name} benchmarks/{script.name}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    return process.wait(), lines, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and summarise the targets.")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--only", nargs="*", default=[], help="run only these (e.g. cpu_loop tour)")
    parser.add_argument("--skip", nargs="*", default=[], help="do not run these")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str, str, str]] = []
    for script in scripts(args.only, args.skip):
        code, lines, seconds = run(script)
        found = [TARGET.match(line) for line in lines]
        matched = [m for m in found if m]
        for m in matched:
            rows.append((m.group(2), m.group(3), m.group(4), m.group(1), script.name, f"{seconds:.0f} s"))
        if code != 0 or not matched:
            rows.append(("(script)", f"exit code {code}", "exit 0", "CRASH", script.name, f"{seconds:.0f} s"))

    header = ("target", "figure", "target value", "verdict", "script", "took")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    print("\n== summary")
    for row in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    missed = [r for r in rows if r[3] != "PASS"]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} targets met")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
