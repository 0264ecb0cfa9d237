"""The one behaviour suite, written once and run against every strategy.

Like cpython's ``create_executor_tests`` (``Lib/test/test_concurrent_futures/util.py``):
``StrategySuite`` holds the tests, and a test module runs them by subclassing it
with three fixtures of its own:

* ``strategy``: the strategy's name (class scope; parametrize it, and its names
  become the test ids: ``test_…[thread-pool]``);
* ``sync_strategy``: a strategy that runs blocking tasks;
* ``points_python``: the executable the points run under (class scope).

``test_strategies.py`` runs it for every strategy under the Python running
pytest; ``test_interpreters_shared_suite.py`` for ``interpreters`` under every
CPython 3.12+ installed here. A strategy that cannot run is skipped with its
reason (``available``). This module is a helper, not a test module: no test
module imports another.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

import threadlab
from conftest import measure, one_point, target
from threadlab.analysis import summary
from threadlab.model import Measurement, Point, Sample, TaskSpans

# Spans are stored to 0.1 µs; the sample's wall to 1 ns.
EPSILON_S = 1e-3
# The shared sleep measurement: sleep 0.2 s, T = W = 2, two warm-ups and two samples.
SLEEP_S = 0.2

PlanPoint = Callable[..., Point]


def available(name: str) -> str:
    """``name``, or skip the test with the reason it cannot run here."""
    reason = threadlab.strategy(name).unavailable_reason()
    if reason:
        pytest.skip(f"{name} cannot run here: {reason}")
    return name


def user_target(function: str, strategy: str) -> str:
    """A fixture function in the form the strategy runs: ``…_async`` on asyncio."""
    suffix = "_async" if threadlab.strategy(strategy).mode == "async" else ""
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


class StrategySuite:
    """What every strategy must do, each test run once per strategy of the subclass."""

    @pytest.fixture(scope="class")
    @classmethod
    def plan(cls, points_python: str) -> PlanPoint:
        """``conftest.one_point``, planned for the Python the points run under."""
        return functools.partial(one_point, python=points_python)

    @pytest.fixture(scope="class")
    @classmethod
    def sleep_run(cls, strategy: str, plan: PlanPoint) -> tuple[Measurement, list[bool]]:
        """One measurement per strategy, shared by the tests that only read it, every sample seen."""
        seen: list[bool] = []

        def on_sample(point: Point, sample: Sample, warmup: bool) -> None:
            seen.append(warmup)

        return measure(
            plan("sleep", strategy, 2, duration=SLEEP_S), repeat=2, warmup=2, on_sample=on_sample
        ), seen

    def test_point_is_measured_ok_under_its_python(
        self, sleep_run: tuple[Measurement, list[bool]], points_python: str
    ) -> None:
        measurement, _ = sleep_run
        assert measurement.status == "ok"
        assert measurement.errors == ()
        assert measurement.interpreter is not None
        assert measurement.interpreter.executable == points_python

    def test_warmups_are_kept_apart(self, sleep_run: tuple[Measurement, list[bool]]) -> None:
        measurement, seen = sleep_run
        assert len(measurement.warmups) == 2
        assert len(measurement.samples) == 2
        assert seen == [True, True, False, False]
        # Measured alone, a point's samples still carry their numbers; warm-ups have none.
        assert [s.round for s in measurement.warmups] == [None, None]
        assert [s.round for s in measurement.samples] == [0, 1]

    def test_every_sample_runs_every_task(self, sleep_run: tuple[Measurement, list[bool]]) -> None:
        measurement, _ = sleep_run
        for sample in all_samples(measurement):
            assert len(sample.spans) == measurement.point.tasks
            assert sample.tasks_ok == measurement.point.tasks
            assert sample.tasks_failed == 0
            assert sample.first_error is None
            assert all(sample.spans.ok)

    def test_spans_lie_within_the_sample(self, sleep_run: tuple[Measurement, list[bool]]) -> None:
        measurement, _ = sleep_run
        for sample in all_samples(measurement):
            for start, end in zip(sample.spans.start_s, sample.spans.end_s, strict=True):
                assert 0 <= start <= end <= sample.wall_s + EPSILON_S
            assert min(sample.spans.durations()) >= SLEEP_S - EPSILON_S

    def test_sleep_uses_almost_no_cpu(self, strategy: str, sleep_run: tuple[Measurement, list[bool]]) -> None:
        measurement, _ = sleep_run
        if strategy == "dask":
            # Every sample starts its Dask workers, fresh Pythons importing distributed
            # (about 1 CPU-second each, rightly counted in the sample): the tasks' own CPU is the sleep's.
            for sample in all_samples(measurement):
                assert all(cpu is not None and cpu < 0.3 * SLEEP_S for cpu in sample.spans.cpu_s)
            return
        summarised = summary(measurement)
        assert summarised is not None and summarised.cpu_per_wall is not None
        assert summarised.cpu_per_wall < 0.3

    def test_spawn_time_is_recorded_where_it_can_be_told_apart(
        self, strategy: str, sleep_run: tuple[Measurement, list[bool]]
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
        self, strategy: str, sleep_run: tuple[Measurement, list[bool]]
    ) -> None:
        measurement, _ = sleep_run
        for sample in all_samples(measurement):
            if strategy == "asyncio":
                assert sample.spans.cpu_s == (None,) * len(sample.spans)
            else:
                assert all(cpu is not None and cpu >= 0 for cpu in sample.spans.cpu_s)

    def test_each_task_runs_exactly_once(
        self, strategy: str, plan: PlanPoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = tmp_path / "calls"
        monkeypatch.setenv("THREADLAB_TEST_CALLS", str(calls))
        point = plan(user_target("record_call", strategy), strategy, 2, tasks=5)

        measurement = measure(point, repeat=2, warmup=1)

        assert measurement.status == "ok"
        lines = calls.read_text().splitlines()
        assert len(lines) == 3 * 5
        for sample in all_samples(measurement):
            assert sample.tasks_ok == len(sample.spans) == 5
        if threadlab.strategy(strategy).mode != "async":
            # Who the task saw running it is who its span names.
            labels = {label for sample in all_samples(measurement) for label in sample.spans.workers}
            assert set(lines) == labels

    @pytest.mark.parametrize(
        ("workers", "tasks"),
        [(4, 4), (2, 8), (4, 2)],
        ids=["4-workers-4-tasks", "2-workers-8-tasks", "4-workers-2-tasks"],
    )
    def test_worker_count_is_honoured(self, strategy: str, plan: PlanPoint, workers: int, tasks: int) -> None:
        point = plan("sleep", strategy, workers, tasks=tasks, duration=0.1)

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
        self, strategy: str, plan: PlanPoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("THREADLAB_TEST_COUNTER", str(tmp_path / "counter"))
        point = plan(user_target("fail_on_second_call", strategy), strategy, 2, tasks=4)

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
        self, strategy: str, plan: PlanPoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("THREADLAB_TEST_COUNTER", str(tmp_path / "counter"))
        point = plan(user_target("exit_on_second_call", strategy), strategy, 2, tasks=4)

        measurement = measure(point)

        assert measurement.status == "errors", measurement.errors
        (sample,) = measurement.samples
        assert (sample.tasks_ok, sample.tasks_failed) == (3, 1)
        assert sample.first_error is not None
        assert sample.first_error.rstrip().endswith("SystemExit: task exits on call 2")

    def test_the_cpu_time_of_the_tasks_is_counted_in_the_sample(
        self, sync_strategy: str, plan: PlanPoint
    ) -> None:
        # Wherever the tasks ran (threads, pool processes, subinterpreters, a Dask cluster of
        # children), the sample's CPU time holds theirs: the children's is counted once reaped.
        # CPU time, not wall time: it does not depend on how many cores the machine gives.
        point = plan("count", sync_strategy, 2, iterations=10**6)

        measurement = measure(point, repeat=2, warmup=1)

        assert measurement.status == "ok", measurement.errors
        for sample in all_samples(measurement):
            tasks_cpu = sum(cpu for cpu in sample.spans.cpu_s if cpu is not None)
            assert len(sample.spans) == 2 and tasks_cpu > 0
            assert sample.cpu_s is not None
            assert sample.cpu_s >= 0.9 * tasks_cpu
