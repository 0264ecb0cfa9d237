"""The whole tour: one composite spec of its lessons, and its findings in the order told.

::

    tour_spec(quick, python, compared, cluster)   (the API plans and measures it)
        parts: the classic lessons under ``python`` (_lessons.py),
               then "already parallel: don't wrap it in threads" (_parallel_inside.py,
               where NumPy is importable), then the "which Python" lesson, one part per
               compared Python (_which_python.py), then, where dask is installed,
               "when is a cluster worth it?" (_cluster.py)
    findings(result)                         (from what was measured, in plain words)
"""

from __future__ import annotations

from collections.abc import Sequence

from threadlab.analysis import summarise
from threadlab.lessons._cluster import cluster_finding, cluster_specs
from threadlab.lessons._finding import Finding
from threadlab.lessons._lessons import classic_findings, classic_specs, sizes
from threadlab.lessons._parallel_inside import parallel_inside_finding, parallel_inside_specs
from threadlab.lessons._which_python import LessonPython, which_python_finding, which_python_specs
from threadlab.model import Result, Spec, composite

# Seconds after which a sample is killed: the longest one (1000 threads, each sleeping 1 s,
# or 64 MB hashed twice in a row) takes a few seconds; only a hung worker takes 120.
TIMEOUT_S = 120.0
# The half-width the tour's rounds aim for: what its lessons need to say whether a strategy
# gained. Any interval within ±10.6% is told by the gain rule (``analysis.gain``): its low end
# above 1.05 or its high end at or below 1.3, as 1.3 / 1.05 = 1.238 = 1.106 / 0.894. At the
# run's default ±5%, lessons that already tell (sha256 on 2 threads 1.81x, 1.66-1.84) took
# rounds that the CPU lesson, its threads at 0.97x (0.78-1.13, ±17.9%), needed.
LESSON_PRECISION = 0.10


def tour_spec(
    quick: bool,
    python: str,
    compared_pythons: Sequence[LessonPython] = (),
    *,
    max_time_s: float | None = None,
    cluster: bool = False,
) -> Spec:
    """The tour's spec: a composite of its lessons, so that ``plan`` gives exactly its points.

    Args:
        quick: the quick tour's sizes (about 15 s on two cores, against a minute).
        python: the executable the classic lessons run under.
        compared_pythons: the Pythons the "which Python" lesson compares
            (``lesson_pythons`` chooses them); empty: the lesson is not told.
        max_time_s: seconds of rounds the lessons share, instead of the sizes'
            own (10 s quick, 46 s full). The fewest rounds are taken whatever it is.
        cluster: tell "when is a cluster worth it?" too (where dask runs under ``python``).
    """
    parts = (
        classic_specs(quick, python, TIMEOUT_S)
        + parallel_inside_specs(quick, python, TIMEOUT_S, sizes(quick).cpu_repeat)
        + which_python_specs(compared_pythons, quick, TIMEOUT_S)
    )
    if cluster:
        parts += cluster_specs(quick, python, TIMEOUT_S)
    return composite(
        parts,
        precision=LESSON_PRECISION,
        max_time_s=sizes(quick).max_time_s if max_time_s is None else max_time_s,
        timeout_s=TIMEOUT_S,
    )


def findings(result: Result) -> list[Finding]:
    """The tour's findings, each citing what was measured in ``result``, in the order told."""
    summaries = summarise(result)
    told = (parallel_inside_finding(summaries), which_python_finding(summaries), cluster_finding(summaries))
    return classic_findings(result, summaries) + [finding for finding in told if finding is not None]
