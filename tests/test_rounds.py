"""Interleaved rounds: the pairing, the interval, the stopping rule, the rotation.

The unit tests run on synthetic samples and assert no timing: on a machine
whose speed swings 2× from minute to minute, only the arithmetic and the
order of what was recorded can be pinned. Two tests start real workers: one
run read back from its results file, to see that its points were
interleaved, and a worker whose orchestrator dies mid-sample.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import is_running, needs_proc, one_point, session_members
from threadlab.analysis import (
    baseline_among,
    baseline_of,
    block_interval,
    drift,
    median_interval,
    paired_blocks,
    paired_ratios,
    relative_half_width,
    speedup,
    summarise,
    summary,
)
from threadlab.model import Environment, Measurement, Point, Result, Sample, Spec
from threadlab.orchestrate._execute import execute
from threadlab.orchestrate._launch import worker_command, worker_env
from threadlab.orchestrate._rounds import (
    AGREE_CLOSELY,
    AGREEING_SPAN_S,
    FEWEST_AGREEING_ROUNDS,
    MIN_PAIRED_ROUNDS,
    MIN_SPAN_S,
    WAITING_CPU_SHARE,
    evidence,
    half_widths,
    rotation,
    stop_reason,
)
from threadlab.orchestrate._runner import worker_request
from threadlab.orchestrate._store import ResultsWriter, load_result
from threadlab.worker._schema import REQUEST_FIELDS

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parent / "data"


def recorded(version: int) -> list[Path]:
    """The recorded results files of schema ``version`` in tests/data."""
    return [
        path
        for path in sorted(DATA.glob("*.json"))
        if json.loads(path.read_text(encoding="utf-8"))["schema_version"] == version
    ]


# -- synthetic samples ----------------------------------------------------------------------------


def point(strategy: str = "threads", workers: int = 2, tasks: int = 2, **params: Any) -> Point:
    """A point of the ``count`` workload; ``params`` put it in another group."""
    return Point("count", strategy, 1 if strategy == "sequential" else workers, tasks, params=params)


def sample(throughput: float, round_number: int | None = None, tasks: int = 2) -> Sample:
    """A sample of ``tasks`` tasks, all returned, at ``throughput`` tasks per second."""
    return Sample(wall_s=tasks / throughput, tasks_ok=tasks, round=round_number)


def measured(
    strategy: str,
    throughputs: Sequence[float],
    *,
    tasks: int = 2,
    rounds: bool = True,
    **params: Any,
) -> Measurement:
    """A point measured once per round (round i for the i-th throughput), or without rounds."""
    samples = tuple(sample(t, i if rounds else None, tasks) for i, t in enumerate(throughputs))
    return Measurement(point(strategy, tasks=tasks, **params), "ok", samples=samples)


def environment() -> Environment:
    return Environment("3.12.0", sys.executable, False, True, 2, "Linux", "0", "2025-01-01T00:00:00+00:00")


def reference_rank(n: int) -> int | None:
    """The rank k of the distribution-free 95% median interval [x(k), x(n+1-k)], from its definition.

    The largest k with P(B <= k-1) <= 2.5% for B ~ Binomial(n, 1/2); None
    when even k = 1 misses it (n < 6).
    """
    found = None
    for k in range(1, n // 2 + 1):
        if sum(math.comb(n, i) for i in range(k)) / 2**n <= 0.025:
            found = k
    return found


# -- the pairing ----------------------------------------------------------------------------------


def test_ratios_pair_samples_of_the_same_round_only() -> None:
    mine = [sample(30.0, 2), sample(10.0, 0), sample(20.0, 1), sample(40.0, 5)]
    base = [sample(5.0, 1), sample(8.0, 2), sample(4.0, 3)]

    # Rounds 1 and 2 hold both; round 0 has no baseline sample, rounds 3 and 5 only one side.
    assert paired_ratios(mine, base) == pytest.approx([20.0 / 5.0, 30.0 / 8.0])


def test_ratios_come_in_round_order_whatever_the_order_of_the_samples() -> None:
    mine = [sample(float(10 + r), r) for r in (4, 0, 3, 1, 2)]
    base = [sample(10.0, r) for r in (2, 4, 1, 0, 3)]

    assert paired_ratios(mine, base) == pytest.approx([(10 + r) / 10 for r in range(5)])


def test_ratios_are_of_throughputs_when_task_counts_differ() -> None:
    # 8 tasks in 1 s against 2 tasks in 1 s: four times the throughput, though both took 1 s.
    mine = [Sample(wall_s=1.0, tasks_ok=8, round=0), Sample(wall_s=2.0, tasks_ok=8, round=1)]
    base = [Sample(wall_s=1.0, tasks_ok=2, round=0), Sample(wall_s=0.5, tasks_ok=2, round=1)]

    assert paired_ratios(mine, base) == pytest.approx([4.0, 1.0])


def test_samples_without_a_round_pair_with_nothing() -> None:
    assert paired_ratios([sample(10.0)] * 3, [sample(5.0)] * 3) == []
    assert paired_ratios([sample(10.0, 0), sample(10.0)], [sample(5.0), sample(5.0, 0)]) == [2.0]
    assert paired_ratios([sample(10.0)], [sample(5.0, 0)]) == []


def test_a_baseline_sample_of_throughput_zero_is_skipped() -> None:
    failed = Sample(wall_s=1.0, tasks_ok=0, tasks_failed=2, round=1)
    mine = [sample(10.0, 0), sample(10.0, 1), sample(10.0, 2)]

    assert paired_ratios(mine, [sample(5.0, 0), failed, sample(4.0, 2)]) == pytest.approx([2.0, 2.5])


def test_a_point_whose_tasks_all_failed_pairs_at_zero() -> None:
    # Its own throughput of 0 is a measurement (no work done), not a missing pair.
    failed = Sample(wall_s=1.0, tasks_ok=0, tasks_failed=2, round=0)

    assert paired_ratios([failed], [sample(5.0, 0)]) == [0.0]


# -- the interval ---------------------------------------------------------------------------------


def test_below_six_ratios_the_interval_is_their_range() -> None:
    for values in ([1.5], [1.9, 1.7], [1.2, 0.9, 1.1], [1.0, 1.3, 0.8, 1.1], [1.0, 1.3, 0.8, 1.1, 1.2]):
        centre, interval = median_interval(values)
        assert centre == statistics.median(values)
        assert interval == (min(values), max(values))


@pytest.mark.parametrize(("n", "low_rank", "high_rank"), [(6, 1, 6), (8, 1, 8), (9, 2, 8), (20, 6, 15)])
def test_the_interval_is_the_published_order_statistics(n: int, low_rank: int, high_rank: int) -> None:
    # The ranks of the 95% interval for a median in the tables (Conover, "Practical
    # nonparametric statistics", table A3; the sign test's confidence limits).
    values = [1.0 + i / 100 for i in range(n)]
    random.Random(n).shuffle(values)
    ordered = sorted(values)

    centre, interval = median_interval(values)

    assert centre == statistics.median(values)
    assert interval == (ordered[low_rank - 1], ordered[high_rank - 1])


def test_the_interval_matches_the_binomial_definition_for_every_size() -> None:
    for n in range(1, 61):
        values = [2.0 - i / 97 for i in range(n)]
        random.Random(n).shuffle(values)
        ordered = sorted(values)
        rank = reference_rank(n)

        centre, interval = median_interval(values)

        assert centre == statistics.median(values), n
        if rank is None:
            assert n < 6
            assert interval == (ordered[0], ordered[-1]), n
        else:
            assert interval == (ordered[rank - 1], ordered[n - rank]), n


def test_one_wild_round_does_not_move_the_interval_from_nine_rounds_on() -> None:
    steady = [1.70, 1.71, 1.72, 1.73, 1.74, 1.75, 1.76, 1.77]
    _, without = median_interval([*steady, 1.78])
    _, with_wild = median_interval([*steady, 9.0])

    # [x(2), x(8)]: the ninth value, however large, is past the interval's end.
    assert without == with_wild == (1.71, 1.77)


def test_the_relative_half_width_is_half_the_interval_over_its_centre() -> None:
    assert relative_half_width(2.0, (1.8, 2.2)) == pytest.approx(0.1)
    assert relative_half_width(1.0, (1.0, 1.0)) == 0.0
    assert relative_half_width(0.5, (0.25, 0.5)) == pytest.approx(0.25)
    assert relative_half_width(0.0, (0.0, 1.0)) == math.inf


# -- summary(): the paired speedup and its interval ------------------------------------------------


def test_the_speedup_is_the_median_of_per_round_ratios_with_their_interval() -> None:
    # The machine halves its speed every other round: each round slows both points alike.
    phase = [1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 1.0, 0.5, 0.5]
    gains = [1.9, 1.8, 2.0, 1.85, 1.95, 1.7, 2.1, 1.9, 1.75]
    base = measured("sequential", [100.0 * p for p in phase])
    mine = measured("processes", [100.0 * p * g for p, g in zip(phase, gains, strict=True)])
    ratios = paired_ratios(mine.samples, base.samples)
    assert ratios == pytest.approx(gains)

    found = summary(mine, base)

    assert found is not None
    assert found.speedup_vs_sequential == pytest.approx(statistics.median(gains))
    ordered = sorted(ratios)
    assert found.speedup_vs_sequential_ci == (ordered[1], ordered[7])  # n = 9: [x(2), x(8)]
    assert found.speedup_rounds == len(gains)


def test_the_speedup_is_the_median_of_the_ratios_not_the_ratio_of_the_medians() -> None:
    base = measured("sequential", [10.0, 20.0, 30.0])
    mine = measured("threads", [30.0, 20.0, 30.0])

    found = summary(mine, base)

    assert found is not None
    assert found.speedup_vs_sequential == pytest.approx(1.0)  # ratios 3, 1, 1; medians' ratio 1.5
    assert found.speedup_vs_sequential_ci == pytest.approx((1.0, 3.0))
    assert found.speedup_rounds == 3


def test_a_paired_interval_is_free_of_the_machines_drift() -> None:
    phase = [1.0, 0.5, 0.8, 0.5, 1.0, 0.6, 0.9]
    base = measured("sequential", [50.0 * p for p in phase])
    mine = measured("processes", [100.0 * p for p in phase])

    found = summary(mine, base)

    assert found is not None
    assert found.speedup_vs_sequential == pytest.approx(2.0)
    assert found.speedup_vs_sequential_ci == pytest.approx((2.0, 2.0))
    # The same samples without their rounds: the drift widens the interval to all it could be.
    unpaired = summary(
        measured("processes", [100.0 * p for p in phase], rounds=False),
        measured("sequential", [50.0 * p for p in phase], rounds=False),
    )
    assert unpaired is not None
    assert unpaired.speedup_vs_sequential_ci == pytest.approx((1.0, 4.0))


def test_samples_without_rounds_get_the_conservative_ratio_of_medians() -> None:
    # A schema-1 file: no round numbers, so nothing pairs.
    base_throughputs = [10.0, 12.0, 11.0, 9.0, 10.5]
    mine_throughputs = [19.0, 22.0, 21.0, 18.0, 20.0]
    base = measured("sequential", base_throughputs, rounds=False)
    mine = measured("threads", mine_throughputs, rounds=False)

    found = summary(mine, base)

    assert found is not None
    assert found.speedup_vs_sequential == pytest.approx(
        statistics.median(mine_throughputs) / statistics.median(base_throughputs)
    )
    # Five samples each: each median's interval is its range; the ratio's, the widest of them.
    assert found.speedup_vs_sequential_ci == pytest.approx(
        (min(mine_throughputs) / max(base_throughputs), max(mine_throughputs) / min(base_throughputs))
    )
    assert found.speedup_rounds == 0


@pytest.mark.parametrize("path", recorded(1), ids=lambda path: path.name)
def test_recorded_schema_1_files_get_unpaired_speedups_that_lie_in_their_intervals(path: Path) -> None:
    result = load_result(path)
    with_speedup = [(m, s) for m, s in summarise(result) if s and s.speedup_vs_sequential is not None]

    assert with_speedup
    for measurement, found in with_speedup:
        assert found.speedup_rounds == (
            len(measurement.samples) if measurement.point.strategy == "sequential" else 0
        )
        assert found.speedup_vs_sequential_ci is not None
        low, high = found.speedup_vs_sequential_ci
        assert low <= found.speedup_vs_sequential <= high, measurement.point.label()


def test_a_sequential_point_is_its_own_baseline() -> None:
    base = measured("sequential", [10.0, 14.0, 9.0])
    others = measured("threads", [20.0, 20.0, 20.0])

    assert baseline_among([base, others], base) is base
    found = summary(base, base)
    assert found is not None
    assert found.speedup_vs_sequential == 1.0
    assert found.speedup_vs_sequential_ci == (1.0, 1.0)


def test_the_baseline_has_the_same_task_count_where_there_is_one_else_the_most_tasks() -> None:
    two = measured("sequential", [10.0], tasks=2)
    four = measured("sequential", [10.0], tasks=4)
    elsewhere = measured("sequential", [10.0], tasks=3, iterations=5)
    empty = Measurement(point("sequential", tasks=8), "failed")
    group = [two, four, elsewhere, empty]

    def baseline_for(tasks: int, **params: Any) -> Measurement | None:
        return baseline_among(group, measured("threads", [20.0], tasks=tasks, **params))

    assert baseline_for(2) is two
    assert baseline_for(4) is four
    # No sequential point of 3 tasks in this group (the one in another group does not count),
    # none of 8 that measured anything: the one with the most tasks.
    assert baseline_for(3) is four
    assert baseline_for(8) is four
    assert baseline_for(3, iterations=5) is elsewhere
    assert baseline_for(2, iterations=6) is None
    result = Result(Spec(("count",), ("sequential", "threads"), (2,)), environment(), tuple(group))
    assert baseline_of(result, measured("threads", [1.0], tasks=2)) is two


def test_without_a_baseline_there_is_no_speedup() -> None:
    found = summary(measured("threads", [20.0, 21.0]))

    assert found is not None
    assert found.speedup_vs_sequential is None
    assert found.speedup_vs_sequential_ci is None
    assert found.speedup_rounds == 0


# -- the stopping rule ----------------------------------------------------------------------------


def stop(**changes: Any) -> str | None:
    """``stop_reason`` for a group well within its time, tight, past the span and the rounds."""
    arguments: dict[str, Any] = {
        "rounds": MIN_PAIRED_ROUNDS,
        "elapsed_s": MIN_SPAN_S,
        "time_s": 10 * MIN_SPAN_S,
        "min_rounds": 1,
        "precision": 0.05,
        "widths": [0.01, 0.05],
    }
    arguments.update(changes)
    return stop_reason(**arguments)


def test_it_stops_precise_when_every_interval_is_tight_enough() -> None:
    assert stop() == "precise"
    assert stop(rounds=MIN_PAIRED_ROUNDS + 40, elapsed_s=MIN_SPAN_S * 3) == "precise"


def test_it_goes_on_while_any_interval_is_too_wide() -> None:
    assert stop(widths=[0.01, 0.051]) is None
    assert stop(widths=[0.01, math.inf]) is None
    assert stop(widths=[]) is None  # nothing judged: never precise


def test_it_does_not_stop_precise_before_the_minimum_span() -> None:
    assert stop(elapsed_s=MIN_SPAN_S * 0.99) is None
    # A group given less time settles after half of it.
    assert stop(time_s=MIN_SPAN_S, elapsed_s=MIN_SPAN_S / 2) == "precise"
    assert stop(time_s=MIN_SPAN_S, elapsed_s=MIN_SPAN_S / 2 * 0.99) is None


def test_it_does_not_stop_precise_before_the_fewest_paired_rounds() -> None:
    assert stop(rounds=MIN_PAIRED_ROUNDS - 1, elapsed_s=MIN_SPAN_S * 5) is None
    assert stop(rounds=1, widths=[0.0]) is None


def test_it_does_not_stop_precise_before_min_rounds() -> None:
    many = MIN_PAIRED_ROUNDS + 10
    assert stop(rounds=many - 1, min_rounds=many, elapsed_s=MIN_SPAN_S * 5) is None
    assert stop(rounds=many, min_rounds=many, elapsed_s=MIN_SPAN_S * 5) == "precise"


def test_it_stops_when_the_time_is_spent() -> None:
    assert stop(elapsed_s=10.0, time_s=10.0, widths=[0.5]) == "time"
    assert stop(elapsed_s=12.0, time_s=10.0, widths=[math.inf]) == "time"
    assert stop(elapsed_s=12.0, time_s=10.0, widths=[]) == "time"
    assert stop(rounds=3, min_rounds=3, elapsed_s=12.0, time_s=10.0, widths=[0.5]) == "time"
    assert stop(elapsed_s=9.99, time_s=10.0, widths=[0.5]) is None


def test_it_never_stops_before_min_rounds_even_out_of_time() -> None:
    for rounds in range(10):
        assert stop(rounds=rounds, min_rounds=10, elapsed_s=1000.0, time_s=1.0) is None
    assert stop(rounds=10, min_rounds=10, elapsed_s=1000.0, time_s=1.0) == "time"
    assert stop(rounds=0, min_rounds=1, elapsed_s=0.0, time_s=0.0) is None


def test_a_point_with_nothing_to_compare_ends_after_min_rounds() -> None:
    assert stop(points=1, rounds=4, min_rounds=5, elapsed_s=0.5, widths=[math.inf]) is None
    assert stop(points=1, rounds=5, min_rounds=5, elapsed_s=0.5, widths=[math.inf]) == "precise"


def test_waiting_work_stops_after_the_fewest_paired_rounds_without_the_span() -> None:
    waiting = {"cpu_share": WAITING_CPU_SHARE / 2, "elapsed_s": 1.0, "widths": [0.01, 0.04]}
    assert stop(rounds=MIN_PAIRED_ROUNDS - 1, **waiting) is None
    assert stop(rounds=MIN_PAIRED_ROUNDS, **waiting) == "precise"
    assert stop(rounds=MIN_PAIRED_ROUNDS, **{**waiting, "widths": [0.06]}) is None
    # Computing work at the same point goes on: the span is not covered.
    assert stop(rounds=MIN_PAIRED_ROUNDS, **{**waiting, "cpu_share": WAITING_CPU_SHARE}) is None
    assert stop(rounds=MIN_PAIRED_ROUNDS, **{**waiting, "cpu_share": None}) is None


def test_waiting_work_whose_ratios_agree_closely_stops_sooner() -> None:
    close = {"cpu_share": 0.001, "elapsed_s": 1.0, "widths": [AGREE_CLOSELY]}
    assert stop(rounds=FEWEST_AGREEING_ROUNDS, **close) == "precise"
    assert stop(rounds=FEWEST_AGREEING_ROUNDS - 1, **close) is None
    assert stop(rounds=FEWEST_AGREEING_ROUNDS, **{**close, "widths": [AGREE_CLOSELY * 1.1]}) is None
    assert stop(rounds=FEWEST_AGREEING_ROUNDS, min_rounds=5, **close) is None


def test_cpu_work_whose_halves_agree_stops_after_the_shorter_span() -> None:
    steady = {"cpu_share": 1.0, "moved": 0.02, "precision": 0.05}
    assert stop(elapsed_s=AGREEING_SPAN_S, **steady) == "precise"
    assert stop(elapsed_s=AGREEING_SPAN_S * 0.99, **steady) is None
    assert stop(elapsed_s=AGREEING_SPAN_S, rounds=MIN_PAIRED_ROUNDS - 1, **steady) is None


def test_cpu_work_that_drifts_goes_on_to_the_minimum_span() -> None:
    for moved in (0.026, 0.2, None):
        assert stop(elapsed_s=AGREEING_SPAN_S * 1.5, cpu_share=1.0, moved=moved) is None
        assert stop(elapsed_s=MIN_SPAN_S, cpu_share=1.0, moved=moved) == "precise"


def test_drift_is_the_gap_between_the_halves_medians() -> None:
    assert drift([[2.0], [2.0], [2.0]]) is None  # too few blocks to tell
    assert drift([[2.0], [2.0], [2.0], [2.0]]) == 0.0
    # The ratio fell from 1.9 to 1.7 half-way: a 0.2 gap over the median 1.8.
    assert drift([[1.9], [1.9], [1.7], [1.7]]) == pytest.approx(0.2 / 1.8)
    # One odd block in a half of three does not move that half's median.
    assert drift([[1.9], [2.5], [1.9], [1.9], [1.9], [1.9]]) == 0.0


def test_evidence_reads_the_highest_cpu_share_and_the_largest_drift() -> None:
    def timed(throughput: float, number: int, cpu_s: float | None) -> Sample:
        return dataclasses.replace(
            sample(throughput, number), started_at=float(number), cpu_user_s=cpu_s, cpu_sys_s=0.0
        )

    base = Measurement(point("sequential"), "ok", samples=tuple(timed(1.0, n, 0.02) for n in range(8)))
    steady = Measurement(point("threads"), "ok", samples=tuple(timed(2.0, n, 0.01) for n in range(8)))
    falling = Measurement(
        point("processes"), "ok", samples=tuple(timed(2.0 if n < 4 else 1.6, n, 0.001) for n in range(8))
    )
    cpu_share, moved = evidence([base, steady, falling])
    assert cpu_share == pytest.approx(0.02 / 2.0)  # 2 tasks at 1 per second: 2 s of wall
    assert moved == pytest.approx(0.4 / 1.8)
    assert evidence([base, steady])[1] == 0.0
    unknown = Measurement(point("threads"), "ok", samples=tuple(timed(2.0, n, None) for n in range(8)))
    assert evidence([base, unknown])[0] is None
    assert evidence([base, Measurement(point("threads"), "ok", samples=(timed(2.0, 0, 0.01),))])[1] is None


# -- the rotation ---------------------------------------------------------------------------------


def test_round_zero_is_the_points_own_order() -> None:
    for count in range(1, 9):
        assert rotation(count, 0) == tuple(range(count))


def test_every_round_samples_every_point_once_starting_with_round_mod_count() -> None:
    for count in range(1, 9):
        for number in range(3 * count):
            order = rotation(count, number)
            assert sorted(order) == list(range(count))
            assert order[0] == number % count


def test_over_count_consecutive_rounds_every_point_takes_every_place_once() -> None:
    for count in range(1, 9):
        for first in range(2 * count):
            orders = [rotation(count, number) for number in range(first, first + count)]
            for place in range(count):
                assert sorted(order[place] for order in orders) == list(range(count)), (count, first)


# -- half_widths: what the stopping rule judges ---------------------------------------------------


def range_width(throughputs: Sequence[float]) -> float:
    """The relative half-width of a median's interval over fewer than 6 values: their range."""
    return (max(throughputs) - min(throughputs)) / 2 / statistics.median(throughputs)


def test_each_point_with_a_baseline_is_judged_by_its_speedups_interval() -> None:
    base = measured("sequential", [10.0, 10.0, 10.0, 10.0])
    threads = measured("threads", [10.0, 11.0, 9.0, 10.0])
    processes = measured("processes", [20.0, 18.0, 22.0, 20.0])
    group = [base, threads, processes]

    found = half_widths(group)

    expected = []
    for m in (threads, processes):
        paired = speedup(m, base)
        assert paired is not None
        expected.append(relative_half_width(paired[0], paired[1]))
    assert found == pytest.approx(expected)
    assert found == pytest.approx([range_width([1.0, 1.1, 0.9, 1.0]), range_width([2.0, 1.8, 2.2, 2.0])])


def test_points_judged_dead_are_left_out() -> None:
    base = measured("sequential", [10.0, 10.0, 10.0])
    threads = measured("threads", [10.0, 11.0, 9.0])
    processes = measured("processes", [20.0, 10.0, 30.0])
    group = [base, threads, processes]

    assert half_widths(group, [True, True, False]) == pytest.approx([range_width([1.0, 1.1, 0.9])])
    assert half_widths(group, [True, False, True]) == pytest.approx([range_width([2.0, 1.0, 3.0])])
    assert half_widths(group, [False, True, True]) == pytest.approx(
        [range_width([1.0, 1.1, 0.9]), range_width([2.0, 1.0, 3.0])]
    )
    assert half_widths(group, [True, False, False]) == []


def test_points_without_samples_are_left_out() -> None:
    base = measured("sequential", [10.0, 10.0])
    threads = measured("threads", [10.0, 12.0])
    nothing = Measurement(point("processes"), "failed")

    assert half_widths([base, threads, nothing]) == pytest.approx([range_width([1.0, 1.2])])


def test_a_group_of_only_sequential_points_is_judged_on_throughput() -> None:
    two = measured("sequential", [10.0, 12.0, 11.0], tasks=2)
    four = measured("sequential", [20.0, 20.0, 30.0], tasks=4)

    assert half_widths([two, four]) == pytest.approx(
        [range_width([10.0, 12.0, 11.0]), range_width([20.0, 20.0, 30.0])]
    )


def test_rounds_over_two_pythons_judge_each_pythons_points_against_its_own_baseline() -> None:
    # One rounds group (same work) under two Pythons: two groups of compared points.
    def under(python: str, m: Measurement) -> Measurement:
        return dataclasses.replace(m, point=dataclasses.replace(m.point, python=python))

    alone = under("/usr/bin/python3.12", measured("sequential", [10.0, 12.0, 11.0]))
    base = under("/usr/bin/python3.13", measured("sequential", [10.0, 10.0, 10.0]))
    threads = under("/usr/bin/python3.13", measured("threads", [10.0, 11.0, 9.0]))

    # 3.12 has only its sequential point: judged on throughput; 3.13's sequential point is
    # its threads point's baseline, with nothing of its own to judge.
    assert half_widths([alone, base, threads]) == pytest.approx(
        [range_width([10.0, 12.0, 11.0]), range_width([1.0, 1.1, 0.9])]
    )


def test_a_group_without_a_sequential_point_is_judged_on_throughput() -> None:
    threads = measured("threads", [10.0, 12.0, 11.0])
    processes = measured("processes", [20.0, 25.0, 30.0])

    assert half_widths([threads, processes]) == pytest.approx(
        [range_width([10.0, 12.0, 11.0]), range_width([20.0, 25.0, 30.0])]
    )


def test_a_speedup_that_cannot_be_computed_is_never_precise() -> None:
    failed = Measurement(
        point("sequential"),
        "errors",
        samples=tuple(Sample(wall_s=1.0, tasks_ok=0, tasks_failed=2, round=r) for r in range(3)),
    )
    threads = measured("threads", [10.0, 10.0, 10.0])

    widths = half_widths([failed, threads])

    assert widths == [math.inf]
    assert stop(widths=widths) is None


# -- real runs ------------------------------------------------------------------------------------


def test_a_saved_run_shows_its_points_interleaved_in_rotating_rounds(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    spec = Spec(
        workloads=("sleep",),
        strategies=("sequential", "threads", "thread-pool"),
        workers=(2,),
        params={"duration": 0.01},
        repeat=4,
        max_time_s=1.0,
        timeout_s=30.0,
    )
    with ResultsWriter(out) as writer:
        execute(spec, writer=writer)

    result = load_result(out)  # what the file recorded, not what the run returned

    assert [m.point.strategy for m in result.measurements] == ["sequential", "threads", "thread-pool"]
    (rounds,) = result.rounds
    assert rounds.points == (0, 1, 2)
    assert rounds.ended in ("time", "precise")
    assert rounds.rounds >= spec.repeat
    assert_interleaved(result)


@pytest.mark.parametrize("path", recorded(2), ids=lambda path: path.name)
def test_a_recorded_run_shows_its_points_interleaved_in_rotating_rounds(path: Path) -> None:
    result = load_result(path)

    assert result.rounds
    assert sorted(i for r in result.rounds for i in r.points) == list(range(len(result.measurements)))
    assert_interleaved(result)


def assert_interleaved(result: Result) -> None:
    """Every group of ``result`` was measured in whole rounds, in rotating order, as recorded."""
    for rounds in result.rounds:
        group = [result.measurements[i] for i in rounds.points]
        assert all(m.status == "ok" for m in group), [m.errors for m in group]
        for m in group:
            # Each round holds exactly one sample of every point: rounds 0 to n-1, once each.
            assert [s.round for s in m.samples] == list(range(rounds.rounds)), m.point.label()
            assert all(s.started_at is not None for s in m.samples)
            assert all(w.round is None for w in m.warmups)
        timeline = sorted(
            ((s.started_at or 0.0, s.round or 0, place) for place, m in enumerate(group) for s in m.samples),
        )
        # Each round is whole before the next starts: one sample of every point, then the next round.
        assert [r for _, r, _ in timeline] == sorted(r for _, r, _ in timeline)
        for number in range(rounds.rounds):
            order = [place for _, r, place in timeline if r == number]
            assert order == list(rotation(len(group), number)), number
            assert order[0] == number % len(group)


@needs_proc
@pytest.mark.timeout(30)
@pytest.mark.parametrize("strategy", ["threads", "processes"])
def test_a_worker_whose_orchestrator_dies_ends_with_everything_it_started(
    strategy: str, tmp_path: Path
) -> None:
    planned = one_point("sleep", strategy, 2, duration=30.0)
    request = worker_request(planned, warmup=0)
    assert set(request) == set(REQUEST_FIELDS)
    with (tmp_path / "stderr").open("wb") as stderr:
        worker = subprocess.Popen(
            worker_command(sys.executable),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=worker_env(),
            start_new_session=True,
        )
    assert worker.stdin is not None and worker.stdout is not None
    try:
        worker.stdin.write(json.dumps(request).encode() + b"\n")
        worker.stdin.flush()
        events = []
        while not events or events[-1]["event"] == "hello":
            line = worker.stdout.readline()
            assert line, (tmp_path / "stderr").read_text()
            events.append(json.loads(line))
        assert [e["event"] for e in events] == ["hello", "ready"]
        threads_before = threads_in_session(worker.pid)

        worker.stdin.write(json.dumps({"command": "sample", "round": 0}).encode() + b"\n")
        worker.stdin.flush()
        # The sample has started when its two workers (threads, or pool processes) exist.
        deadline = time.monotonic() + 10
        while threads_in_session(worker.pid) < threads_before + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        members = session_members(worker.pid)
        assert threads_in_session(worker.pid) >= threads_before + 2, "the sample never started"
        if strategy == "processes":
            assert len(members) >= 3, members  # the worker and its two pool children

        worker.stdin.close()  # the orchestrator dies: no "stop", just the end of the pipe

        deadline = time.monotonic() + 5
        while (is_running(worker.pid) or session_members(worker.pid)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not is_running(worker.pid)
        assert session_members(worker.pid) == []
        assert [pid for pid in members if is_running(pid)] == []
        # It ended its own process group, itself included. Where its tasks' processes die
        # first (ended by the containment walk, the pool children), the sample fails and the
        # worker may finish its own exit before the kill reaches it: ended either way.
        assert worker.wait(timeout=5) in (-9, 0)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, 9)
            worker.wait()
        worker.stdout.close()


def threads_in_session(session: int) -> int:
    """How many threads the processes of a session have, all together."""
    count = 0
    for pid in session_members(session):
        try:
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


# ── blocks of rounds: one observation per phase of the machine ──────────────────────────────────


def timed(throughput: float, round_number: int, started_at: float) -> Sample:
    """A sample of 2 tasks at ``throughput`` tasks per second, started at ``started_at``."""
    return Sample(wall_s=2 / throughput, tasks_ok=2, round=round_number, started_at=started_at)


def test_rounds_without_start_times_are_blocks_of_one() -> None:
    base = [sample(10.0, r) for r in range(4)]
    mine = [sample(20.0 + r, r) for r in range(4)]

    assert paired_blocks(mine, base) == [[2.0], [2.1], [2.2], [2.3]]


def test_rounds_are_cut_into_blocks_of_two_seconds_by_their_baseline_start() -> None:
    # 40 rounds, one every 0.5 s: 20 s, so blocks of 2 s hold 4 rounds each.
    base = [timed(10.0, r, 1000.0 + 0.5 * r) for r in range(40)]
    mine = [timed(20.0, r, 1000.25 + 0.5 * r) for r in range(40)]

    blocks = paired_blocks(mine, base)

    assert [len(block) for block in blocks] == [4] * 10
    assert all(ratio == pytest.approx(2.0) for block in blocks for ratio in block)


def test_a_short_run_still_has_eight_blocks_to_count() -> None:
    # 16 rounds over 1.5 s: blocks of 1.5 s / 8, two rounds each.
    base = [timed(10.0, r, 50.0 + 0.1 * r) for r in range(16)]
    mine = [timed(15.0, r, 50.05 + 0.1 * r) for r in range(16)]

    assert len(paired_blocks(mine, base)) >= 8


def test_a_pause_between_two_passes_parts_their_blocks_without_widening_them() -> None:
    # 16 rounds, one every 0.5 s, then a pause of 30 s (the other groups' turn), then 8 more.
    starts = [1000.0 + 0.5 * r for r in range(16)] + [1037.5 + 0.5 * r for r in range(8)]
    base = [timed(10.0, r, start) for r, start in enumerate(starts)]
    mine = [timed(20.0, r, start + 0.25) for r, start in enumerate(starts)]

    blocks = paired_blocks(mine, base)

    # The rounds' own span is 7.5 s + 2 s (the pause, as one block's length) + 3.5 s = 13 s:
    # blocks of 13 / 8 = 1.625 s, and none across the pause. Spanned 41 s, with the pause whole,
    # the blocks were 2 s wide: 6 of them, whose interval is the range of their medians.
    assert [len(block) for block in blocks] == [4, 3, 3, 3, 3, 1, 3, 3, 1]
    assert sum(len(block) for block in blocks[:5]) == 16


def test_the_interval_counts_phases_not_rounds() -> None:
    # Two phases of the machine: 1.6× in the first half, 2.0× in the second, 5 blocks each,
    # 4 rounds a block, and a little jitter inside each phase.
    blocks = [[1.6 + 0.01 * (i % 2)] * 4 for i in range(5)] + [[2.0 - 0.01 * (i % 2)] * 4 for i in range(5)]
    per_round = [ratio for block in blocks for ratio in block]

    centre, (low, high) = block_interval(blocks)
    _, (round_low, round_high) = median_interval(per_round)

    assert centre == statistics.median(per_round)
    # Counted round by round, 40 rounds give a narrow interval; counted by phase, the
    # interval spans what the two phases measured.
    assert (round_high - round_low) < (high - low)
    assert low <= 1.61 and high >= 1.99


def test_below_six_blocks_the_interval_is_the_range_of_every_ratio() -> None:
    blocks = [[1.0, 1.2], [0.9], [1.1, 1.3]]

    centre, interval = block_interval(blocks)

    assert centre == 1.1
    assert interval == (0.9, 1.3)


def test_the_interval_always_holds_its_centre() -> None:
    # One long block at 1.0 and eight short ones at 5.0: the median of the ratios is 1.0, while
    # the order statistics of the nine block medians give (5.0, 5.0); the interval is widened.
    blocks = [[1.0] * 30] + [[5.0]] * 8

    assert block_interval(blocks) == (1.0, (1.0, 5.0))
