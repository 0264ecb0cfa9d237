"""Scaling checks, each 5 times: a lock fails, sha256 passes, sha256 beside a hog never fails.

What it measures:
    ``threadlab.check_scaling(TARGET, strategy="threads", workers=2,
    at_least=1.5, budget=BUDGET)`` on three targets, each 5 times in a row,
    printing every outcome, its interval, its rounds, the cores it saw, its
    wall time, and where the threads' time went as the explanation says it
    (``waiting on a lock at scaling_targets.py:20 (locked)`` for the lock):

    * ``locked``: pure-Python work (a 200,000-step loop) serialised on a
      module-level lock: threads cannot overlap it;
    * ``sha``: sha256 of 8 MB, which releases the GIL for the whole update;
    * ``sha`` again with a CPU hog (``while True: pass`` in another process)
      spinning on one core beside it.

Targets (issue 22):
    * locked: ``failed`` 5 of 5;
    * sha: ``passed`` 5 of 5 on a quiet machine (the load average printed at
      the start says whether it was);
    * sha beside the hog: ``inconclusive`` (naming the cores short) or
      ``passed``, never ``failed``.

Run: ``.venv/bin/python benchmarks/bench_check_scaling.py [--budget 20] [--strict]``
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence

import _common

import threadlab
from threadlab.render._check import wait_words

# The targets the tests use too: ``locked`` (a 200,000-step loop behind a module-level lock) and
# ``sha`` (sha256 of 8 MB).
TARGETS = _common.REPO / "tests" / "fixtures" / "scaling_targets.py"
TIMES = 5


def checks(name: str, budget: float) -> list[str]:
    """Check ``name`` TIMES times; print each outcome; return the outcomes."""
    outcomes = []
    for attempt in range(1, TIMES + 1):
        started = time.perf_counter()
        check = threadlab.check_scaling(f"{TARGETS}:{name}", workers=2, at_least=1.5, budget=budget)
        wall = time.perf_counter() - started
        low, high = check.interval or (float("nan"), float("nan"))
        cores = check.decision.cores
        print(
            f"   {name} #{attempt}: {check.outcome:<12} speedup interval {low:.2f}–{high:.2f}× over "
            f"{check.rounds} rounds; cores: affinity {cores.affinity}, quota {cores.quota}, capacity "
            f"{cores.capacity or float('nan'):.2f}, left {cores.left or float('nan'):.2f}; {wall:.1f} s"
        )
        print(f"      where the time went: {wait_words(check.decision) or 'not read'}")
        if check.inconclusive:
            print(f"      {check.explanation}")
        outcomes.append(check.outcome)
    return outcomes


def main() -> int:
    cli = _common.parser(__doc__)
    cli.add_argument("--budget", type=float, default=20.0, help="seconds per check (default 20)")
    args = cli.parse_args()
    _common.header(f"scaling checks, threads ×2 at 1.5×, {TIMES} times each, budget {args.budget:g} s")
    print("-- locked (a module-level lock around pure-Python work)")
    lock = checks("locked", args.budget)
    print("-- sha (sha256 of 8 MB)")
    quiet = checks("sha", args.budget)
    print("-- sha beside a CPU hog spinning on one core")
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = checks("sha", args.budget)
    finally:
        hog.kill()
        hog.wait()
    verdicts: Sequence[_common.Verdict] = (
        _common.Verdict(
            "locked failed",
            f"{lock.count('failed')}/{TIMES}",
            f"{TIMES}/{TIMES}",
            lock.count("failed") == TIMES,
        ),
        _common.Verdict(
            "sha passed",
            f"{quiet.count('passed')}/{TIMES}",
            f"{TIMES}/{TIMES}",
            quiet.count("passed") == TIMES,
        ),
        _common.Verdict(
            "sha beside a hog never failed",
            f"{loaded.count('failed')} failed of {TIMES}",
            "0",
            "failed" not in loaded,
        ),
    )
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
