"""Big sweeps: live workers bounded by a memory budget, and the plan's up-front estimate (issue 24).

The rounds are checked with synthetic sessions (no worker process, no
timing): under a budget that holds fewer workers than points, a group must
sample the same points in the same rounds, in the same rotation, paired
with the same baseline samples, as one with a worker per point.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import is_running, needs_proc, one_point
from threadlab import SpecError
from threadlab.analysis import speedup
from threadlab.model import Point, Sample
from threadlab.orchestrate._plan import WORKER_BYTES, WORKER_START_S, check_size, parse_size, point_bytes
from threadlab.orchestrate._rounds import GroupOutcome, measure_group, next_turn, rotation
from threadlab.orchestrate._runner import WorkerSession

MB = 1024 * 1024


class FakeSession(WorkerSession):
    """A point's session with no process: each sample's throughput is a function of its point and round."""

    def __init__(
        self,
        point: Point,
        index: int,
        log: list[tuple[int, int]],
        live: list[int],
        events: list[tuple[str, int]],
    ) -> None:
        super().__init__(point, timeout_s=None)
        self.index = index
        self.log = log
        self.live = live  # [alive now, most alive at once]
        self.events = events  # ("launch" or "ready", index), as the rounds start workers
        self.starts = 0
        self._up = False

    @property
    def alive(self) -> bool:
        return self._up

    def launch(self) -> None:
        """Nothing to launch: ``start`` brings the fake worker up, as a real one is once ready."""
        self.events.append(("launch", self.index))

    def start(self) -> bool:
        self.events.append(("ready", self.index))
        if self.parked:
            self.parked = False
            self.restarts += 1
        self.starts += 1
        self._up = True
        self.live[0] += 1
        self.live[1] = max(self.live)
        return True

    def sample(self, round_number: int) -> Sample | None:
        assert self._up, f"point {self.index} sampled without a live worker"
        self.log.append((round_number, self.index))
        wall = 1.0 / (self.point.workers * (1 + (round_number * 7 + self.index) % 5 / 10))
        sample = Sample(wall_s=wall * self.point.tasks, tasks_ok=self.point.tasks, round=round_number)
        self.samples.append(sample)
        return sample

    def close(self) -> None:
        self.parked = False
        if self._up:
            self.live[0] -= 1
        self._up = False

    def interrupt(self, why: str = "") -> None:
        self.close()

    def rss(self) -> int:
        return 20 * MB


def group() -> list[Point]:
    """Six points of one group: the sequential baseline and five with more workers."""
    return [Point("sleep", "sequential", 1, 2)] + [
        Point("sleep", strategy, workers, 2)
        for strategy, workers in [
            ("threads", 2),
            ("threads", 4),
            ("processes", 2),
            ("asyncio", 2),
            ("asyncio", 4),
        ]
    ]


class FakeSessions:
    """A session factory of ``FakeSession``s sharing one log of samples and one count of the live ones."""

    def __init__(self) -> None:
        self.log: list[tuple[int, int]] = []  # (round, point index), as sampled
        self.live = [0, 0]  # [alive now, most alive at once]
        self.made: list[FakeSession] = []
        self.events: list[tuple[str, int]] = []

    def __call__(self, point: Point) -> WorkerSession:
        self.made.append(FakeSession(point, len(self.made), self.log, self.live, self.events))
        return self.made[-1]


def run_group(
    budget: int | None, rounds: int = 7, points: list[Point] | None = None
) -> tuple[GroupOutcome, list[tuple[int, int]], list[FakeSession]]:
    fakes = FakeSessions()
    outcome = measure_group(
        group() if points is None else points,
        first_index=0,
        time_s=0.0,
        precision=0.05,
        min_rounds=rounds,
        timeout_s=None,
        memory_budget=budget,
        session_factory=fakes,
    )
    assert fakes.live[0] == 0, "a worker was left running"
    fakes.made[0].live_most = fakes.live[1]  # type: ignore[attr-defined]
    return outcome, fakes.log, fakes.made


def test_a_tiny_budget_samples_and_pairs_exactly_as_a_worker_per_point() -> None:
    free, free_log, _ = run_group(None)
    tight, tight_log, sessions = run_group(3 * 20 * MB)
    assert tight_log == free_log
    for number in range(7):
        assert [i for r, i in tight_log if r == number] == list(rotation(6, number))
    for mine, theirs in zip(tight.measurements, free.measurements, strict=True):
        assert mine.samples == theirs.samples
    baseline_free, baseline_tight = free.measurements[0], tight.measurements[0]
    for mine, theirs in zip(tight.measurements[1:], free.measurements[1:], strict=True):
        assert speedup(mine, baseline_tight) == speedup(theirs, baseline_free)
    assert tight.rounds.rounds == free.rounds.rounds == 7
    assert sessions[0].live_most == 3  # type: ignore[attr-defined]
    assert tight.rounds.most_live == 3
    assert free.rounds.most_live is None and free.rounds.restarts == 0


def start_order(points: list[Point], budget: int | None) -> list[tuple[str, int]]:
    """The launches and waits of a group's first start-ups, as ``measure_group`` makes them."""
    _, _, sessions = run_group(budget, rounds=1, points=points)
    return sessions[0].events[: 2 * len(points)]


def pairs(*batches: tuple[int, ...]) -> list[tuple[str, int]]:
    """Each batch launched whole, then each of its workers waited for, in order."""
    return [(step, i) for batch in batches for step in ("launch", "ready") for i in batch]


def test_a_groups_workers_start_two_at_a_time_each_pair_launched_before_either_is_waited_for() -> None:
    assert start_order(group(), None) == pairs((0, 1), (2, 3), (4, 5))


def test_a_warm_pool_starts_alone_so_that_its_measured_start_up_has_no_other_beside_it() -> None:
    points = group()
    points[3] = Point("sleep", "processes", 2, 2, strategy_params={"start": "warm"})
    assert start_order(points, None) == pairs((0, 1), (2,), (3,), (4, 5))


def test_under_a_memory_budget_the_first_worker_starts_alone_to_give_the_others_a_footprint() -> None:
    assert start_order(group(), 100 * 20 * MB) == pairs((0,), (1, 2), (3, 4), (5,))
    # Room for three: the third is launched beside the second, counted before either is ready.
    assert start_order(group(), 3 * 20 * MB)[:6] == pairs((0,), (1, 2))


def test_each_fresh_worker_is_counted_and_the_fewest_are_closed() -> None:
    tight, _, sessions = run_group(3 * 20 * MB)
    assert tight.rounds.restarts == sum(s.restarts for s in sessions)
    assert all(s.starts == s.restarts + 1 for s in sessions)
    # Closing the worker whose turn comes furthest keeps two of three alive from round to round:
    # six points, three live, and at most four fresh starts a round (not six).
    assert 0 < tight.rounds.restarts <= 4 * 7


def test_a_budget_below_one_worker_still_samples_every_point_one_at_a_time() -> None:
    tight, log, sessions = run_group(MB)
    assert sorted(log) == sorted((r, i) for r in range(7) for i in range(6))
    assert sessions[0].live_most == 1  # type: ignore[attr-defined]
    assert tight.rounds.most_live == 1


def test_the_next_turn_follows_the_rotation() -> None:
    # Round 1 of 4 points samples 1 2 3 0; after position 1 (point 2), point 3 comes next,
    # then round 2 (2 3 0 1): point 2 first, point 1 last.
    assert next_turn(3, 4, 1, 1) == 2
    assert next_turn(0, 4, 1, 1) == 3
    assert next_turn(2, 4, 1, 1) == 4
    assert next_turn(1, 4, 1, 1) == 7


def points_of(count: int) -> list[Point]:
    return [Point("sleep", "threads", n, n) for n in range(1, count + 1)]


def test_a_sweep_whose_start_ups_overrun_the_time_is_refused_with_the_estimate() -> None:
    with pytest.raises(SpecError) as refused:
        check_size(points_of(500), max_time_s=60.0, memory_budget=100 * 1024 * MB)
    assert refused.value.option == "max_time"
    assert str(refused.value) == (
        f"max_time: 500 workers take about {500 * WORKER_START_S:.0f} s to start and warm up "
        f"({WORKER_START_S:g} s each on this machine), beyond max_time=60.0 s; "
        "use fewer points or give it more time"
    )


def test_a_sweep_that_cannot_fit_even_bounded_is_refused_with_the_numbers() -> None:
    per_round = 1000 * WORKER_START_S
    with pytest.raises(SpecError) as refused:
        check_size(points_of(1000), max_time_s=per_round * 3, memory_budget=400 * MB, min_rounds=3)
    assert refused.value.option == "memory_budget"
    assert str(refused.value).startswith(
        "memory_budget: needs about 19.5 GiB for 1,000 live workers; 400.0 MiB available; "
        "with 20 alive, 3 rounds would start 981 workers afresh each"
    )


def test_a_sweep_that_fits_is_not_refused_and_says_whether_it_is_bounded() -> None:
    assert check_size(points_of(10), max_time_s=60.0, memory_budget=10 * 1024 * MB) is None
    note = check_size(points_of(50), max_time_s=600.0, memory_budget=500 * MB)
    assert note is not None and "at most 25 live workers" in note


def test_the_cli_refuses_the_500_point_sweep_up_front_with_the_estimate(
    capsys: pytest.CaptureFixture[str], no_workers: list[object], tmp_path: Path
) -> None:
    workers = ",".join(str(n) for n in range(1, 101))
    strategies = "sequential,threads,thread-pool,processes,asyncio"
    args = ["run", "-w", "sleep", "-s", strategies, "-n", workers, "-p", "duration=0.01", "--max-time", "60"]

    code, out, err = threadlab_cli(capsys, *args, "-o", str(tmp_path / "r.json"))

    assert (code, out) == (2, "")
    assert err == (
        f"threadlab: error: --max-time: 500 workers take about {500 * WORKER_START_S:.0f} s to start and "
        f"warm up ({WORKER_START_S:g} s each on this machine), beyond --max-time 60.0 s; "
        "use fewer points or give it more time\n"
    )
    assert no_workers == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("4XB", "'4XB' is not accepted; expected a size above 0 like 4GB or 500MB"),
        ("0", "'0' is not accepted; expected a size above 0 like 4GB or 500MB"),
        ("-1GB", "'-1GB' is not accepted; expected a size above 0 like 4GB or 500MB"),
    ],
)
def test_a_bad_memory_budget_is_refused_in_one_line(
    given: str, message: str, capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", "--memory-budget", given)
    assert (code, out, err) == (2, "", f"threadlab: error: --memory-budget: {message}\n")
    assert no_workers == []


def test_the_api_refuses_a_memory_budget_that_is_not_a_size() -> None:
    with pytest.raises(SpecError, match=r"^memory_budget: -5 is not accepted; expected bytes above 0"):
        threadlab.run("sleep", "threads", 1, memory_budget=-5)


def test_sizes_read_as_bytes() -> None:
    assert [parse_size(t) for t in ("4GB", "500 MB", "2g", "64", "1.5G")] == [
        4 * 1024**3,
        500 * MB,
        2 * 1024**3,
        64 * MB,
        int(1.5 * 1024**3),
    ]


@needs_proc
def test_a_parked_worker_starts_afresh_and_keeps_its_samples() -> None:
    session = WorkerSession(one_point("sleep", "threads", 2, duration=0.001), timeout_s=60)
    try:
        assert session.start()
        first = session.pid
        assert session.rss() > 0
        session.sample(0)
        session.park()
        assert session.parked and not session.alive and session.rss() == 0
        assert first is not None and not is_running(first)
        assert session.start()
        session.sample(1)
    finally:
        session.close()
    assert session.pid != first and session.restarts == 1 and session.restart_s > 0
    measurement = session.measurement()
    assert measurement.status == "ok"
    assert [s.round for s in measurement.samples] == [0, 1]
    assert len(measurement.warmups) == 2  # one warm-up per worker, outside the samples


def test_a_points_estimate_counts_its_warm_pool_children_and_the_memory_its_workload_holds() -> None:
    assert point_bytes(Point("sleep", "threads", 4, 4)) == WORKER_BYTES
    assert point_bytes(Point("sleep", "processes", 4, 4)) == WORKER_BYTES  # a cold pool: within samples
    warm = Point("sleep", "processes", 4, 4, strategy_params={"start": "warm"})
    assert point_bytes(warm) == 5 * WORKER_BYTES
    assert point_bytes(Point("hash", "threads", 2, 2, params={"mb": 32.0})) == WORKER_BYTES + 32 * MB
