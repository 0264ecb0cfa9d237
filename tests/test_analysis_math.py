"""The numbers behind the analysis: sample statistics, stability checks, scaling and the USL."""

from __future__ import annotations

import math
import re
import statistics
import subprocess
import sys
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadlab.analysis import Remedy, SampleStats, check_stability, describe
from threadlab.analysis._scaling import (
    ScalingPoint,
    USLFit,
    USLNotFitted,
    fit_usl,
    karp_flatt,
    scaling_table,
    usl_throughput,
)
from threadlab.render._doubts import stability_advice, stability_message

# ---------------------------------------------------------------------------
# describe()


@pytest.mark.timeout(30)
def test_describe_known_data() -> None:
    stats = describe([3.0, 1.0, 4.0, 9.0, 5.0, 2.0, 6.0, 8.0, 7.0])

    assert stats.n == 9
    assert stats.median == 5.0
    # |x - 5| sorted: 0, 1, 1, 2, 2, 3, 3, 4, 4
    assert stats.mad == 2.0
    assert stats.minimum == 1.0
    assert stats.maximum == 9.0
    assert stats.mean == 5.0
    assert stats.stdev == pytest.approx(math.sqrt(60 / 8))
    assert stats.cv == pytest.approx(math.sqrt(60 / 8) / 5)
    # n = 9: P(B <= 1) = 10/512 <= 2.5% < P(B <= 2), so the interval is [x(2), x(8)].
    assert (stats.ci_low, stats.ci_high) == (2.0, 8.0)
    assert stats.ci_low <= stats.median <= stats.ci_high
    assert stats.ci_exact is True
    assert stats.ci_confidence == pytest.approx(1 - 2 * 10 / 512)
    assert stats.outliers == ()


@pytest.mark.timeout(30)
def test_describe_single_value_has_no_spread() -> None:
    stats = describe([0.25])

    assert (stats.n, stats.median, stats.mad, stats.mean) == (1, 0.25, 0.0, 0.25)
    assert stats.stdev is None
    assert stats.cv is None
    assert (stats.ci_low, stats.ci_high, stats.ci_exact) == (0.25, 0.25, False)
    assert stats.outliers == ()


@pytest.mark.timeout(30)
def test_describe_cv_is_none_for_zero_mean() -> None:
    stats = describe([-1.0, 1.0])

    assert stats.stdev == pytest.approx(math.sqrt(2))
    assert stats.cv is None


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("n", "exact", "confidence"),
    [(2, False, 0.5), (5, False, 0.9375), (6, True, 0.96875), (7, True, 0.984375)],
)
def test_describe_ci_falls_back_to_min_max_below_six_samples(n: int, exact: bool, confidence: float) -> None:
    stats = describe([float(i) for i in range(n)])

    assert (stats.ci_low, stats.ci_high) == (0.0, float(n - 1))
    assert stats.ci_exact is exact
    assert stats.ci_confidence == pytest.approx(confidence)


@pytest.mark.timeout(30)
def test_describe_ci_matches_exact_binomial_ranks() -> None:
    for n in range(1, 121):
        # Largest k with P(B <= k - 1) <= 2.5%, B ~ Binomial(n, 1/2), in exact integers.
        k = 0
        while 40 * sum(math.comb(n, i) for i in range(k + 1)) <= 2**n:
            k += 1
        stats = describe([float(i) for i in range(1, n + 1)])
        if k == 0:
            assert (stats.ci_low, stats.ci_high, stats.ci_exact) == (1.0, float(n), False), n
        else:
            assert (stats.ci_low, stats.ci_high, stats.ci_exact) == (k, n + 1 - k, True), n
            tail = sum(math.comb(n, i) for i in range(k)) / 2**n
            assert stats.ci_confidence == pytest.approx(1 - 2 * tail, rel=1e-9), n
            assert stats.ci_confidence >= 0.95


@pytest.mark.timeout(30)
def test_describe_ci_for_many_samples_is_near_95_percent() -> None:
    stats = describe([float(i) for i in range(100_000)])

    assert stats.ci_exact is True
    assert 0.95 <= stats.ci_confidence < 0.951
    # Normal approximation: half-width about 1.96 * sqrt(n) / 2 ranks.
    assert stats.ci_high - stats.ci_low == pytest.approx(1.96 * math.sqrt(100_000), rel=0.01)


@pytest.mark.timeout(30)
def test_describe_flags_a_planted_outlier() -> None:
    values = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 5.0, 1.01]

    stats = describe(values)

    assert stats.outliers == (6,)


@pytest.mark.timeout(30)
def test_describe_flags_no_outliers_when_mad_is_zero() -> None:
    stats = describe([1.0, 1.0, 1.0, 1.0, 9.0])

    assert stats.mad == 0.0
    assert stats.outliers == ()


@pytest.mark.timeout(30)
def test_describe_refuses_empty_input() -> None:
    with pytest.raises(ValueError, match=r"^describe\(\) needs at least one value$"):
        describe([])


@pytest.mark.timeout(30)
def test_describe_refuses_nan() -> None:
    with pytest.raises(ValueError, match=r"^describe\(\) needs finite values; got nan at index 1$"):
        describe([1.0, math.nan])


@pytest.mark.timeout(30)
@given(
    st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=60,
    )
)
def test_describe_orders_its_summary(values: list[float]) -> None:
    stats = describe(values)

    assert stats.n == len(values)
    assert stats.minimum <= stats.ci_low <= stats.median <= stats.ci_high <= stats.maximum
    assert stats.median == statistics.median(values)
    assert stats.mad >= 0
    assert stats.ci_exact is (len(values) >= 6)
    assert all(0 <= i < len(values) for i in stats.outliers)
    assert list(stats.outliers) == sorted(set(stats.outliers))


# ---------------------------------------------------------------------------
# check_stability()


def _codes(stats: SampleStats, **options: float) -> tuple[str, ...]:
    return tuple(warning.code for warning in check_stability(stats, **options))  # type: ignore[arg-type]


@pytest.mark.timeout(30)
def test_stable_samples_raise_no_warning() -> None:
    assert check_stability(describe([0.100, 0.101, 0.099, 0.100, 0.1005])) == ()


@pytest.mark.timeout(30)
def test_few_samples() -> None:
    warnings = check_stability(describe([0.1, 0.1]))

    assert [(w.code, w.judged.n, w.limit, w.paired) for w in warnings] == [("few-samples", 2, 3, False)]
    assert stability_message(warnings[0]) == (
        "only 2 samples; at least 3 are needed to judge how much the timings vary"
    )
    assert stability_advice(warnings[0]) == "measure at least 10 samples"


@pytest.mark.timeout(30)
def test_high_spread() -> None:
    stats = describe([0.10, 0.15, 0.20, 0.12, 0.18])

    warnings = check_stability(stats)

    assert [(w.code, w.judged, w.limit, w.paired) for w in warnings] == [("high-spread", stats, 0.10, False)]
    assert f"{stats.cv:.1%}" in stability_message(warnings[0])
    assert "10.0%" in stability_message(warnings[0])
    assert stability_advice(warnings[0]) == (
        "close other programs, keep the machine on mains power, and measure more samples"
    )
    assert _codes(stats, max_cv=0.5) == ()


@pytest.mark.timeout(30)
def test_high_spread_of_paired_points_is_judged_on_their_per_round_ratios() -> None:
    # Wall times that drift with the machine, and per-round ratios that hold steady.
    drifting = describe([0.10, 0.15, 0.20, 0.12, 0.18])
    steady = describe([1.98, 2.00, 2.02, 1.99, 2.01])
    spread = describe([1.2, 2.0, 2.8, 1.5, 2.5])

    assert _codes(drifting) == ("high-spread",)
    assert check_stability(drifting, ratios=steady) == ()
    warnings = check_stability(describe([0.10, 0.10, 0.10]), ratios=spread)
    assert [(w.code, w.judged, w.paired) for w in warnings] == [("high-spread", spread, True)]
    assert stability_message(warnings[0]) == (
        f"its per-round speedups vary by {spread.cv:.1%} of their mean (acceptable up to 10.0%), "
        "from 1.20× to 2.80×"
    )
    assert stability_advice(warnings[0]) == "give the run more time, so that more rounds narrow the interval"


@pytest.mark.timeout(30)
def test_short_sample() -> None:
    warnings = check_stability(describe([1.00e-4, 1.01e-4, 0.99e-4]))

    assert [(w.code, w.judged.median, w.limit) for w in warnings] == [("short-sample", 1.00e-4, 0.001)]
    assert stability_message(warnings[0]) == (
        "the median sample took 100 µs, under the 1 ms that can be timed reliably"
    )
    assert stability_advice(warnings[0]) == (
        "give each task more work (e.g. more iterations), or run more tasks per sample"
    )


@pytest.mark.timeout(30)
def test_short_sample_check_can_be_turned_off() -> None:
    assert _codes(describe([1.00e-4, 1.01e-4, 0.99e-4]), min_wall_s=0.0) == ()


@pytest.mark.timeout(30)
def test_outliers() -> None:
    values = [0.100, 0.101, 0.099, 0.100, 0.101, 0.099, 0.100, 0.101, 0.099, 0.115]

    warnings = check_stability(describe(values))

    assert [(w.code, w.judged.outliers) for w in warnings] == [("outliers", (9,))]
    assert stability_message(warnings[0]).startswith("1 of 10 samples is an outlier (index 9)")


@pytest.mark.timeout(30)
def test_all_warnings_come_in_a_fixed_order() -> None:
    values = [1.00e-4, 1.01e-4, 0.99e-4, 1.00e-4, 1.01e-4, 0.99e-4, 1.00e-4, 5e-4]

    assert _codes(describe(values), min_samples=20) == (
        "few-samples",
        "high-spread",
        "short-sample",
        "outliers",
    )


# Each kind of warning, from the samples that raise it alone, with what to do about it as data.
WARNED = [
    pytest.param([0.1, 0.1], None, "few-samples", (Remedy.MORE_SAMPLES,), id="few-samples"),
    pytest.param(
        [0.10, 0.15, 0.20, 0.12, 0.18],
        None,
        "high-spread",
        (Remedy.QUIETER_MACHINE, Remedy.MORE_SAMPLES),
        id="high-spread",
    ),
    pytest.param(
        [0.10, 0.10, 0.10],
        [1.2, 2.0, 2.8, 1.5, 2.5],
        "high-spread",
        (Remedy.MORE_TIME,),
        id="high-spread-paired",
    ),
    pytest.param(
        [1.00e-4, 1.01e-4, 0.99e-4],
        None,
        "short-sample",
        (Remedy.BIGGER_TASKS, Remedy.MORE_TASKS),
        id="short",
    ),
    pytest.param(
        [0.100, 0.101, 0.099, 0.100, 0.101, 0.099, 0.100, 0.101, 0.099, 0.115],
        None,
        "outliers",
        (Remedy.QUIETER_MACHINE, Remedy.MORE_SAMPLES),
        id="outliers",
    ),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("walls", "ratios", "code", "remedies"), WARNED)
def test_every_warning_says_what_to_do_as_remedies_and_in_words_without_options(
    walls: list[float], ratios: list[float] | None, code: str, remedies: tuple[Remedy, ...]
) -> None:
    (warning,) = check_stability(describe(walls), ratios=None if ratios is None else describe(ratios))

    assert (warning.code, warning.remedies) == (code, remedies)
    assert all(isinstance(remedy, Remedy) for remedy in warning.remedies)
    words = stability_advice(warning) + stability_message(warning)
    assert stability_advice(warning) and not re.search(r"--[A-Za-z]", words)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_samples": 0}, "^min_samples must be at least 1; got 0$"),
        ({"max_cv": 0.0}, r"^max_cv must be positive; got 0\.0$"),
        ({"min_wall_s": -1.0}, r"^min_wall_s must be 0 or more; got -1\.0$"),
    ],
)
def test_check_stability_refuses_bad_limits(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_stability(describe([1.0, 2.0, 3.0]), **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Karp–Flatt and the scaling table


@pytest.mark.timeout(30)
def test_karp_flatt_known_value() -> None:
    # (1/1.6 - 1/2) / (1 - 1/2) = 0.125 / 0.5
    assert karp_flatt(1.6, 2) == pytest.approx(0.25)


@pytest.mark.timeout(30)
def test_karp_flatt_perfect_and_no_speedup() -> None:
    assert karp_flatt(8.0, 8) == pytest.approx(0.0)
    assert karp_flatt(1.0, 8) == pytest.approx(1.0)


@pytest.mark.timeout(30)
def test_karp_flatt_is_undefined_for_one_worker() -> None:
    assert karp_flatt(1.0, 1) is None


@pytest.mark.timeout(30)
@pytest.mark.parametrize("workers", range(2, 17))
def test_karp_flatt_is_flat_for_amdahl_speedup(workers: int) -> None:
    serial_fraction = 0.1
    speedup = 1 / (serial_fraction + (1 - serial_fraction) / workers)

    assert karp_flatt(speedup, workers) == pytest.approx(serial_fraction)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("speedup", "workers", "message"),
    [
        (0.0, 2, r"^speedup must be a positive number; got 0\.0$"),
        (-1.0, 2, r"^speedup must be a positive number; got -1\.0$"),
        (1.0, 0, "^workers must be at least 1; got 0$"),
    ],
)
def test_karp_flatt_refuses_bad_input(speedup: float, workers: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        karp_flatt(speedup, workers)


@pytest.mark.timeout(30)
def test_scaling_table() -> None:
    table = scaling_table({4: 32.0, 1: 10.0, 2: 16.0}, sequential_throughput=12.5)

    assert [point.workers for point in table] == [1, 2, 4]
    one, two, four = table
    assert one == ScalingPoint(
        workers=1,
        throughput=10.0,
        speedup_vs_one=1.0,
        speedup_vs_sequential=0.8,
        efficiency=1.0,
        karp_flatt=None,
    )
    assert two.speedup_vs_one == pytest.approx(1.6)
    assert two.efficiency == pytest.approx(0.8)
    assert two.karp_flatt == pytest.approx(0.25)
    assert four.speedup_vs_one == pytest.approx(3.2)
    assert four.speedup_vs_sequential == pytest.approx(2.56)
    assert four.efficiency == pytest.approx(0.8)
    assert four.karp_flatt == pytest.approx((1 / 3.2 - 1 / 4) / (1 - 1 / 4))


@pytest.mark.timeout(30)
def test_scaling_table_without_one_worker_or_sequential() -> None:
    table = scaling_table({2: 16.0, 8: 40.0}, sequential_throughput=None)

    assert table == (
        ScalingPoint(2, 16.0, None, None, None, None),
        ScalingPoint(8, 40.0, None, None, None, None),
    )


@pytest.mark.timeout(30)
def test_scaling_table_refuses_non_positive_throughput() -> None:
    with pytest.raises(ValueError, match=r"^throughput must be a positive number; got 0\.0 at 2 workers$"):
        scaling_table({1: 10.0, 2: 0.0}, sequential_throughput=None)


# ---------------------------------------------------------------------------
# The Universal Scalability Law

WORKERS = (1, 2, 4, 8, 16, 32, 64)
# ±2% multiplicative noise, fixed so that the test is reproducible.
NOISE = (1.02, 0.98, 1.00, 1.02, 0.98, 1.02, 0.98)

USL_CASES = [
    pytest.param(100.0, 0.05, 0.001, id="peaked"),
    pytest.param(50.0, 0.9, 0.0, id="gil-like"),
    pytest.param(10.0, 0.0, 0.0, id="ideal"),
]


def _curve(lam: float, sigma: float, kappa: float, noise: bool) -> dict[int, float]:
    return {
        n: usl_throughput(n, lam, sigma, kappa) * (NOISE[i] if noise else 1.0) for i, n in enumerate(WORKERS)
    }


def _close(fitted: float, true: float, rel: float) -> bool:
    # Absolute 0.01 where the true value is 0, relative otherwise.
    if true == 0:
        return fitted == pytest.approx(0.0, abs=0.01)
    return fitted == pytest.approx(true, rel=rel)


@pytest.mark.timeout(30)
def test_usl_throughput() -> None:
    assert usl_throughput(1, 100.0, 0.05, 0.001) == pytest.approx(100.0)
    assert usl_throughput(8, 10.0, 0.0, 0.0) == pytest.approx(80.0)
    assert usl_throughput(2, 50.0, 1.0, 0.0) == pytest.approx(50.0)
    # 100·4 / (1 + 0.05·3 + 0.001·4·3)
    assert usl_throughput(4, 100.0, 0.05, 0.001) == pytest.approx(400 / 1.162)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("lam", "sigma", "kappa"), USL_CASES)
def test_fit_usl_recovers_exact_curves(lam: float, sigma: float, kappa: float) -> None:
    fit = fit_usl(_curve(lam, sigma, kappa, noise=False))

    assert isinstance(fit, USLFit)
    assert fit.lam == pytest.approx(lam, rel=0.01)
    assert _close(fit.sigma, sigma, rel=0.01)
    assert _close(fit.kappa, kappa, rel=0.01)
    assert fit.points == len(WORKERS)
    assert fit.r_squared == pytest.approx(1.0)
    if kappa == 0:
        assert fit.peak_workers is None
        assert fit.peak_throughput is None
    else:
        true_peak = math.sqrt((1 - sigma) / kappa)
        assert fit.peak_workers == pytest.approx(true_peak, rel=0.05)
        assert fit.peak_throughput == pytest.approx(usl_throughput(true_peak, lam, sigma, kappa), rel=0.01)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("lam", "sigma", "kappa"), USL_CASES)
def test_fit_usl_recovers_noisy_curves(lam: float, sigma: float, kappa: float) -> None:
    fit = fit_usl(_curve(lam, sigma, kappa, noise=True))

    assert isinstance(fit, USLFit)
    assert fit.lam == pytest.approx(lam, rel=0.05)
    assert _close(fit.sigma, sigma, rel=0.05)
    assert _close(fit.kappa, kappa, rel=0.06)
    assert fit.r_squared is not None
    assert fit.r_squared > 0.7
    if kappa > 0:
        assert fit.peak_workers == pytest.approx(math.sqrt((1 - sigma) / kappa), rel=0.05)


@pytest.mark.timeout(30)
def test_fit_usl_reports_no_peak_when_throughput_never_grows() -> None:
    fit = fit_usl(_curve(5.0, 1.5, 0.01, noise=False))

    assert isinstance(fit, USLFit)
    assert fit.sigma == pytest.approx(1.5, rel=0.01)
    assert fit.peak_workers is None
    assert fit.peak_throughput is None


@pytest.mark.timeout(30)
def test_fit_usl_peak_is_the_maximum_of_the_model() -> None:
    fit = fit_usl(_curve(1e6, 0.3, 0.0002, noise=True))

    assert isinstance(fit, USLFit)
    assert fit.peak_workers is not None
    assert fit.peak_throughput is not None
    for n in (fit.peak_workers * 0.9, fit.peak_workers * 1.1):
        assert usl_throughput(n, fit.lam, fit.sigma, fit.kappa) < fit.peak_throughput


@pytest.mark.timeout(30)
def test_fit_usl_refuses_three_worker_counts() -> None:
    fit = fit_usl({1: 10.0, 2: 19.0, 4: 35.0})

    assert fit == USLNotFitted("few-worker-counts", (1, 2, 4), 4)


@pytest.mark.timeout(30)
def test_fit_usl_min_points_is_configurable() -> None:
    fit = fit_usl({8: 70.0, 1: 10.0, 4: 35.0, 2: 19.0}, min_points=5)

    assert fit == USLNotFitted("few-worker-counts", (1, 2, 4, 8), 5)


@pytest.mark.timeout(30)
def test_fit_usl_refuses_min_points_below_three() -> None:
    with pytest.raises(
        ValueError, match=r"^min_points must be at least 3 \(the USL has three parameters\); got 2$"
    ):
        fit_usl({1: 10.0, 2: 19.0}, min_points=2)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bad", [0.0, -5.0, math.inf, math.nan])
def test_fit_usl_refuses_non_positive_throughput(bad: float) -> None:
    with pytest.raises(ValueError, match=r"^throughput must be a positive number; got .* at 4 workers$"):
        fit_usl({1: 10.0, 2: 19.0, 4: bad, 8: 60.0})


@pytest.mark.timeout(30)
def test_fit_usl_reports_optimiser_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.optimize  # type: ignore[import-untyped]  # scipy ships no type stubs

    def give_up(*args: object, **kwargs: object) -> SimpleNamespace:
        return SimpleNamespace(
            success=False, message="The maximum number of function evaluations is exceeded."
        )

    monkeypatch.setattr(scipy.optimize, "least_squares", give_up)

    fit = fit_usl(_curve(100.0, 0.05, 0.001, noise=False))

    assert fit == USLNotFitted(
        "not-converged", tuple(WORKERS), 4, "The maximum number of function evaluations is exceeded."
    )


@pytest.mark.timeout(30)
def test_importing_the_analysis_modules_does_not_import_numpy_or_scipy() -> None:
    code = (
        "import sys, threadlab.analysis._scaling, threadlab.analysis._stats; "
        "print(sorted({'numpy', 'scipy'} & set(sys.modules)))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=25
    )

    assert result.stdout.strip() == "[]"
