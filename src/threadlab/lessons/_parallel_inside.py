"""The "already parallel: don't wrap it in threads" lesson: a NumPy product, which BLAS splits itself.

Two parts of the tour's composite spec, measured in the same rounds (same
work): one worker and two threads with the native pools left as they are,
then two threads with one native thread each (``inner_threads=1``)::

    matmul n=600 · sequential          one call, on every core BLAS has
                 · threads ×2           two calls at once, on the same cores
                 · threads ×2 (inner_threads=1)   two calls, one core each

The lesson is told only where NumPy is importable (the ``matmul`` workload
says why not otherwise), and its finding only from what was measured.
"""

from __future__ import annotations

from threadlab.analysis import cores_per_call
from threadlab.lessons._finding import Finding, Found, Summaries, cited, first, gained, speedup_words
from threadlab.model import Measurement, Spec
from threadlab.worker import workloads

WORKLOAD = "matmul"
# 600×600: about 25 ms a product here, long enough to time, short enough for the quick tour.
_N = 600


def parallel_inside_specs(quick: bool, python: str, timeout_s: float, repeat: int) -> tuple[Spec, ...]:
    """The lesson's two parts, the same size in the quick tour (one product is already short), with
    the fewest rounds of the other CPU lessons; none where NumPy is missing (the workload says so)."""
    if workloads.get(WORKLOAD).unavailable_reason():
        return ()

    def part(strategies: tuple[str, ...], workers: tuple[int, ...], inner: int) -> Spec:
        return Spec(
            workloads=(WORKLOAD,),
            strategies=strategies,
            workers=workers,
            repeat=repeat,
            params={"n": _N, "inner_threads": inner},
            timeout_s=timeout_s,
            python=python,
        )

    return (part(("sequential", "threads"), (2,), 0), part(("threads",), (2,), 1))


def _find(summaries: Summaries, strategy: str, inner: int) -> Found | None:
    wanted = (WORKLOAD, strategy, inner)
    return first(
        summaries, lambda p: (p.workload, p.strategy, p.strategy_params.get("inner_threads", 0)) == wanted
    )


def _pool_words(measurement: Measurement) -> str:
    native = measurement.native
    pool = None if native is None else native.most_threads()
    return "" if pool is None else f" ({pool.name}, {pool.threads} threads)"


def parallel_inside_finding(summaries: Summaries) -> Finding | None:
    """What the NumPy product showed, from the numbers measured; None where it was not measured."""
    alone = _find(summaries, "sequential", 0)
    stacked = _find(summaries, "threads", 0)
    split = _find(summaries, "threads", 1)
    if not (alone and stacked):
        return None
    busy = cores_per_call(alone[0].samples)
    n = int(alone[0].point.params["n"])
    if busy is None:
        inside = "one product alone: its cores could not be told here"
    else:
        inside = f"one product alone keeps {busy:.2f} cores busy while it runs{_pool_words(alone[0])}"
    verdict = {
        False: "no faster: the two threads only compete for the cores BLAS already uses inside each "
        "call. Don't wrap it in threads.",
        True: "faster here, so BLAS left cores idle in one call: wrapping it in threads paid off.",
        None: "the interval is too wide to tell whether they gained.",
    }[gained(stacked[1])]
    text = f"{inside}. Two threads on top: {speedup_words(stacked[1])} one call at a time — {verdict}"
    if split is not None:
        outcome = {
            True: "faster here: one call's native threads left the cores idle part of the time (waiting "
            "for each other, or for cores other programs held), and one native thread per call wastes none.",
            False: "no gain either: one call already kept the cores busy. The split pays where calls are "
            "too small for the native threads to fill the cores.",
            None: "the interval is too wide to tell.",
        }[gained(split[1])]
        text += (
            f" Two threads with one BLAS thread each (inner_threads=1), the real alternative: "
            f"{speedup_words(split[1])} — {outcome}"
        )
    return Finding(f"A NumPy product ({n}×{n}), already parallel inside", text, cited(alone, stacked, split))
