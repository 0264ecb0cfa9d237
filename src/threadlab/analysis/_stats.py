"""Summary statistics for the samples of one point, and warnings about unstable ones.

Standard library only, so that results can be summarised anywhere, even where
numpy is missing. The warnings are data (the figures judged, the limit crossed,
:class:`Remedy` values), in the spirit of pyperf's "the benchmark seems to be
unstable" checks; ``render/_doubts.py`` words them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from threadlab.analysis._remedy import Remedy

# Level of the confidence interval for the median.
_CI_LEVEL = 0.95
# Probability allowed in each tail of the binomial order-statistic interval.
_CI_TAIL = (1.0 - _CI_LEVEL) / 2.0

# 1.4826 scales the MAD to estimate the standard deviation of normal data, so
# "3 scaled MADs" is the robust counterpart of the familiar "3 sigma" rule.
_MAD_TO_SIGMA = 1.4826
OUTLIER_MADS = 3.0
# ...and at least this far from the median, relative to it: with tight samples
# (1 s sleeps agree to 0.01%) a MAD of microseconds would otherwise flag
# harmless millisecond jitter as outliers. 5% is half the CV a result may have.
OUTLIER_MIN_SHARE = 0.05

# Relative size under which a term of the binomial tail sum no longer changes it.
_TAIL_SUM_EPSILON = 1e-17


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Summary of the samples of one measurement.

    Attributes:
        n: Number of samples.
        median: Median of the samples.
        mad: Median absolute deviation from the median, unscaled (multiply by
            1.4826 to estimate a normal standard deviation).
        minimum: Smallest sample.
        maximum: Largest sample.
        mean: Arithmetic mean.
        stdev: Sample standard deviation (n - 1 in the denominator); None when
            n < 2.
        cv: Coefficient of variation, ``stdev / |mean|``; None when n < 2 or the
            mean is 0.
        ci_low: Lower end of the confidence interval for the median.
        ci_high: Upper end of the confidence interval for the median.
        ci_exact: True when ``[ci_low, ci_high]`` is a genuine 95% interval:
            order statistics chosen so that their coverage is at least 95%
            whatever the distribution of the samples. False when n < 6: then no
            pair of order statistics reaches 95%, the interval is
            ``[minimum, maximum]`` and its confidence is only ``ci_confidence``.
        ci_confidence: The actual coverage probability of the interval, e.g.
            0.96875 for n = 6, 0.9375 for n = 5 (never less than 0.95 when
            ``ci_exact`` is True).
        outliers: Indices, in input order, of samples farther than both
            3 × 1.4826 × MAD and 5% of the median from the median; empty
            when the MAD is 0.
    """

    n: int
    median: float
    mad: float
    minimum: float
    maximum: float
    mean: float
    stdev: float | None
    cv: float | None
    ci_low: float
    ci_high: float
    ci_exact: bool
    ci_confidence: float
    outliers: tuple[int, ...]


def describe(values: Sequence[float]) -> SampleStats:
    """Summarise samples: centre, spread, a confidence interval and outliers.

    The confidence interval for the median is distribution-free: it is
    ``[x(k), x(n+1-k)]`` over the sorted samples, with k the largest rank such
    that ``P(B <= k-1) <= 2.5%`` for ``B ~ Binomial(n, 1/2)``. Its coverage is
    then at least 95% for any continuous distribution, without assuming
    normality, which timing samples (skewed, with a floor) rarely satisfy. The
    smallest n for which such a k exists is 6; for n < 6 the widest possible
    interval, ``[minimum, maximum]``, is returned with ``ci_exact=False`` and
    its true (lower) confidence in ``ci_confidence``.

    Args:
        values: The samples, in the order they were taken (outlier indices
            refer to this order). Usually wall times in seconds.

    Returns:
        The summary as a :class:`SampleStats`.

    Raises:
        ValueError: If ``values`` is empty or holds a NaN or an infinity.
    """
    n = len(values)
    if n == 0:
        raise ValueError("describe() needs at least one value")
    samples = [float(value) for value in values]
    for index, value in enumerate(samples):
        if not math.isfinite(value):
            raise ValueError(f"describe() needs finite values; got {value!r} at index {index}")

    ordered = sorted(samples)
    median = statistics.median(ordered)
    mad = statistics.median(abs(value - median) for value in ordered)
    mean = statistics.fmean(ordered)
    stdev = statistics.stdev(ordered) if n >= 2 else None
    cv = stdev / abs(mean) if stdev is not None and mean != 0 else None

    rank, confidence = _median_ci_rank(n)
    if rank is None:
        ci_low, ci_high, ci_exact = ordered[0], ordered[-1], False
    else:
        ci_low, ci_high, ci_exact = ordered[rank - 1], ordered[n - rank], True

    outliers: tuple[int, ...] = ()
    if mad > 0:
        limit = max(OUTLIER_MADS * _MAD_TO_SIGMA * mad, OUTLIER_MIN_SHARE * abs(median))
        outliers = tuple(i for i, value in enumerate(samples) if abs(value - median) > limit)

    return SampleStats(
        n=n,
        median=median,
        mad=mad,
        minimum=ordered[0],
        maximum=ordered[-1],
        mean=mean,
        stdev=stdev,
        cv=cv,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_exact=ci_exact,
        ci_confidence=confidence,
        outliers=outliers,
    )


def _binomial_half_lower_tail(n: int, m: int) -> float:
    """``P(B <= m)`` for ``B ~ Binomial(n, 1/2)``, summed down from the largest term.

    That term starts in log space so that ``2**-n`` does not underflow; the terms shrink
    geometrically, so the loop stops after a few multiples of sqrt(n) terms even for millions of samples.
    """
    log_term = math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1) - n * math.log(2.0)
    term = math.exp(log_term)
    total = 0.0
    for i in range(m, -1, -1):
        total += term
        if term <= total * _TAIL_SUM_EPSILON:
            break
        # C(n, i-1) / C(n, i) = i / (n - i + 1)
        term *= i / (n - i + 1)
    return min(total, 1.0)


def _median_ci_rank(n: int) -> tuple[int | None, float]:
    """The rank k of the 95% median interval ``[x(k), x(n+1-k)]`` and its coverage.

    None when even ``[x(1), x(n)]`` covers less than 95% (n < 6), with that interval's coverage.
    """
    # Start from the normal approximation, then step to the exact binomial answer.
    m = max(0, min(n // 2, math.floor(n / 2 - 0.98 * math.sqrt(n))))
    while m + 1 <= n // 2 and _binomial_half_lower_tail(n, m + 1) <= _CI_TAIL:
        m += 1
    while m >= 0 and _binomial_half_lower_tail(n, m) > _CI_TAIL:
        m -= 1
    if m < 0:
        return None, max(0.0, 1.0 - 2.0 * _binomial_half_lower_tail(n, 0))
    return m + 1, 1.0 - 2.0 * _binomial_half_lower_tail(n, m)


StabilityCode = Literal["high-spread", "few-samples", "short-sample", "outliers"]


@dataclass(frozen=True, slots=True)
class StabilityWarning:
    """One reason to distrust a measurement, with its figures and what to do about it, as data.

    ``render/`` words it (``render._doubts.stability_message`` and ``stability_advice``).

    Attributes:
        code: Which check failed: ``"few-samples"``, ``"high-spread"``,
            ``"short-sample"`` or ``"outliers"``.
        judged: The figures the check read: the wall times' (in seconds),
            or, for a paired ``high-spread``, the per-round speedups'.
        limit: What the check accepts: the fewest samples (``few-samples``),
            the largest coefficient of variation (``high-spread``), the
            shortest median sample in seconds (``short-sample``), or the
            distance from the median, in seconds, of ``OUTLIER_MADS`` scaled
            MADs (``outliers``).
        remedies: What to do about it, for a front end to word: the command
            line names its options.
        paired: ``judged`` are per-round speedups (a ``high-spread`` that more
            rounds would narrow), not wall times.
    """

    code: StabilityCode
    judged: SampleStats
    limit: float
    remedies: tuple[Remedy, ...]
    paired: bool = False


def check_stability(
    stats: SampleStats,
    *,
    ratios: SampleStats | None = None,
    min_samples: int = 3,
    max_cv: float = 0.10,
    min_wall_s: float = 0.001,
) -> tuple[StabilityWarning, ...]:
    """Check whether a measurement's samples can be trusted, as pyperf does.

    Warnings come in a fixed order: ``few-samples``, ``high-spread``,
    ``short-sample``, ``outliers``; each appears at most once.

    Args:
        stats: The summary of the samples, as returned by :func:`describe`;
            the samples are taken to be wall times in seconds.
        ratios: Where the point was paired round by round with its
            baseline, the summary of its per-round speedups: their spread,
            not the wall times', is then judged for ``high-spread`` (the
            machine's drift moves both samples of a round alike).
        min_samples: Fewest samples for which spread can be judged at all.
        max_cv: Largest acceptable coefficient of variation (0.10 is 10%).
        min_wall_s: Shortest median sample, in seconds, that can be timed well;
            below about a millisecond, timer resolution, scheduling and start-up
            costs weigh on the result. 0 turns the check off.

    Returns:
        The warnings, empty when the measurement looks stable.

    Raises:
        ValueError: If ``min_samples < 1``, ``max_cv <= 0`` or ``min_wall_s < 0``.
    """
    if min_samples < 1:
        raise ValueError(f"min_samples must be at least 1; got {min_samples}")
    if not max_cv > 0:
        raise ValueError(f"max_cv must be positive; got {max_cv}")
    if not min_wall_s >= 0:
        raise ValueError(f"min_wall_s must be 0 or more; got {min_wall_s}")

    found: list[StabilityWarning] = []
    noisy = (Remedy.QUIETER_MACHINE, Remedy.MORE_SAMPLES)
    if stats.n < min_samples:
        found.append(StabilityWarning("few-samples", stats, min_samples, (Remedy.MORE_SAMPLES,)))
    # The per-round speedups' spread where the point was paired, else the wall times'.
    judged = stats if ratios is None else ratios
    if judged.cv is not None and judged.cv > max_cv:
        paired = ratios is not None
        found.append(
            StabilityWarning("high-spread", judged, max_cv, (Remedy.MORE_TIME,) if paired else noisy, paired)
        )
    if stats.median < min_wall_s:
        found.append(
            StabilityWarning("short-sample", stats, min_wall_s, (Remedy.BIGGER_TASKS, Remedy.MORE_TASKS))
        )
    if stats.outliers:
        found.append(StabilityWarning("outliers", stats, OUTLIER_MADS * _MAD_TO_SIGMA * stats.mad, noisy))
    return tuple(found)
