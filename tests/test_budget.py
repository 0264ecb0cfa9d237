"""advise's ``--budget`` is a bound: one deadline, and every step given what is left of it.

Nothing here asserts how long anything took: a step that the deadline cuts
waits on a function that never returns by itself (``faults.py:hang…``), or
on a deadline already passed, and the tests check the point's status and
the reason recorded, and the deadline each step was handed.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest

import threadlab
from conftest import one_point, target
from threadlab.orchestrate import _advise
from threadlab.orchestrate._rounds import measure_group
from threadlab.orchestrate._runner import BUDGET_SPENT, WorkerSession

pytestmark = pytest.mark.timeout(60)

HANG_LATER = target("faults", "hang_after_first_call")
TOO_SHORT = target("advise_targets", "too_short")


def test_a_point_whose_turn_comes_after_the_deadline_is_not_started() -> None:
    session = WorkerSession(one_point("sleep", "sequential", 1), timeout_s=600, deadline=time.perf_counter())

    assert session.start() is False
    assert session.pid is None  # no worker was started
    measurement = session.measurement()
    assert measurement.status == "timeout"
    assert [(e.kind, e.message, e.cause) for e in measurement.errors] == [
        ("timeout", f"not started: {BUDGET_SPENT} before its turn", "budget")
    ]


def test_a_sample_still_running_at_the_deadline_is_stopped_and_the_point_cut_short() -> None:
    # Its first call (the warm-up) returns; the sample's call never does. Its own limit is 600 s:
    # only the deadline can stop it.
    session = WorkerSession(one_point(HANG_LATER, "sequential", 1), timeout_s=600, warmup=1)
    try:
        assert session.start()
        session.deadline = time.perf_counter() + 0.2
        assert session.sample(0) is None
    finally:
        session.close()

    measurement = session.measurement()
    assert measurement.status == "timeout"
    ((kind, message, cause),) = [(e.kind, e.message, e.cause) for e in measurement.errors]
    assert (kind, cause) == ("timeout", "budget")
    assert message.startswith(f"the point was still running a sample when {BUDGET_SPENT}, ")
    assert message.endswith(" s into it, and was stopped")
    assert len(measurement.warmups) == 1


def test_no_round_starts_past_the_deadline_whatever_rounds_were_asked() -> None:
    deadline = time.perf_counter() + 1.0

    def until_the_deadline() -> None:
        threading.Event().wait(max(0.0, deadline - time.perf_counter()))

    outcome = measure_group(
        [one_point("sleep", "sequential", 1, duration=0.001)],
        first_index=0,
        time_s=600,
        precision=0.0001,
        min_rounds=5,
        timeout_s=600,
        between_rounds=until_the_deadline,
        deadline=deadline,
    )

    assert (outcome.rounds.rounds, outcome.rounds.ended) == (1, "time")
    (measurement,) = outcome.measurements
    assert (measurement.status, len(measurement.samples)) == ("ok", 1)


def test_advise_gives_every_step_what_is_left_of_one_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    handed: dict[str, list[float]] = {"probe": [], "sweep": []}
    probe, execute = _advise.measure_point, _advise.execute

    def probing(*args: Any, **options: Any) -> Any:
        handed["probe"].append(options["deadline"])
        return probe(*args, **options)

    def sweeping(*args: Any, **options: Any) -> Any:
        handed["sweep"].append(options["deadline"])
        return execute(*args, **options)

    monkeypatch.setattr(_advise, "measure_point", probing)
    monkeypatch.setattr(_advise, "execute", sweeping)
    called = time.perf_counter()
    threadlab.advise(TOO_SHORT, budget=3, repeat=1, warmup=0)
    returned = time.perf_counter()

    (sweep,) = handed["sweep"]
    assert called < sweep - 3 < returned  # the budget's end, counted from the call
    # The probe's share: half the budget, from the same start.
    assert handed["probe"] and all(deadline == pytest.approx(sweep - 1.5) for deadline in handed["probe"])


def test_points_the_budget_cut_short_are_named_in_the_advices_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sweep starts with its deadline already passed: no point gets its turn.
    execute = _advise.execute
    monkeypatch.setattr(
        _advise, "execute", lambda *args, **options: execute(*args, **{**options, "deadline": 0.0})
    )

    advice = threadlab.advise(TOO_SHORT, budget=3, repeat=1, warmup=0)

    statuses = {m.status for m in advice.result.measurements}
    assert statuses == {"timeout"}
    (note,) = [note for note in advice.notes if "ran out" in note]
    assert note.startswith(
        f"the budget of 3 s ran out: {len(advice.result.measurements)} point(s) cut short, stopped "
        "mid-step or not started (status timeout, the reason in each point's errors): "
    )
    assert advice.recommendation is None or advice.recommendation.strategy is None


def test_past_the_deadline_the_run_ends_without_its_closing_capacity_probe() -> None:
    from threadlab import Spec
    from threadlab.orchestrate._execute import execute

    spec = Spec(
        workloads=("sleep",), strategies=("sequential",), workers=(1,), params={"duration": 0.001}, repeat=1
    )
    spec = dataclasses.replace(spec, max_time_s=0.1)
    passed = execute(spec, deadline=0.0)
    kept = execute(spec, deadline=time.perf_counter() + 600)

    assert passed.noise is not None and kept.noise is not None
    assert (len(passed.noise.capacity_cores), len(kept.noise.capacity_cores)) == (1, 2)
    assert [m.status for m in passed.measurements] == ["timeout"]
    assert [m.status for m in kept.measurements] == ["ok"]
