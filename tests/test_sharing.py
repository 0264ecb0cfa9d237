"""The run's time shared among its groups: settled groups leave their time to those still short.

The sharing rule (``share_out``) is checked on synthetic outcomes and a
synthetic clock: no worker, no timing. One test goes on from a group's first
pass with synthetic sessions (``test_big_sweeps.FakeSession``), to see that
its rounds are numbered on and its parked workers start afresh.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import pytest

from test_big_sweeps import FakeSessions, group
from threadlab.model import Point, Rounds, RoundsEnd, Spec
from threadlab.orchestrate._rounds import (
    GroupOutcome,
    measure_group,
    need_s,
    rotation,
    share,
    share_out,
    short_of_precision,
    worth_resuming,
)
from threadlab.orchestrate._runner import WorkerSession

pytestmark = pytest.mark.timeout(60)

PRECISION = 0.05


def outcome(
    *,
    rounds: int = 6,
    elapsed_s: float,
    spent_s: float,
    time_s: float,
    reached: float | None,
    ended: RoundsEnd = "time",
    interrupted: bool = False,
) -> GroupOutcome:
    """A group's synthetic outcome, with one parked session to go on with."""
    return GroupOutcome(
        measurements=[],
        rounds=Rounds((0,), rounds, elapsed_s, PRECISION, reached, time_s, ended),
        interrupted=interrupted,
        spent_s=spent_s,
        sessions=cast(Sequence[WorkerSession], (object(),)),
    )


class Clock:
    """Seconds that pass only when a synthetic group spends them."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


Plan = dict[tuple[int, bool], tuple[float | None, GroupOutcome]]


def shared(
    groups: int, max_time_s: float, plan: Plan, weights: Sequence[float] | None = None
) -> tuple[list[tuple[int, float, bool]], Clock]:
    """``share_out`` over synthetic groups: ``plan`` maps (group, resumed) to the seconds it spends
    (None: all it is given) and its outcome; ``weights`` their parts. Returns the calls made and
    the clock."""
    clock = Clock()
    calls: list[tuple[int, float, bool]] = []

    def measure(number: int, time_s: float, resume: GroupOutcome | None) -> GroupOutcome:
        calls.append((number, round(time_s, 6), resume is not None))
        spends, result = plan[(number, resume is not None)]
        clock.now += time_s if spends is None else spends
        return result

    share_out(groups, max_time_s, measure, clock, weights)
    return calls, clock


def test_a_group_that_settles_early_gives_its_time_to_one_short_of_its_precision() -> None:
    short = outcome(elapsed_s=13.0, spent_s=15.0, time_s=15.0, reached=0.31)
    plan: Plan = {
        (0, False): (None, short),
        (1, False): (2.0, outcome(elapsed_s=1.5, spent_s=2.0, time_s=7.5, reached=0.01, ended="precise")),
        (0, True): (None, outcome(elapsed_s=26.0, spent_s=28.0, time_s=28.0, reached=0.08)),
    }
    calls, clock = shared(2, 30.0, plan)
    # 30 s over 2 groups: 15 s for the first, which ends short at ±31% and keeps its claim; the
    # second shares the 15 s left with it, 7.5 s, settles in 2 s, and the 13 s left go to the first.
    assert calls == [(0, 15.0, False), (1, 7.5, False), (0, 13.0, True)]
    assert clock.now - 100.0 == pytest.approx(30.0)


def test_the_time_left_goes_first_to_the_short_group_nearest_its_precision_what_it_needs() -> None:
    plan: Plan = {
        (0, False): (None, outcome(elapsed_s=6.0, spent_s=7.5, time_s=7.5, reached=0.2)),
        (1, False): (1.0, outcome(elapsed_s=1.0, spent_s=1.0, time_s=5.0, reached=0.0, ended="precise")),
        (2, False): (5.0, outcome(elapsed_s=4.0, spent_s=5.0, time_s=14.0, reached=0.06)),
        (2, True): (None, outcome(elapsed_s=5.8, spent_s=7.8, time_s=7.8, reached=0.05)),
        (0, True): (None, outcome(elapsed_s=8.0, spent_s=10.0, time_s=10.0, reached=0.14)),
    }
    calls, clock = shared(3, 22.5, plan)
    # 22.5 s: 7.5 s (a third), short at ±20%; then 5 s (15 s among 2 groups and its claim), of
    # which 1 s is spent; then the last group 7 s (14 s beside the claim), which stops after 5 s
    # at ±6%. Of the 9 s left, it needs its 1 s of start-ups and 4 s × (1.2² - 1) of rounds:
    # 2.76 s; the first group, at ±20%, gets the 6.24 s left.
    assert calls == [(0, 7.5, False), (1, 5.0, False), (2, 7.0, False), (2, 2.76, True), (0, 6.24, True)]
    assert clock.now - 100.0 == pytest.approx(22.5)


def test_a_groups_need_is_its_start_ups_and_the_rounds_that_narrow_it_to_the_precision() -> None:
    near = outcome(rounds=8, elapsed_s=4.0, spent_s=5.0, time_s=5.0, reached=0.1)
    assert need_s(near) == pytest.approx(1.0 + 4.0 * (2.0**2 - 1))
    barely = outcome(rounds=8, elapsed_s=4.0, spent_s=5.0, time_s=5.0, reached=0.0501)
    assert need_s(barely) == pytest.approx(1.0 + 2 * 0.5)  # two rounds at least
    assert need_s(outcome(elapsed_s=4.0, spent_s=5.0, time_s=5.0, reached=None)) == math.inf
    # Three rounds' "interval" is the range of three ratios: no guide to what more rounds give.
    assert need_s(outcome(rounds=3, elapsed_s=4.0, spent_s=5.0, time_s=5.0, reached=0.0501)) == math.inf


def test_a_group_of_too_few_rounds_to_tell_its_need_goes_on_after_those_whose_need_is_known() -> None:
    plan: Plan = {
        (0, False): (None, outcome(rounds=12, elapsed_s=9.0, spent_s=10.0, time_s=10.0, reached=0.2)),
        (1, False): (None, outcome(rounds=3, elapsed_s=2.0, spent_s=5.0, time_s=5.0, reached=0.06)),
        (0, True): (None, outcome(rounds=20, elapsed_s=13.0, spent_s=15.0, time_s=5.0, reached=0.15)),
    }
    calls, _ = shared(2, 20.0, plan)
    # 10 s, short at ±20%, keeps its claim; the second shares the 10 s left with it: 5 s. Of the
    # 5 s left, the group of 12 rounds needs 1 s of start-ups and 9 s × (2² - 1) of rounds and
    # gets them all. The one of 3 rounds at ±6% would have needed 5 s (its 3 s of start-ups and
    # two rounds) and gone first, but its ±6% is the range of three ratios, not an interval.
    assert calls == [(0, 10.0, False), (1, 5.0, False), (0, 5.0, True)]


def test_no_group_is_resumed_where_the_time_left_would_not_buy_its_start_ups_and_two_rounds() -> None:
    # Its first pass took 2 s to start and warm up, then 3 rounds of 2 s: going on costs 6 s.
    short = outcome(rounds=3, elapsed_s=6.0, spent_s=8.0, time_s=8.0, reached=0.3)
    plan: Plan = {
        (0, False): (None, short),
        (1, False): (8.5, outcome(elapsed_s=8.0, spent_s=8.5, time_s=4.0, reached=0.0, ended="precise")),
    }
    calls, _ = shared(2, 16.0, plan)
    assert calls == [(0, 8.0, False), (1, 4.0, False)]  # 16.5 s of the 16 spent: nothing left
    assert not worth_resuming(short, 5.99)
    assert worth_resuming(short, 6.0)


def test_groups_precise_failed_or_within_their_precision_are_not_resumed() -> None:
    plan: Plan = {
        (0, False): (1.0, outcome(elapsed_s=1.0, spent_s=1.0, time_s=5.0, reached=0.01, ended="precise")),
        (1, False): (1.0, outcome(elapsed_s=1.0, spent_s=1.0, time_s=5.0, reached=None, ended="failed")),
        (2, False): (None, outcome(elapsed_s=4.0, spent_s=5.0, time_s=10.0, reached=0.04)),
    }
    calls, _ = shared(3, 20.0, plan)
    assert [call[2] for call in calls] == [False, False, False]


def test_ctrl_c_in_a_group_ends_the_sharing() -> None:
    plan: Plan = {
        (0, False): (None, outcome(elapsed_s=4.0, spent_s=5.0, time_s=5.0, reached=0.3, interrupted=True)),
    }
    calls, _ = shared(2, 10.0, plan)
    assert calls == [(0, 5.0, False)]


def test_short_of_precision_is_out_of_time_with_an_interval_wider_than_asked_or_unknown() -> None:
    def ended(how: RoundsEnd, reached: float | None) -> Rounds:
        return Rounds((0,), 6, 1.0, PRECISION, reached, 1.0, how)

    assert short_of_precision(ended("time", 0.051))
    assert short_of_precision(ended("time", None))
    assert not short_of_precision(ended("time", 0.05))
    assert not short_of_precision(ended("precise", 0.2))
    assert not short_of_precision(ended("interrupted", 0.2))


def test_a_share_is_an_equal_part_among_the_groups_after_it_and_the_earlier_ones_short() -> None:
    assert share(12.0, after=2) == pytest.approx(4.0)
    assert share(12.0, after=2, claims=1) == pytest.approx(3.0)
    assert share(12.0, after=0) == 12.0  # the last group, nothing short before it: all that is left
    assert share(-3.0, after=1) == 0.0


def test_groups_short_after_their_first_pass_keep_a_claim_on_the_time_the_later_ones_share() -> None:
    # The full tour's shape: a CPU lesson that ends short, then groups that take all they are given.
    plan: Plan = {
        (0, False): (None, outcome(elapsed_s=5.0, spent_s=6.0, time_s=6.0, reached=0.18)),
        (1, False): (None, outcome(elapsed_s=5.0, spent_s=6.0, time_s=6.0, reached=0.4)),
        (2, False): (None, outcome(elapsed_s=5.0, spent_s=6.0, time_s=6.0, reached=0.6)),
        (0, True): (None, outcome(elapsed_s=9.0, spent_s=12.0, time_s=12.0, reached=0.09)),
    }
    calls, clock = shared(3, 18.0, plan)
    # 18 s among 3 groups: 6 s; then the 12 s left among the last two and the first's claim: 4 s;
    # then the 8 s left among the last and two claims: 2.67 s. The 5.33 s held back go to the
    # first group, the nearest its precision, where without claims the last took them all.
    last, held = round(8 / 3, 6), round(16 / 3, 6)
    assert calls == [(0, 6.0, False), (1, 4.0, False), (2, last, False), (0, held, True)]
    assert clock.now - 100.0 == pytest.approx(18.0)


def test_a_resumed_group_numbers_its_rounds_on_and_starts_its_parked_workers_afresh() -> None:
    points: list[Point] = group()
    fakes = FakeSessions()
    log, live, made = fakes.log, fakes.live, fakes.made
    first = measure_group(
        points,
        first_index=0,
        time_s=0.0,
        precision=PRECISION,
        min_rounds=3,
        timeout_s=None,
        session_factory=fakes,
    )
    assert (first.rounds.rounds, first.rounds.ended) == (3, "time")
    assert all(s.parked for s in made) and live[0] == 0
    log.clear()
    # No time of its own: it takes the one round its share was judged to buy, and no more.
    again = measure_group(
        points, first_index=0, time_s=0.0, precision=PRECISION, min_rounds=3, timeout_s=None, resume=first
    )
    assert log == [(3, index) for index in rotation(len(points), 3)]
    assert again.rounds.rounds == 4
    assert again.rounds.elapsed_s >= first.rounds.elapsed_s
    assert again.spent_s >= first.spent_s
    assert [len(m.samples) for m in again.measurements] == [4] * len(points)
    assert [s.starts for s in made] == [2] * len(points)
    assert live[0] == 0, "a worker was left running"


def test_a_group_given_more_parts_takes_them_and_its_claim_holds_as_many() -> None:
    # The tour's shape: the seed's CPU lesson of 4 parts between two groups of one part each.
    plan: Plan = {
        (0, False): (6.0, outcome(elapsed_s=5.0, spent_s=6.0, time_s=3.0, reached=0.01, ended="precise")),
        (1, False): (None, outcome(rounds=20, elapsed_s=9.2, spent_s=9.6, time_s=9.6, reached=0.12)),
        (2, False): (1.0, outcome(elapsed_s=1.0, spent_s=1.0, time_s=0.48, reached=0.0, ended="precise")),
        (1, True): (None, outcome(rounds=20, elapsed_s=12.0, spent_s=14.0, time_s=1.92, reached=0.09)),
    }
    calls, clock = shared(3, 18.0, plan, weights=[1.0, 4.0, 1.0])
    # 18 s in 6 parts: 3 s for the first, which takes 6 s; of the 12 s left, 4 parts of 5 go to the
    # second: 9.6 s. It ends short at ±12%, so the last shares the 2.4 s left with its 4-part claim
    # (0.48 s), takes 1 s, and the 1.4 s left go back to the second group (they buy its 0.4 s of
    # start-ups and two rounds of 0.46 s).
    assert calls == [(0, 3.0, False), (1, 9.6, False), (2, 0.48, False), (1, 1.4, True)]
    assert clock.now - 100.0 == pytest.approx(18.0)
    assert share(10.0, after=1.0, weight=4.0) == pytest.approx(8.0)
    assert share(10.0, after=1.0, claims=8.0) == pytest.approx(1.0)


def test_weights_are_one_above_zero_per_group() -> None:
    with pytest.raises(ValueError, match="one weight above 0 per group"):
        shared(2, 10.0, {}, weights=[1.0])
    with pytest.raises(ValueError, match="one weight above 0 per group"):
        shared(2, 10.0, {}, weights=[1.0, 0.0])


class ProbingMonitor:
    """A noise monitor whose capacity probes each take ``probe_s`` of a synthetic clock."""

    def __init__(self, clock: Clock, probe_s: float) -> None:
        self.clock, self.probe_s = clock, probe_s
        self.closing_probe: bool | None = None

    def start(self) -> None:
        self.clock.now += self.probe_s

    def between_rounds(self) -> None:
        """Nothing to time between synthetic rounds."""

    def finish(self, probe: bool = True) -> None:
        self.closing_probe = probe
        self.clock.now += self.probe_s if probe else 0.0


def test_the_run_keeps_time_for_its_closing_probe_within_max_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # The opening probe took 0.5 s of a 10 s run: the groups share 9 s, and the closing probe
    # (as long again) ends the run at 10 s, not past it.
    from threadlab.orchestrate import _execute

    clock = Clock()
    monitor = ProbingMonitor(clock, probe_s=0.5)
    given: list[float] = []

    def measure_nothing(groups: int, max_time_s: float, *rest: object, **named: object) -> list[GroupOutcome]:
        given.append(max_time_s)
        clock.now += max_time_s
        return []

    monkeypatch.setattr(_execute, "time", type("Time", (), {"perf_counter": staticmethod(clock)}))
    monkeypatch.setattr(_execute, "NoiseMonitor", lambda: monitor)
    monkeypatch.setattr(_execute, "share_out", measure_nothing)
    started = clock.now
    spec = Spec(workloads=("sleep",), strategies=("sequential",), workers=(1,), max_time_s=10.0)
    result = _execute.execute(spec, points=())
    assert given == [pytest.approx(9.0)]
    assert monitor.closing_probe is True
    assert clock.now - started == pytest.approx(10.0)
    assert result.measurements == ()
