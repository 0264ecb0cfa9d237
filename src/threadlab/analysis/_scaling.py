"""How throughput scales with workers: speedup, efficiency, Karp–Flatt and the USL.

Pure functions of measured throughputs (tasks per second), keyed by worker
count. The Universal Scalability Law (Gunther) models throughput with N
workers as::

    X(N) = λN / (1 + σ(N − 1) + κN(N − 1))

    λ  throughput of one worker
    σ  contention: the share of work that queues for a shared resource
       (close to 1 for pure-Python threads under the GIL)
    κ  coherency: the cost of workers keeping each other up to date, which
       makes throughput fall again past N* = √((1 − σ)/κ)

numpy and scipy are needed only by :func:`fit_usl` and are imported inside it,
so that ``import threadlab`` stays fast and the worker side stays stdlib-only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Upper bound for σ in the fit. σ > 1 is not a "share of serial work" any more,
# but it is what retrograde contention looks like (two threads fighting over the
# GIL finish less work than one), so the fit may go there; 10 means throughput
# at two workers down to 2/11 of one worker's, well beyond anything measured.
_SIGMA_MAX = 10.0

# A fitted σ or κ whose largest term in the USL denominator, over the measured
# worker counts, stays below this is indistinguishable from 0 (it moves the
# model by less than a millionth) and is reported as exactly 0. Without it, a
# bounded optimiser that keeps its iterates strictly inside the bounds reports
# κ ≈ 1e-12 for ideal scaling, and with it a meaningless peak near a million
# workers.
_NEGLIGIBLE_TERM = 1e-6


def karp_flatt(speedup: float, workers: int) -> float | None:
    """Return the Karp–Flatt experimentally determined serial fraction.

    ``e = (1/ψ − 1/p) / (1 − 1/p)`` for speedup ψ on p workers. A value that
    stays flat as p grows points to a fixed serial fraction (Amdahl); a value
    that rises points to overhead that grows with the number of workers.

    Args:
        speedup: Speedup ψ on ``workers`` workers, relative to one worker.
        workers: Number of workers p.

    Returns:
        The serial fraction e (0 for perfect scaling, 1 for no speedup at all,
        above 1 for slowdown, below 0 for superlinear speedup), or None for one
        worker, where it is undefined.

    Raises:
        ValueError: If ``speedup`` is not a positive finite number or
            ``workers`` is below 1.
    """
    if not (math.isfinite(speedup) and speedup > 0):
        raise ValueError(f"speedup must be a positive number; got {speedup}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}")
    if workers == 1:
        return None
    inverse_p = 1.0 / workers
    return (1.0 / speedup - inverse_p) / (1.0 - inverse_p)


@dataclass(frozen=True, slots=True)
class ScalingPoint:
    """How one strategy did at one worker count.

    Attributes:
        workers: Number of workers.
        throughput: Measured throughput, tasks per second.
        speedup_vs_one: Throughput divided by the same strategy's throughput
            with one worker; None when there is no one-worker point.
        speedup_vs_sequential: Throughput divided by the sequential
            strategy's; None when that was not measured.
        efficiency: ``speedup_vs_one / workers`` (1.0 is perfect scaling);
            None when ``speedup_vs_one`` is.
        karp_flatt: Karp–Flatt serial fraction from ``speedup_vs_one``; None
            when that is None or for one worker.
    """

    workers: int
    throughput: float
    speedup_vs_one: float | None
    speedup_vs_sequential: float | None
    efficiency: float | None
    karp_flatt: float | None


def scaling_table(
    throughput_by_workers: Mapping[int, float],
    sequential_throughput: float | None,
) -> tuple[ScalingPoint, ...]:
    """One :class:`ScalingPoint` per worker count of one strategy's sweep, sorted by workers.

    Speedup against one worker of the same strategy measures how the strategy
    itself scales, so efficiency and Karp–Flatt use it; speedup against
    sequential code answers "is it worth it at all", and includes the
    strategy's own overhead.
    """
    _check_throughputs(throughput_by_workers)
    if sequential_throughput is not None and not (
        math.isfinite(sequential_throughput) and sequential_throughput > 0
    ):
        raise ValueError(f"sequential throughput must be a positive number; got {sequential_throughput}")
    base = throughput_by_workers.get(1)
    points: list[ScalingPoint] = []
    for workers in sorted(throughput_by_workers):
        throughput = throughput_by_workers[workers]
        vs_sequential = throughput / sequential_throughput if sequential_throughput is not None else None
        if base is None:
            points.append(ScalingPoint(workers, throughput, None, vs_sequential, None, None))
            continue
        vs_one = throughput / base
        points.append(
            ScalingPoint(
                workers, throughput, vs_one, vs_sequential, vs_one / workers, karp_flatt(vs_one, workers)
            )
        )
    return tuple(points)


def usl_throughput(n: float, lam: float, sigma: float, kappa: float) -> float:
    """The Universal Scalability Law's throughput ``X(n)`` (the module's formula), in ``lam``'s units.

    n may be fractional, for drawing a smooth curve. ValueError unless n ≥ 1, λ > 0, σ ≥ 0 and κ ≥ 0.
    """
    if not n >= 1:
        raise ValueError(f"n must be at least 1; got {n}")
    if not lam > 0:
        raise ValueError(f"lam must be positive; got {lam}")
    if not sigma >= 0:
        raise ValueError(f"sigma must be 0 or more; got {sigma}")
    if not kappa >= 0:
        raise ValueError(f"kappa must be 0 or more; got {kappa}")
    return lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


@dataclass(frozen=True, slots=True)
class USLFit:
    """The Universal Scalability Law fitted to one strategy's throughputs.

    Attributes:
        lam: λ, modelled throughput of one worker (tasks per second).
        sigma: σ, contention, in [0, 10]; 0 is no contention, 1 is fully
            serialised (throughput flat at λ), above 1 is retrograde
            contention (more workers, less throughput from the start).
        kappa: κ, coherency cost, 0 or more.
        peak_workers: N* = √((1 − σ)/κ), the worker count where modelled
            throughput peaks. None when there is no peak worth naming: either
            κ = 0, so throughput keeps rising towards its ceiling λ/σ (or
            without limit when σ = 0 too) and no worker count is best, or
            σ + κ ≥ 1, so N* ≤ 1 and throughput never grows past one worker
            (this includes every σ ≥ 1). N* may lie beyond the worker counts
            measured; it is then an extrapolation.
        peak_throughput: X(N*) when ``peak_workers`` is not None, else None.
        r_squared: Coefficient of determination of the fit on the measured
            throughputs, 1 − SS_res/SS_tot; None when all the throughputs are
            equal, where it is undefined.
        rmse: Root mean square error of the fit, tasks per second.
        points: Number of distinct worker counts the fit used.
    """

    lam: float
    sigma: float
    kappa: float
    peak_workers: float | None
    peak_throughput: float | None
    r_squared: float | None
    rmse: float
    points: int


@dataclass(frozen=True, slots=True)
class USLNotFitted:
    """Why the Universal Scalability Law could not be fitted, as a code and its figures.

    Attributes:
        reason: ``few-worker-counts``: fewer distinct worker counts than
            ``needed``; ``not-converged``: the optimiser failed (``message``).
        workers: The distinct worker counts given, in order.
        needed: The fewest distinct worker counts the fit needs (``min_points``).
        message: The optimiser's last failure (``not-converged``); empty otherwise.
    """

    reason: Literal["few-worker-counts", "not-converged"]
    workers: tuple[int, ...]
    needed: int
    message: str = ""


def fit_usl(
    throughput_by_workers: Mapping[int, float],
    *,
    min_points: int = 4,
) -> USLFit | USLNotFitted:
    """Fit the Universal Scalability Law to throughput against workers.

    Least squares on relative residuals ``(X_model − X) / X``, so that every
    worker count weighs the same and noise proportional to throughput (timer
    and scheduling noise on wall time) is treated evenly. Bounds: λ > 0,
    0 ≤ σ ≤ 10 (σ above 1 is allowed because retrograde contention is real,
    e.g. CPU-bound threads fighting over the GIL), κ ≥ 0. The fit starts from
    the linearised model (``N·λ₀/X − 1 = σ(N − 1) + κN(N − 1)``, solved by
    non-negative least squares with λ₀ the throughput per worker at the fewest
    workers measured) and from a few generic guesses, and keeps the best
    result. σ or κ too small to move the model by a millionth at any measured
    worker count is reported as 0.

    Args:
        throughput_by_workers: Throughput (tasks per second) by worker count.
        min_points: Fewest distinct worker counts to fit from; at least 3,
            since the model has three parameters (with exactly 3 the fit is
            exact and says nothing about how well the model holds).

    Returns:
        A :class:`USLFit`, or a :class:`USLNotFitted` with the reason when
        there are too few worker counts or the optimiser fails.

    Raises:
        ValueError: If ``min_points < 3``, a worker count is below 1, or a
            throughput is not a positive finite number.
        ImportError: If numpy or scipy is not installed.
    """
    if min_points < 3:
        raise ValueError(f"min_points must be at least 3 (the USL has three parameters); got {min_points}")
    _check_throughputs(throughput_by_workers)
    workers = sorted(throughput_by_workers)
    if len(workers) < min_points:
        return USLNotFitted("few-worker-counts", tuple(workers), min_points)

    import numpy as np

    n = np.array(workers, dtype=float)
    x = np.array([throughput_by_workers[w] for w in workers], dtype=float)

    # Work with λ in units of λ₀ so that all three parameters are of order 1 or
    # less, whatever the units of throughput.
    lam0 = float(x[0] / n[0])
    best = _least_squares(n, x / lam0)
    if isinstance(best, str):
        return USLNotFitted("not-converged", tuple(workers), min_points, best)
    return _fitted(n, x, float(best[0]) * lam0, float(best[1]), float(best[2]))


def _least_squares(n: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64] | str:
    """The best (λ/λ₀, σ, κ) over the linearised start and the generic ones; else the last failure."""
    import numpy as np
    from scipy.optimize import (  # type: ignore[import-untyped]  # scipy ships no type stubs
        least_squares,
        nnls,
    )

    def residuals(params: NDArray[np.float64]) -> NDArray[np.float64]:
        lam, sigma, kappa = params
        modelled: NDArray[np.float64] = lam * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
        return (modelled - y) / y

    starts = [(1.0, 0.1, 1e-3), (1.0, 0.5, 0.0), (1.0, 0.0, 0.0)]
    # Linearised start: with λ = λ₀, N/y − 1 = σ(N − 1) + κN(N − 1).
    design = np.column_stack([n - 1.0, n * (n - 1.0)])
    try:
        (sigma0, kappa0), _ = nnls(design, n / y - 1.0)
    except RuntimeError:  # nnls gave up; the generic starts remain
        pass
    else:
        starts.insert(0, (1.0, min(float(sigma0), _SIGMA_MAX), float(kappa0)))
    best = None
    failures: list[str] = []
    for start in starts:
        try:
            result = least_squares(
                residuals,
                np.array(start),
                bounds=([1e-12, 0.0, 0.0], [np.inf, _SIGMA_MAX, np.inf]),
                x_scale="jac",
                method="trf",
                # Tighter than the defaults (1e-8): a handful of points makes this cheap,
                # and exact data should give back its parameters to many digits.
                ftol=1e-12,
                xtol=1e-12,
                gtol=1e-12,
            )
        except ValueError as error:  # raised for non-finite residuals at the start
            failures.append(str(error))
            continue
        if not result.success or not np.all(np.isfinite(result.x)):
            failures.append(str(result.message))
            continue
        if best is None or result.cost < best.cost:
            best = result
    if best is None:
        return failures[-1]
    found: NDArray[np.float64] = best.x
    return found


def _fitted(n: NDArray[np.float64], x: NDArray[np.float64], lam: float, sigma: float, kappa: float) -> USLFit:
    """The fit's figures: negligible terms set to 0, R², RMSE and the peak where there is one."""
    import numpy as np

    n_max = float(n[-1])
    if sigma * (n_max - 1.0) < _NEGLIGIBLE_TERM:
        sigma = 0.0
    if kappa * n_max * (n_max - 1.0) < _NEGLIGIBLE_TERM:
        kappa = 0.0

    predicted = np.array([usl_throughput(float(w), lam, sigma, kappa) for w in n])
    ss_res = float(np.sum((x - predicted) ** 2))
    ss_tot = float(np.sum((x - np.mean(x)) ** 2))
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else None
    rmse = math.sqrt(ss_res / len(n))

    peak_workers: float | None = None
    peak_throughput: float | None = None
    if kappa > 0 and sigma + kappa < 1.0:
        peak_workers = math.sqrt((1.0 - sigma) / kappa)
        peak_throughput = usl_throughput(peak_workers, lam, sigma, kappa)

    return USLFit(lam, sigma, kappa, peak_workers, peak_throughput, r_squared, rmse, len(n))


def _check_throughputs(throughput_by_workers: Mapping[int, float]) -> None:
    """Raise ValueError unless every worker count is 1 or more and every throughput positive."""
    for workers, throughput in throughput_by_workers.items():
        if workers < 1:
            raise ValueError(f"worker counts must be at least 1; got {workers}")
        if not (math.isfinite(throughput) and throughput > 0):
            raise ValueError(f"throughput must be a positive number; got {throughput} at {workers} workers")
