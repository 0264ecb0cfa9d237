"""The kinds of work, classified live: built-in workloads and ``advise`` on the test functions.

What it measures:
    1. ``threadlab.run(["sleep", "count", "hash", "compress"], ["sequential",
       "threads", "processes"], [2], max_time=40)``, and the analysis of it:
       each workload's classification and recommendation, with the evidence
       (CPU/wall, paired speedups and their intervals) and the machine line.
    2. ``threadlab.advise`` on the functions of ``tests/fixtures/advise_targets.py``
       that compute (``python_loop``, ``release_gil``, ``mixed``, ``too_short``),
       20 s each: the recommendation and its interval.

These used to be tests. A CPU speedup measured live depends on how many cores
the host lends the machine at that moment (on the project's 2-core VM anything
from 2.0 down to about 1.0), so the tests now judge recorded results files
(``tests/data/kinds-*.json``) and synthetic samples, and the live figures live
here, where a MISS is a figure to look into, not a failed build.

Targets (what the physics says on a machine that gives both its cores):
    * sleep io-bound, count holds the GIL, hash and compress release it;
    * advise: python_loop on processes, release_gil on threads or processes,
      mixed gains on a parallel strategy, too_short stays sequential.

Run: ``.venv/bin/python benchmarks/bench_classify.py [--strict] [--no-advise]``
"""

from __future__ import annotations

import sys

import _common

import threadlab
from threadlab.render import advice_text, fact_text

WORKLOADS: dict[str, tuple[str, dict[str, float]]] = {
    "sleep": ("io-bound", {"duration": 0.05}),
    "count": ("cpu-bound, holds the GIL", {"iterations": 1_000_000}),
    "hash": ("cpu-bound, releases the GIL", {"mb": 8}),
    "compress": ("cpu-bound, releases the GIL", {"mb": 8}),
}
TARGETS = _common.REPO / "tests" / "fixtures" / "advise_targets.py"
# Function → the strategies its advice may name on a machine that gives both cores.
ADVICE = {
    "python_loop": ("processes",),
    "release_gil": ("threads", "thread-pool", "processes"),
    "mixed": ("threads", "thread-pool", "processes"),
    "too_short": ("sequential",),
}


def classify() -> list[_common.Verdict]:
    # Each parameter applies to the workloads that declare it: mb to hash and compress alike.
    params = {key: value for _, given in WORKLOADS.values() for key, value in given.items()}
    result = threadlab.run(
        list(WORKLOADS), ["sequential", "threads", "processes"], [2], params=params, max_time=40
    )
    analysis = threadlab.analyse(result)
    if analysis.noise is not None:
        print(f"   {analysis.noise.line}")
    verdicts = []
    for classification, recommendation in zip(
        analysis.classifications, analysis.recommendations, strict=True
    ):
        expected = WORKLOADS[classification.workload][0]
        print(f"{classification.workload}: {classification.kind.words}")
        for line in classification.evidence:
            print(f"   · {fact_text(line)}")
        print(f"   → {advice_text(recommendation)}")
        verdicts.append(
            _common.Verdict(
                f"classify {classification.workload}",
                classification.kind.words,
                expected,
                classification.kind.words == expected,
            )
        )
    return verdicts


def advise() -> list[_common.Verdict]:
    verdicts = []
    for name, expected in ADVICE.items():
        advice = threadlab.advise(f"{TARGETS}:{name}", budget=20)
        recommendation = advice.recommendation
        if recommendation is None:
            print(f"{name}: no recommendation")
            verdicts.append(_common.Verdict(f"advise {name}", "none", " or ".join(expected), False))
            continue
        print(f"{name}: {recommendation.classification.kind}")
        print(f"   → {advice_text(recommendation)}")
        verdicts.append(
            _common.Verdict(
                f"advise {name}",
                str(recommendation.strategy)
                + ("" if recommendation.workers is None else f" ×{recommendation.workers}"),
                " or ".join(expected),
                recommendation.strategy in expected,
            )
        )
    return verdicts


def main() -> int:
    parser = _common.parser(__doc__)
    parser.add_argument("--no-advise", action="store_true", help="classify the built-in workloads only")
    args = parser.parse_args()
    _common.header("kinds of work, classified live (sequential, threads and processes ×2)")
    verdicts = classify()
    if not args.no_advise:
        verdicts += advise()
    return _common.finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
