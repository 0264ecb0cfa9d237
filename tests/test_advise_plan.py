"""``plan_sweep``: what advise measures, from what its probes found; a pure function, pinned alone.

No process starts here: the probes' findings (``TargetFacts``, ``CallCost``)
are written by hand, and the plan is read back as the spec it returns.
"""

from __future__ import annotations

import pytest

from threadlab.model import FoundInterpreter
from threadlab.orchestrate._advise import CallCost, plan_sweep
from threadlab.orchestrate._probe_target import TargetFacts

pytestmark = pytest.mark.timeout(30)

TARGET = "mymodule:work"
HOST = FoundInterpreter("/usr/bin/python3", "PATH", version="3.12.1")
PARAMS = {"args": "[]", "inputs": ""}


def facts(
    *, is_async: bool = False, pickle_problem: str | None = None, items: int | None = None
) -> TargetFacts:
    return TargetFacts(TARGET, is_async, pickle_problem, False, items, False)


def call(task_s: float, cpu: float | None, *, busy: float | None = None, cores: int = 2) -> CallCost:
    return CallCost(task_s, cpu, busy if busy is not None else (cpu or 1.0), cores, None)


def test_waiting_calls_are_swept_over_many_workers_on_every_strategy_that_applies() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(0.01, 0.05), params=PARAMS, budget_s=600)

    spec = planned.spec
    assert spec.strategies == ("sequential", "threads", "thread-pool", "processes", "interpreters")
    assert spec.workers == (2, 4, 8, 16, 32, 64)
    assert "start" not in spec.params
    assert spec.workloads == (TARGET,)
    assert planned.notes == ("not a coroutine function: asyncio does not apply",)


def test_computing_calls_are_swept_up_to_about_the_cores() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(0.01, 1.0, cores=4), params=PARAMS)

    assert planned.spec.workers == (2, 4, 8)


def test_short_calls_try_each_pool_warm_as_well_as_cold() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(1e-4, 1.0), params=PARAMS)

    assert planned.spec.params["start"] == "cold,warm"
    assert any("thread-pool and processes tried warm" in note for note in planned.notes)


def test_a_function_that_cannot_be_pickled_skips_the_strategies_that_pickle_tasks() -> None:
    planned = plan_sweep(
        TARGET, facts=facts(pickle_problem="a lambda"), host=HOST, call=call(0.01, 1.0), params=PARAMS
    )

    assert planned.spec.strategies == ("sequential", "threads", "thread-pool", "interpreters")
    assert "processes skipped: a lambda" in planned.notes


def test_a_coroutine_function_is_measured_on_asyncio_only() -> None:
    planned = plan_sweep(TARGET, facts=facts(is_async=True), host=HOST, call=call(0.01, 0.01), params=PARAMS)

    assert planned.spec.strategies == ("sequential", "asyncio")


def test_work_parallel_inside_is_split_over_workers_with_one_native_thread_each() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(0.05, 1.9, busy=1.9), params=PARAMS)

    alone, split = planned.spec.parts
    assert (alone.strategies, alone.workers) == (("sequential",), (1,))
    assert split.strategies == ("threads", "processes")
    assert split.workers == (2,)
    assert split.params["inner_threads"] == 1
    assert "inner_threads" not in alone.params


def test_fixed_calls_keep_no_more_workers_than_calls() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(0.01, 0.05), params=PARAMS, tasks=3)

    assert planned.spec.tasks == 3
    assert planned.spec.workers == (2, 3)


def test_fixed_calls_keep_the_most_worker_counts_that_fit_the_budget() -> None:
    def planned_workers(budget_s: float) -> tuple[int, ...]:
        planned = plan_sweep(
            TARGET,
            facts=facts(),
            host=HOST,
            call=call(0.01, 0.05),
            params=PARAMS,
            tasks=100,
            budget_s=budget_s,
        )
        assert planned.spec.tasks == 100  # the calls are fixed; the worker counts are not
        assert not any("overrun" in note for note in planned.notes)
        return planned.spec.workers

    assert planned_workers(600) == (2, 4, 8, 16, 32, 64)
    fitted = planned_workers(80)
    assert 1 <= len(fitted) < 6
    assert fitted == (2, 4, 8, 16, 32, 64)[: len(fitted)]


def test_calls_too_slow_for_the_budget_say_so_and_take_no_warm_ups() -> None:
    planned = plan_sweep(
        TARGET, facts=facts(), host=HOST, call=call(5.0, 1.0), params=PARAMS, budget_s=10, spent_s=1
    )

    assert planned.notes[-2:] == (
        "one call takes 5 s: 12 rounds of 2 calls per point overrun the budget of 10 s",
        "one call takes 5 s: no warm-up calls, which would have taken about 50 s of the 7.5 s "
        "left to measure",
    )
    assert planned.spec.warmup == 0
    # What is left of the budget once the probes and each point's start are spent: no warm-ups.
    assert 0.1 < planned.spec.max_time_s < 7.5
    # A stuck sample is cut no later than the budget's end.
    assert planned.spec.timeout_s == 10


def test_split_work_gives_the_warm_start_of_short_calls_to_the_pools_only() -> None:
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(1e-4, 1.9, busy=1.9), params=PARAMS)

    alone, split = planned.spec.parts
    assert "start" not in alone.params  # sequential takes no start (issue 18)
    assert split.params["start"] == "cold,warm"


def test_what_the_call_probe_noted_is_among_the_plans_notes() -> None:
    cut = CallCost(0.01, 1.0, 1.0, 2, None, ("the probe was cut short",))
    planned = plan_sweep(TARGET, facts=facts(), host=HOST, call=cut, params=PARAMS)

    assert "the probe was cut short" in planned.notes


def test_the_plan_is_the_same_for_the_same_findings_and_leaves_its_inputs_alone() -> None:
    params = dict(PARAMS)
    first = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(1e-4, 1.0), params=params, spent_s=2)
    again = plan_sweep(TARGET, facts=facts(), host=HOST, call=call(1e-4, 1.0), params=params, spent_s=2)

    assert first == again
    assert params == PARAMS
