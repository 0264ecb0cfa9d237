"""The one behaviour suite (``strategy_suite.StrategySuite``), run against every strategy.

Like cpython's ``create_executor_tests``: each test is written once and runs
once per strategy, with the strategy's name as its id
(``TestEveryStrategy::test_…[thread-pool]``). A strategy that cannot run in
this Python is skipped with its reason. Then what holds for one strategy only.
"""

from __future__ import annotations

import multiprocessing
import re
import statistics
import sys
from pathlib import Path

import pytest

import threadlab
from conftest import measure, one_point, target
from strategy_suite import StrategySuite, available

pytestmark = pytest.mark.timeout(60)

NAMES = threadlab.strategy_names()
# Strategies that run blocking tasks ("sync"; sequential runs either form, "any").
SYNC_NAMES = tuple(name for name in NAMES if threadlab.strategy(name).mode != "async")


class TestEveryStrategy(StrategySuite):
    """The suite, for every strategy, under the Python running pytest."""

    @pytest.fixture(scope="class", params=NAMES, ids=str)
    @classmethod
    def strategy(cls, request: pytest.FixtureRequest) -> str:
        return available(request.param)

    @pytest.fixture(params=SYNC_NAMES, ids=str)
    def sync_strategy(self, request: pytest.FixtureRequest) -> str:
        return available(request.param)

    @pytest.fixture(scope="class")
    @classmethod
    def points_python(cls) -> str:
        return sys.executable


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
    assert point.strategy_params == {
        "inner_threads": 0,
        "start_method": start_method,
        "start": "cold",
        "chunksize": "auto",
    }
    assert len(calls.read_text().splitlines()) == 2
