"""What every benchmark script shares: the header, the verdict lines, the exit code.

Each script prints one ``TARGET`` line per target it checks::

    TARGET [PASS] thousand-threads wall median: 1.094 s (target <= 1.10 s)

``run_all.py`` collects those lines into its summary table, so their shape is
fixed here and nowhere else. A script exits 0 whatever the verdicts, unless it
is given ``--strict``, when any MISS makes it exit 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import threadlab

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Verdict:
    """One target checked: its name, the figure measured, the target, and whether it was met."""

    name: str
    figure: str
    target: str
    met: bool

    def line(self) -> str:
        return f"TARGET [{'PASS' if self.met else 'MISS'}] {self.name}: {self.figure} (target {self.target})"


def parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--strict`` already on it."""
    first = (description or "").strip().splitlines()[0] if description else None
    found = argparse.ArgumentParser(description=first)
    found.add_argument("--strict", action="store_true", help="exit 1 if any target is missed")
    return found


def header(title: str) -> None:
    """Say what runs where, and how busy the machine was when it started."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"== {title}")
    print(
        f"   threadlab {threadlab.__version__} · Python {platform.python_version()} "
        f"({sys.executable}) · {os.cpu_count()} CPUs · load average {load:.2f} at start"
    )
    if load > (os.cpu_count() or 1) / 2:
        print("   WARNING: the machine is busy (load average above half its CPUs); figures are suspect")


def finish(verdicts: Sequence[Verdict], strict: bool) -> int:
    """Print the verdict lines; the exit code (1 only for a miss under ``--strict``)."""
    if hasattr(os, "getloadavg"):
        print(f"   load average {os.getloadavg()[0]:.2f} at end")
    for verdict in verdicts:
        print(verdict.line())
    return 1 if strict and not all(v.met for v in verdicts) else 0


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], unit: str = "s", digits: int = 3) -> str:
    """``median 1.094 s (min 1.081 – max 1.120 s, n=5)``."""
    return (
        f"median {median(values):.{digits}f} {unit} "
        f"(min {min(values):.{digits}f} – max {max(values):.{digits}f} {unit}, n={len(values)})"
    )


def run_python(code: str, timeout: float = 600.0) -> tuple[int, str, str, float]:
    """Run ``code`` in a fresh process of this Python; (exit code, stdout, stderr, seconds)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - started


def floats_after(prefix: str, text: str) -> list[float]:
    """The numbers printed on lines starting with ``prefix`` (plain comparison scripts)."""
    return [float(line.split()[1]) for line in text.splitlines() if line.startswith(prefix + " ")]
