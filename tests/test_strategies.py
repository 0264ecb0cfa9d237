"""The one behaviour suite, run against every strategy.

Like cpython's ``create_executor_tests``: each test is written once and runs
once per strategy, with the strategy's name as its id (``test_…[thread-pool]``).
A strategy that cannot run in this Python is skipped with its reason.
"""

from __future__ import annotations

import itertools
import multiprocessing
import re
import statistics
import sys
from pathlib import Path

import pytest

from conftest import measure, one_point, target
from threadlab._model import Measurement, Point, Sample, TaskSpans
from threadlab.worker import strategies

pytestmark = pytest.mark.timeout(60)

NAMES = strategies.names()
# Strategies that run blocking tasks ("sync"; sequential runs either form, "any").
SYNC_NAMES = tuple(name for name in NAMES if strategies.get(name).mode != "async")
EPSILON_S = 1e-3  # spans are stored to 0.1 µs; the sample's wall to 1 ns


def available(name: str) -> str:
    """``name``, or skip the test with the reason it cannot run here."""
    reason = strategies.get(name).unavailable_reason()
    if reason:
        pytest.skip(f"{name} cannot run here: {reason}")
    return name


@pytest.fixture(scope="module", params=NAMES, ids=str)
def strategy(request: pytest.FixtureRequest) -> str:
    return available(request.param)


@pytest.fixture(params=SYNC_NAMES, ids=str)
def sync_strategy(request: pytest.FixtureRequest) -> str:
    return available(request.param)


def user_target(function: str, strategy: str) -> str:
    """A fixture function in the form the strategy runs: ``…_async`` on asyncio."""
    suffix = "_async" if strategies.get(strategy).mode == "async" else ""
    return target("user_tasks", function + suffix)


def all_samples(measurement: Measurement) -> tuple[Sample, ...]:
    return (*measurement.warmups, *measurement.samples)


def most_at_once(spans: TaskSpans) -> int:
    """The largest number of tasks that were running at the same moment."""
    # At equal times an end sorts before a start: back-to-back tasks do not overlap.
    edges = sorted([(end, -1) for end in spans.end_s] + [(start, 1) for start in spans.start_s])
    running = peak = 0
    for _, change in edges:
        running += change
        peak = max(peak, running)
    return peak


# One measurement per strategy, shared by the tests that only read it:
# sleep 0.2 s, T = W = 2, two warm-ups and two samples, every sample seen as it arrived.
SLEEP_S = 0.2


@pytest.fixture(scope="module")
def sleep_run(strategy: str) -> tuple[Measurement, list[bool]]:
    seen: list[bool] = []

    def on_sample(point: Point, sample: Sample, warmup: bool) -> None:
        seen.append(warmup)

    point = one_point("sleep", strategy, 2, duration=SLEEP_S)
    return measure(point, repeat=2, warmup=2, on_sample=on_sample), seen


def test_point_is_measured_ok_under_this_python(sleep_run: tuple[Measurement, list[bool]]) -> None:
    measurement, _ = sleep_run
    assert measurement.status == "ok"
    assert measurement.errors == ()
    assert measurement.interpreter is not None
    assert measurement.interpreter.executable == sys.executable


def test_warmups_are_kept_apart(sleep_run: tuple[Measurement, list[bool]]) -> None:
    measurement, seen = sleep_run
    assert len(measurement.warmups) == 2
    assert len(measurement.samples) == 2
    assert seen == [True, True, False, False]


def test_every_sample_runs_every_task(sleep_run: tuple[Measurement, list[bool]]) -> None:
    measurement, _ = sleep_run
    for sample in all_samples(measurement):
        assert len(sample.spans) == measurement.point.tasks
        assert sample.tasks_ok == measurement.point.tasks
        assert sample.tasks_failed == 0
        assert sample.first_error is None
        assert all(sample.spans.ok)


def test_spans_lie_within_the_sample(sleep_run: tuple[Measurement, list[bool]]) -> None:
    measurement, _ = sleep_run
    for sample in all_samples(measurement):
        for start, end in zip(sample.spans.start_s, sample.spans.end_s, strict=True):
            assert 0 <= start <= end <= sample.wall_s + EPSILON_S
        assert min(sample.spans.durations()) >= SLEEP_S - EPSILON_S


def test_sleep_uses_almost_no_cpu(strategy: str, sleep_run: tuple[Measurement, list[bool]]) -> None:
    measurement, _ = sleep_run
    if strategy == "dask":
        # Every sample starts its Dask workers, fresh Pythons importing distributed
        # (about 1 CPU-second each, rightly counted in the sample): the tasks' own CPU is the sleep's.
        for sample in all_samples(measurement):
            assert all(cpu is not None and cpu < 0.3 * SLEEP_S for cpu in sample.spans.cpu_s)
        return
    summary = measurement.summary()
    assert summary is not None and summary.cpu_per_wall is not None
    assert summary.cpu_per_wall < 0.3


def test_spawn_time_is_recorded_where_it_can_be_told_apart(
    strategy: str, sleep_run: tuple[Measurement, list[bool]]
) -> None:
    measurement, _ = sleep_run
    for sample in all_samples(measurement):
        # dask: until its cluster's workers are ready; interpreters: until each has set up its task.
        if strategy in ("threads", "dask", "interpreters"):
            assert sample.spawn_s is not None
            assert 0 <= sample.spawn_s < sample.wall_s
        else:
            assert sample.spawn_s is None


def test_task_cpu_time_is_absent_only_on_the_event_loop(
    strategy: str, sleep_run: tuple[Measurement, list[bool]]
) -> None:
    measurement, _ = sleep_run
    for sample in all_samples(measurement):
        if strategy == "asyncio":
            assert sample.spans.cpu_s == (None,) * len(sample.spans)
        else:
            assert all(cpu is not None and cpu >= 0 for cpu in sample.spans.cpu_s)


def test_each_task_runs_exactly_once(strategy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls"
    monkeypatch.setenv("THREADLAB_TEST_CALLS", str(calls))
    point = one_point(user_target("record_call", strategy), strategy, 2, tasks=5)

    measurement = measure(point, repeat=2, warmup=1)

    assert measurement.status == "ok"
    lines = calls.read_text().splitlines()
    assert len(lines) == 3 * 5
    for sample in all_samples(measurement):
        assert sample.tasks_ok == len(sample.spans) == 5
    if strategies.get(strategy).mode != "async":
        # Who the task saw running it is who its span names.
        labels = {label for sample in all_samples(measurement) for label in sample.spans.workers}
        assert set(lines) == labels


@pytest.mark.parametrize(
    ("workers", "tasks"),
    [(4, 4), (2, 8), (4, 2)],
    ids=["4-workers-4-tasks", "2-workers-8-tasks", "4-workers-2-tasks"],
)
def test_worker_count_is_honoured(strategy: str, workers: int, tasks: int) -> None:
    point = one_point("sleep", strategy, workers, tasks=tasks, duration=0.1)

    (sample,) = measure(point).samples

    expected = 1 if strategy == "sequential" else min(workers, tasks)
    assert len(sample.spans.workers) == expected
    assert most_at_once(sample.spans) == expected
    for worker in range(len(sample.spans.workers)):
        # One worker runs one task at a time.
        mine = sorted(
            (start, end)
            for start, end, who in zip(
                sample.spans.start_s, sample.spans.end_s, sample.spans.worker, strict=True
            )
            if who == worker
        )
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(mine))


def test_a_raising_task_is_captured_and_the_others_still_run(
    strategy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLAB_TEST_COUNTER", str(tmp_path / "counter"))
    point = one_point(user_target("fail_on_second_call", strategy), strategy, 2, tasks=4)

    measurement = measure(point)

    assert measurement.status == "errors"
    (sample,) = measurement.samples
    assert (sample.tasks_ok, sample.tasks_failed) == (3, 1)
    assert sample.spans.ok.count(False) == 1
    assert sample.first_error is not None
    assert sample.first_error.startswith("Traceback (most recent call last):")
    assert "user_tasks.py" in sample.first_error
    assert sample.first_error.rstrip().endswith("PlannedFailure: planned failure on call 2")
    (error,) = measurement.errors
    assert (error.kind, error.message, error.count) == ("task", "1 of 4 tasks raised", 1)
    assert error.traceback == sample.first_error


def test_a_task_that_calls_sys_exit_is_a_task_error(
    strategy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLAB_TEST_COUNTER", str(tmp_path / "counter"))
    point = one_point(user_target("exit_on_second_call", strategy), strategy, 2, tasks=4)

    measurement = measure(point)

    assert measurement.status == "errors", measurement.errors
    (sample,) = measurement.samples
    assert (sample.tasks_ok, sample.tasks_failed) == (3, 1)
    assert sample.first_error is not None
    assert sample.first_error.rstrip().endswith("SystemExit: task exits on call 2")


def test_cpu_bound_work_keeps_a_core_busy(sync_strategy: str) -> None:
    # Processes count too: their children's CPU time is part of the sample.
    point = one_point("count", sync_strategy, 2, iterations=10**6)

    measurement = measure(point, repeat=2, warmup=1)

    summary = measurement.summary()
    assert summary is not None and summary.cpu_per_wall is not None
    assert summary.cpu_per_wall > 0.5


def test_sequential_runs_on_a_worker_thread() -> None:
    # The plain count loop measured 10-30% slower on the main thread here,
    # which would inflate every speedup computed against this baseline.
    (sample,) = measure(one_point("count", "sequential", 3, iterations=10**5)).samples
    (label,) = sample.spans.workers
    assert re.fullmatch(r"\d+:threadlab-sequential", label)


@pytest.mark.parametrize("strategy_name", ["threads", "thread-pool", "asyncio"])
def test_eight_sleeps_on_eight_workers_overlap(strategy_name: str) -> None:
    # Physics, with a wide margin: eight 0.2 s sleeps one after another take 1.6 s.
    point = one_point("sleep", available(strategy_name), 8, duration=0.2)

    measurement = measure(point, repeat=3)

    assert statistics.median(s.wall_s for s in measurement.samples) < 0.8


def test_eight_sleeps_in_sequence_take_their_sum() -> None:
    (sample,) = measure(one_point("sleep", "sequential", 8, duration=0.2)).samples
    assert sample.wall_s >= 8 * 0.2


@pytest.mark.parametrize("start_method", multiprocessing.get_all_start_methods())
def test_processes_run_a_user_function_with_every_start_method(
    start_method: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    monkeypatch.setenv("THREADLAB_TEST_CALLS", str(calls))
    point = one_point(
        target("user_tasks", "record_call"), available("processes"), 2, start_method=start_method
    )

    measurement = measure(point)

    assert measurement.status == "ok", measurement.errors
    assert point.strategy_params == {"start_method": start_method}
    assert len(calls.read_text().splitlines()) == 2
