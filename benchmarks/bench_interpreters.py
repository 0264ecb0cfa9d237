"""Subinterpreters on 2 workers, and the time to find the Pythons of this machine.

What it measures:
    (a) ``threadlab.run("count", ["sequential", "threads", "interpreters"], [2],
        repeat=5, python=P)`` for each CPython 3.12 and 3.13 installed here
        (warm-up 1, ``iterations`` at its default of 10**7): T = 2 tasks,
        and the speedup printed is ``Summary.speedup_vs_sequential``. The
        subinterpreters are created in the warm-up and kept for the samples
        (as a program keeps its pool); their start-up (``spawn_s`` of the
        warm-up) is printed apart.
    (b) ``threadlab interpreters`` run as a command (a fresh Python: start-up,
        discovery, probes, table), 3 times with an empty cache (cold) and 3
        times with the cache it left (warm), over every Python found here.

Targets (issue "Interpreters"):
    * interpreters on 2 workers: at least 1.8× sequential, on 3.12 and on 3.13;
    * finding and probing every Python here: at most 2 s with a warm cache
      (cold is printed too: the probes run in parallel).

How: on 2 cores the two subinterpreters share the machine with the
orchestrator and anything else running, so the load average printed at the
start matters; ``task CPU/task wall`` near 1.0 says each task had a core.

Run: ``.venv/bin/python benchmarks/bench_interpreters.py [--strict]``
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common

import threadlab

INTERPRETERS_MIN = 1.8
PROBE_MAX_S = 2.0
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def installed(minor: str) -> str | None:
    """The newest pyenv CPython ``minor`` with the GIL, or None."""
    found = []
    for path in glob.glob(str(PYENV_ROOT / "versions" / f"{minor}.*" / "bin" / "python")):
        version = Path(path).parent.parent.name
        if re.fullmatch(rf"{re.escape(minor)}\.\d+", version):
            found.append((int(version.rsplit(".", 1)[1]), path))
    return max(found)[1] if found else None


def count_loop(python: str) -> float | None:
    """Print each point of the count loop under ``python``; the interpreters speedup."""
    result = threadlab.run("count", ["sequential", "threads", "interpreters"], [2], repeat=5, python=python)
    speedup = None
    for measurement, summary in threadlab.summarise(result):
        point = measurement.point
        if summary is None:
            print(f"   {point.label():40} no sample (status {measurement.status})")
            continue
        walls = [s.wall_s for s in measurement.samples]
        share = _common.median(
            [
                sum(c for c in s.spans.cpu_s if c is not None) / max(sum(s.spans.durations()), 1e-9)
                for s in measurement.samples
            ]
        )
        extra = ""
        if point.strategy == "interpreters":
            speedup = summary.speedup_vs_sequential
            start = measurement.warmups[0].spawn_s if measurement.warmups else None
            extra = f"; start-up in the warm-up {start * 1e3:.0f} ms" if start is not None else ""
            later = _common.median([s.spawn_s or 0.0 for s in measurement.samples])
            extra += f", in the samples {later * 1e3:.1f} ms"
        ratio = summary.speedup_vs_sequential
        print(
            f"   {point.label():40} wall {_common.spread(walls)}; task CPU/task wall {share:.2f}; "
            f"speedup {'n/a' if ratio is None else f'{ratio:.2f}×'}{extra}"
        )
    return speedup


# A plain script, no threadlab: the same loop as two tasks one after another
# in one thread, then in two subinterpreters on two threads, made with the
# 3.12/3.13 module's defaults (their own GIL) and, on 3.12, with
# isolated=False (the main interpreter's GIL). Best of 5 each, interleaved.
_PLAIN = r"""
import sys, threading, time
try:
    import _interpreters as low
    run = lambda i, code: low.exec(i, code)
except ImportError:
    import _xxsubinterpreters as low
    run = low.run_string
CODE = '''
def count(n):
    c = 0
    for _ in range(n):
        c += 1
    return c
count(10**7)
'''
def count(n):
    c = 0
    for _ in range(n):
        c += 1
    return c
def sequential():
    t = threading.Thread(target=lambda: (count(10**7), count(10**7)))
    start = time.perf_counter(); t.start(); t.join(); return time.perf_counter() - start
def parallel(pair):
    threads = [threading.Thread(target=run, args=(i, CODE)) for i in pair]
    start = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    return time.perf_counter() - start
own = [low.create(), low.create()]
shared = [low.create(isolated=False), low.create(isolated=False)] if sys.version_info < (3, 13) else None
best = {"sequential": [], "own": [], "shared": []}
for _ in range(5):
    best["sequential"].append(sequential())
    best["own"].append(parallel(own))
    if shared: best["shared"].append(parallel(shared))
for name, walls in best.items():
    if walls: print(name, min(walls))
"""


def plain_script(python: str) -> dict[str, float]:
    """Best wall times of the plain script under ``python``: sequential, own GIL, shared GIL."""
    done = subprocess.run([python, "-c", _PLAIN], capture_output=True, text=True, timeout=300, check=True)
    return {line.split()[0]: float(line.split()[1]) for line in done.stdout.splitlines()}


def probe_command(cache: Path) -> float:
    """Seconds ``threadlab interpreters`` takes, as a command, with this cache directory."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from threadlab.cli import main; main()", "interpreters"],
        env={**os.environ, "THREADLAB_CACHE_DIR": str(cache)},
        capture_output=True,
        check=True,
        timeout=120,
    )
    return time.perf_counter() - started


def main() -> int:
    args = _common.parser(__doc__).parse_args()
    _common.header("subinterpreters: count loop on 2 workers; probing the Pythons here")
    verdicts = []
    for minor in ("3.12", "3.13"):
        python = installed(minor)
        if python is None:
            print(f"-- CPython {minor}: not installed here (pyenv install {minor}); skipped")
            continue
        print(f"-- CPython {minor} ({python}), count loop, 10**7 iterations per task, 2 workers")
        speedup = count_loop(python)
        plain = plain_script(python)
        own = plain["sequential"] / plain["own"]
        words = f"   plain script, best of 5: subinterpreters {own:.2f}× sequential"
        if "shared" in plain:
            shared = plain["sequential"] / plain["shared"]
            words += f"; made with isolated=False (sharing one GIL) {shared:.2f}×"
        print(words)
        verdicts.append(
            _common.Verdict(
                f"interpreters speedup on {minor} (2 workers)",
                "n/a" if speedup is None else f"{speedup:.2f}×",
                f">= {INTERPRETERS_MIN:.1f}×",
                speedup is not None and speedup >= INTERPRETERS_MIN,
            )
        )
    with tempfile.TemporaryDirectory() as scratch:
        from threadlab.orchestrate._discover import discover

        os.environ["THREADLAB_CACHE_DIR"] = scratch
        found = discover()
        usable = sum(1 for f in found if f.can_host)
        print(f"-- threadlab interpreters: {len(found)} Pythons found here, {usable} can run the worker")
        cold = []
        for attempt in range(3):
            cache = Path(scratch) / f"cold-{attempt}"
            cold.append(probe_command(cache))
        warm = [probe_command(Path(scratch) / "cold-0") for _ in range(3)]
        print(f"   cold cache (probes in parallel): {_common.spread(cold)}")
        print(f"   warm cache:                      {_common.spread(warm)}")
    verdicts.append(
        _common.Verdict(
            "probing every Python here, warm cache",
            f"{_common.median(warm):.2f} s (cold {_common.median(cold):.2f} s)",
            f"<= {PROBE_MAX_S:.1f} s",
            _common.median(warm) <= PROBE_MAX_S,
        )
    )
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
