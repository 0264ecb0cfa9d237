"""Comparing two results point by point: which got faster, which slower, which did not change.

A point of the base result is matched with the point of the new result that
did the same work the same way (``match_key``). For each pair, the ratio is
new median throughput over base median throughput (above 1: faster), and a
two-sided Mann–Whitney U test on the samples' throughputs says whether the
two sets of samples differ at all; a ratio whose test does not reach the
significance level is reported as "not significant", however large it looks.
The geometric mean of all the ratios summarises the change, as pyperf's
``compare_to`` does.

Mann–Whitney is used rather than a t-test because timing samples are skewed
and have a floor; it assumes nothing about their distribution. Its price is
that very few samples can never reach significance: with 3 samples on each
side the smallest possible two-sided p is 0.1. Such pairs say so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Literal, get_args

from threadlab._errors import NothingInCommon
from threadlab.analysis._summary import python_label
from threadlab.model import Measurement, Result
from threadlab.worker._native import INNER_THREADS

Verdict = Literal["faster", "slower", "not significant"]
# Why a matched point cannot be compared: it has no samples, or no task of it succeeded.
Unusable = Literal["no-samples", "no-task-succeeded"]
Side = Literal["base", "new"]
_SIDES: tuple[Side, ...] = get_args(Side)

# The significance level of every point's Mann–Whitney U test.
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class PointChange:
    """How one point changed from the base result to the new one.

    Attributes:
        base_index, new_index: the point's index in each result's measurements.
        base_throughput, new_throughput: median throughput over samples, tasks/s.
        base_samples, new_samples: how many samples each side has.
        ratio: ``new_throughput / base_throughput``; above 1 is faster.
        p_value: two-sided Mann–Whitney U p-value of the samples' throughputs.
        verdict: ``faster`` or ``slower`` when ``p_value`` is below the
            significance level, else ``not significant``.
        smallest_p: the smallest p-value the two sample counts allow, where it is
            at or above the significance level (the counts alone rule a verdict out);
            None otherwise.
    """

    base_index: int
    new_index: int
    base_throughput: float
    new_throughput: float
    base_samples: int
    new_samples: int
    ratio: float
    p_value: float
    verdict: Verdict
    smallest_p: float | None

    @property
    def slowdown_percent(self) -> float:
        """How much slower the new point is, in percent of its throughput (0 when not slower)."""
        return max(0.0, (1.0 / self.ratio - 1.0) * 100.0)


@dataclass(frozen=True, slots=True)
class NotCompared:
    """A matched point that cannot be compared, and why; ``render/_compare.py`` words it.

    Attributes:
        base_index, new_index: the point's index in each result's measurements.
        side: ``base`` or ``new``: the result whose point cannot be used (the base's, where both).
        reason: ``no-samples``, or ``no-task-succeeded`` (its median throughput is 0).
        status: that point's status (``crashed``, ``timeout``...).
    """

    base_index: int
    new_index: int
    side: Side
    reason: Unusable
    status: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two results compared point by point.

    Attributes:
        changes: one entry per matched point, in the base result's order.
        only_in_base: indices of base points with no match in the new result.
        only_in_new: indices of new points with no match in the base result.
        not_compared: matched points that cannot be compared, and why.
        geometric_mean: geometric mean of the ratios of all ``changes``
            (above 1: faster overall); None when nothing was compared.
        alpha: the significance level used.
    """

    changes: tuple[PointChange, ...]
    only_in_base: tuple[int, ...]
    only_in_new: tuple[int, ...]
    not_compared: tuple[NotCompared, ...]
    geometric_mean: float | None
    alpha: float

    def slower_than(self, percent: float) -> tuple[PointChange, ...]:
        """The significant slowdowns of more than ``percent`` percent (for ``--fail-slower``)."""
        return tuple(c for c in self.changes if c.verdict == "slower" and c.slowdown_percent > percent)


def match_key(measurement: Measurement) -> tuple[Any, ...]:
    """What two points must share to be compared: same work, done the same way, by the same Python."""
    point = measurement.point
    return (
        point.workload,
        point.strategy,
        point.workers,
        point.tasks,
        tuple(sorted(point.params.items())),
        # A file written before every strategy took inner_threads ran with it left alone (0).
        tuple(sorted({INNER_THREADS.name: INNER_THREADS.default, **point.strategy_params}.items())),
        python_label(measurement),
    )


def smallest_p_value(n1: int, n2: int) -> float:
    """The smallest two-sided p-value an exact Mann–Whitney U test can give with n1 and n2 samples."""
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def compare(base: Result, new: Result) -> Comparison:
    """Match the points of ``new`` (after a change) with ``base``'s and say whether each got faster.

    Points are matched in order where a result holds the same point more than
    once. Where no point matches, NothingInCommon says why: a side with no
    points, or the first of the match's fields that the two sides share no value of.
    """
    why = _nothing_in_common(base, new)
    if why is not None:
        raise NothingInCommon(why)
    waiting: dict[tuple[Any, ...], list[int]] = {}
    for index, measurement in enumerate(new.measurements):
        waiting.setdefault(match_key(measurement), []).append(index)
    changes: list[PointChange] = []
    only_in_base: list[int] = []
    not_compared: list[NotCompared] = []
    for base_index, before in enumerate(base.measurements):
        candidates = waiting.get(match_key(before))
        if not candidates:
            only_in_base.append(base_index)
            continue
        new_index = candidates.pop(0)
        after = new.measurements[new_index]
        for side, measurement in zip(_SIDES, (before, after), strict=True):
            reason = _unusable(measurement)
            if reason is not None:
                not_compared.append(NotCompared(base_index, new_index, side, reason, measurement.status))
                break
        else:
            changes.append(_change(base_index, before, new_index, after))
    only_in_new = sorted(i for indices in waiting.values() for i in indices)
    geometric_mean = math.exp(statistics.fmean(math.log(c.ratio) for c in changes)) if changes else None
    return Comparison(
        tuple(changes), tuple(only_in_base), tuple(only_in_new), tuple(not_compared), geometric_mean, ALPHA
    )


# What match_key compares, field by field, named as the user knows them.
_KEY_FIELDS = (
    "workload",
    "strategy",
    "worker count",
    "task count",
    "workload parameters",
    "strategy parameters",
    "Python",
)


def _nothing_in_common(base: Result, new: Result) -> str | None:
    """Why no point of ``base`` matches one of ``new``; None where one does."""
    empty = [side for side, result in (("base", base), ("new", new)) if not result.measurements]
    if empty:
        return f"the {' and the '.join(empty)} result{'s have' if len(empty) == 2 else ' has'} no points"
    base_keys = {match_key(m) for m in base.measurements}
    new_keys = {match_key(m) for m in new.measurements}
    if base_keys & new_keys:
        return None
    for field, name in enumerate(_KEY_FIELDS):
        before = {key[field] for key in base_keys}
        after = {key[field] for key in new_keys}
        if not before & after:
            return f"no {name} in common (base: {_listed(before)}; new: {_listed(after)})"
    return (
        "no point measured the same work the same way in both (the same workload, strategy, worker "
        "count, task count, parameters and Python)"
    )


def _listed(values: set[Any]) -> str:
    """A field's values, shown shortly: parameters as key=value, at most three then a count."""
    shown = sorted(
        ", ".join(f"{k}={v}" for k, v in value) or "none" if isinstance(value, tuple) else str(value)
        for value in values
    )
    more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
    return " | ".join(shown[:3]) + more


def _unusable(measurement: Measurement) -> Unusable | None:
    if not measurement.samples:
        return "no-samples"
    if statistics.median(s.throughput for s in measurement.samples) <= 0:
        return "no-task-succeeded"
    return None


def _change(base_index: int, before: Measurement, new_index: int, after: Measurement) -> PointChange:
    from scipy.stats import mannwhitneyu  # type: ignore[import-untyped]  # scipy ships no type stubs

    base_samples = [s.throughput for s in before.samples]
    new_samples = [s.throughput for s in after.samples]
    base_median = statistics.median(base_samples)
    new_median = statistics.median(new_samples)
    ratio = new_median / base_median
    if len(set(new_samples) | set(base_samples)) == 1:
        p_value = 1.0  # identical samples: nothing to tell apart (scipy would divide by zero)
    else:
        p_value = float(mannwhitneyu(new_samples, base_samples, alternative="two-sided").pvalue)
    floor = smallest_p_value(len(new_samples), len(base_samples))
    verdict: Verdict = "not significant"
    if p_value < ALPHA and ratio != 1.0:
        verdict = "faster" if ratio > 1.0 else "slower"
    return PointChange(
        base_index=base_index,
        new_index=new_index,
        base_throughput=base_median,
        new_throughput=new_median,
        base_samples=len(base_samples),
        new_samples=len(new_samples),
        ratio=ratio,
        p_value=p_value,
        verdict=verdict,
        smallest_p=floor if floor >= ALPHA else None,
    )
