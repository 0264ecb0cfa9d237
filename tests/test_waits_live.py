"""The breakdown of waits, measured live: only what is unambiguous beside a CPU hog.

A lock around a sleep is a lock wait at its ``with`` line, a sleep is a
sleep at its line, whatever else the machine runs. The split between the GIL
and the CPU moves with the load, so it is never asserted here
(``benchmarks/bench_waits.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import measure, one_point
from fixtures import waits_tasks
from test_worker_protocol import kinds, request, talk
from threadlab.analysis import PointWaits, point_waits
from threadlab.model._json import sample_from_json
from threadlab.worker import _waits

pytestmark = pytest.mark.skipif(
    _waits.unavailable_reason() is not None, reason=str(_waits.unavailable_reason())
)


def _on_two_threads(task: Callable[[], object], runs: int) -> PointWaits:
    """The point's waits of two threads running ``task`` ``runs`` times each, in a fresh worker.

    A fresh worker process, as a run measures: read in the test's own process, the
    threads other tests leave behind (a Dask client's, an executor's, each waiting in
    ``threading.Condition.wait``) were read too, and once their lock waits outweighed the
    task's (a full suite run).
    """
    target = f"{waits_tasks.__file__}:{getattr(task, '__name__', '')}"
    measurement = measure(one_point(target, "threads", 2, tasks=2 * runs), repeat=1, warmup=0)
    assert measurement.status == "ok", measurement.errors
    waits = point_waits(measurement.samples)
    assert waits is not None
    return waits


def test_threads_queueing_on_a_lock_wait_on_it_at_the_with_line() -> None:
    waits = _on_two_threads(waits_tasks.locked_sleep, runs=30)

    assert waits.dominant in ("lock", "sleep")  # half each: one holds the lock, sleeping
    top = waits.top_line("lock")
    assert top is not None
    assert (Path(top.file).name, top.line, top.library) == ("waits_tasks.py", waits_tasks.LINES["lock"], None)
    assert waits.share("gil") < waits.share("lock")


def test_sleeping_threads_sleep_at_the_sleep_line() -> None:
    waits = _on_two_threads(waits_tasks.sleep_20ms, runs=30)

    assert waits.dominant == "sleep"
    top = waits.top_line("sleep")
    assert top is not None
    assert (Path(top.file).name, top.line) == ("waits_tasks.py", waits_tasks.LINES["sleep"])


def test_a_workers_timed_samples_carry_the_breakdown_and_its_warm_ups_do_not() -> None:
    # 0.3 s: long enough for the stack reads (20 Hz) to find the threads the sample starts.
    measurement = measure(one_point("sleep", "threads", 2, duration=0.3), repeat=1, warmup=1)

    assert [sample.waits for sample in measurement.warmups] == [None]
    waits = point_waits(measurement.samples)
    assert waits is not None and waits.dominant == "sleep"
    top = waits.top_line("sleep")
    assert top is not None and top.file.endswith("workloads/sleep.py") and top.function == "sleep_task"


def test_the_request_turns_the_breakdown_off_and_a_command_skips_it_for_one_sample() -> None:
    off, _ = talk(request(waits=False, warmup=0), [{"command": "sample", "round": 0}, {"command": "stop"}])
    on, _ = talk(
        request(warmup=0),
        [
            {"command": "sample", "round": 0, "waits": False},
            {"command": "sample", "round": 1},
            {"command": "stop"},
        ],
    )

    assert kinds(off) == ["hello", "ready", "sample", "done"]
    assert "waits" not in off[2]["sample"]
    assert kinds(on) == ["hello", "ready", "sample", "sample", "done"]
    assert "waits" not in on[2]["sample"]
    assert sample_from_json(on[3]["sample"], "sample").waits is not None


def test_a_waits_field_that_is_not_true_or_false_is_refused_in_one_line() -> None:
    events, finished = talk(request(waits="yes"))

    assert finished.returncode == 0
    assert kinds(events) == ["hello", "failed", "done"]
    assert (events[1]["kind"], events[1]["message"]) == ("refused", "waits must be true or false, not 'yes'")
