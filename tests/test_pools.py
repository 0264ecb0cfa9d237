"""Pools as users run them: warm or cold, chunked, and the Dask process × thread split.

Live points check what a warm session does (one pool for every sample, its
start-up recorded apart and kept out of the samples), what ``chunksize``
sends together, and that a Dask worker lost mid-point leaves nothing behind.
The analysis (per-task overhead, split comparison, USL words) is checked on
synthetic results built from the model, never on the machine's speed.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Sequence

import pytest

import threadlab
from conftest import measure, one_point, target
from threadlab import (
    Environment,
    Interpreter,
    Measurement,
    Point,
    Result,
    ResultsFileError,
    Sample,
    Spec,
    TaskSpans,
)
from threadlab.analysis import Classification, Kind, analyse
from threadlab.analysis._group import groups
from threadlab.analysis._pools import (
    DaskSplit,
    SplitAdvice,
    sample_overhead,
    split_comparisons,
    task_overhead,
)
from threadlab.lessons import findings, tour_spec
from threadlab.lessons._cluster import TITLE as CLUSTER_TITLE
from threadlab.model._json import measurement_from_json, measurement_to_json
from threadlab.orchestrate._plan import plan
from threadlab.render._advice import scheduler_text, split_text
from threadlab.render._analysis import pool_lines
from threadlab.worker._params import AUTO, Param
from threadlab.worker.strategies._base import chunk_size, chunks

pytestmark = pytest.mark.timeout(60)

needs_dask = pytest.mark.skipif(
    threadlab.strategy("dask").unavailable_reason() is not None,
    reason=f"dask cannot run here: {threadlab.strategy('dask').unavailable_reason()}",
)


def _pids(sample: Sample) -> set[int]:
    return {int(label.split(":", 1)[0]) for label in sample.spans.workers}


# --- warm and cold sessions -----------------------------------------------------------------------


def test_a_warm_process_pool_serves_every_sample_and_its_start_up_is_recorded_apart() -> None:
    point = one_point("sleep", "processes", 2, 4, duration=0.05, start="warm")

    measurement = measure(point, repeat=3, warmup=1)

    assert measurement.status == "ok", measurement.errors
    every = (*measurement.warmups, *measurement.samples)
    # One pool for the whole point: the same two processes ran the tasks of every sample.
    assert len({frozenset(_pids(s)) for s in every}) == 1
    assert len(_pids(every[0])) == 2
    # From starting the pool to its first task done: at least that task's own 0.05 s.
    assert measurement.startup_s is not None and measurement.startup_s >= 0.05
    for sample in measurement.samples:
        assert sample.spawn_s is None  # nothing was started inside the sample
        assert sample.throughput == sample.tasks_ok / sample.wall_s


def test_a_cold_process_pool_starts_inside_each_sample_and_records_no_start_up() -> None:
    point = one_point("sleep", "processes", 2, 4, duration=0.01)

    measurement = measure(point, repeat=3, warmup=0)

    assert measurement.point.strategy_params["start"] == "cold"  # the default: no lesson moved
    assert measurement.status == "ok", measurement.errors
    assert measurement.startup_s is None
    pids = [_pids(s) for s in measurement.samples]
    assert all(not (a & b) for i, a in enumerate(pids) for b in pids[i + 1 :])  # new processes each time


def test_a_warm_thread_pool_keeps_its_threads_between_samples() -> None:
    point = one_point("sleep", "thread-pool", 2, 4, duration=0.01, start="warm")

    measurement = measure(point, repeat=2, warmup=1)

    assert measurement.status == "ok", measurement.errors
    assert measurement.startup_s is not None
    labels = {frozenset(s.spans.workers) for s in (*measurement.warmups, *measurement.samples)}
    assert len(labels) == 1


def test_the_start_up_is_written_only_where_there_is_one_and_read_back() -> None:
    point = Point("sleep", "dask", 2, 4)
    warm = Measurement(point, "ok", samples=(Sample(0.5, tasks_ok=4),), startup_s=1.9)
    cold = Measurement(point, "ok", samples=(Sample(0.5, tasks_ok=4),))

    assert measurement_to_json(warm)["startup_s"] == 1.9
    assert "startup_s" not in measurement_to_json(cold)
    assert measurement_from_json(json.loads(json.dumps(measurement_to_json(warm))), "p").startup_s == 1.9
    assert measurement_from_json(measurement_to_json(cold), "p").startup_s is None
    bad = {**measurement_to_json(warm), "startup_s": "1.9"}
    with pytest.raises(
        ResultsFileError,
        match=r"^points\[0\]\.startup_s: expected a number from 0 to 1e\+10, or null, found '1.9'$",
    ):
        measurement_from_json(bad, "points[0]")


# --- chunks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "tasks", "slots", "size"),
    [(AUTO, 16, 2, 2), (AUTO, 2, 2, 1), (AUTO, 100, 4, 7), (AUTO, 1, 8, 1), (5, 16, 2, 5), (64, 3, 2, 64)],
)
def test_chunksize_auto_is_multiprocessing_rule_and_a_number_is_taken_as_given(
    chosen: int | str, tasks: int, slots: int, size: int
) -> None:
    assert chunk_size(chosen, tasks, slots) == size


def test_chunks_cover_every_task_once_in_order() -> None:
    assert chunks(7, 3) == [range(0, 3), range(3, 6), range(6, 7)]
    assert [n for part in chunks(16, 5) for n in part] == list(range(16))


def test_chunksize_accepts_auto_or_a_whole_number_of_1_or_more() -> None:
    (param,) = [p for p in threadlab.strategy("processes").params if p.name == "chunksize"]
    assert isinstance(param, Param)
    assert param.parse("auto") == AUTO
    assert param.parse("8") == 8
    with pytest.raises(
        ValueError,
        match=r"^chunksize='0' is not accepted; expected a whole number from 1 to 10000000, or auto",
    ):
        param.parse("0")


@pytest.mark.parametrize("strategy", ["thread-pool", "processes"])
def test_a_chunk_of_tasks_runs_on_one_worker_one_after_the_other(strategy: str) -> None:
    point = one_point("sleep", strategy, 2, 8, duration=0.01, chunksize=4)

    measurement = measure(point, repeat=1, warmup=0)

    assert measurement.status == "ok", measurement.errors
    (sample,) = measurement.samples
    spans = sample.spans
    for part in (range(0, 4), range(4, 8)):
        assert len({spans.worker[n] for n in part}) == 1
        assert all(spans.start_s[n + 1] >= spans.end_s[n] for n in part[:-1])


def test_start_and_chunksize_sweep_like_any_parameter() -> None:
    spec = Spec(
        workloads=("sleep",),
        strategies=("processes",),
        workers=(2,),
        tasks=8,
        params={"start": "cold,warm", "chunksize": "auto,4"},
    )
    points = plan(spec)

    found = {(p.strategy_params["start"], p.strategy_params["chunksize"]) for p in points}
    assert found == {("cold", "auto"), ("cold", 4), ("warm", "auto"), ("warm", 4)}


# --- Dask: a warm cluster -------------------------------------------------------------------------


@needs_dask
def test_a_warm_dask_cluster_starts_once_and_its_start_up_stays_out_of_the_samples() -> None:
    point = one_point("sleep", "dask", 2, 4, duration=0.01)

    measurement = measure(point, repeat=2, warmup=1)

    assert measurement.point.strategy_params["start"] == "warm"  # the default, as cluster users run
    assert measurement.status == "ok", measurement.errors
    every = (*measurement.warmups, *measurement.samples)
    assert len({frozenset(_pids(s)) for s in every}) == 1
    # Two fresh Pythons importing distributed, against four 10 ms sleeps on two workers.
    assert measurement.startup_s is not None
    assert all(sample.wall_s < measurement.startup_s for sample in measurement.samples)


# --- the analysis, on synthetic results -----------------------------------------------------------

ENVIRONMENT = Environment(
    "3.11.7", "/usr/bin/python3", False, True, 2, "Linux", "0.1.0", "2025-01-01T00:00:00+00:00"
)
INTERPRETER = Interpreter("/usr/bin/python3", "3.11.7")


def _sample(wall: float, round_number: int, task_s: float, tasks: int = 4) -> Sample:
    spans = TaskSpans(
        start_s=(0.0,) * tasks,
        end_s=(task_s,) * tasks,
        cpu_s=(task_s,) * tasks,
        worker=(0,) * tasks,
        ok=(True,) * tasks,
        workers=("1:w",),
    )
    return Sample(wall, tasks_ok=tasks, spans=spans, round=round_number, started_at=1000.0 + 3 * round_number)


def _dask(workers: int, threads: int, walls: Sequence[float], task_s: float = 0.1) -> Measurement:
    point = Point("count", "dask", workers, 4, {"iterations": 10}, {"threads_per_worker": threads})
    samples = tuple(_sample(w, r, task_s) for r, w in enumerate(walls))
    return Measurement(point, "ok", INTERPRETER, samples, shares_one_gil=False)


def _result(*measurements: Measurement) -> Result:
    spec = Spec(("count",), ("dask",), tuple(sorted({m.point.workers for m in measurements})))
    return Result(spec, ENVIRONMENT, measurements)


def test_the_per_task_overhead_is_the_wall_past_the_tasks_own_time_per_task() -> None:
    # 4 tasks of 0.4 s on 2 slots would take 0.8 s; the sample took 1.0 s: 0.05 s a task beyond.
    sample = _sample(1.0, 0, 0.4)
    assert sample_overhead(sample, 2) == pytest.approx((1.0 - 4 * 0.4 / 2) / 4)
    two_threads = _dask(1, 2, [1.0])
    assert task_overhead(two_threads) == pytest.approx((1.0 - 4 * 0.1 / 2) / 4)


def test_processes_with_one_thread_each_win_where_threads_of_one_worker_took_turns() -> None:
    walls = [0.5 + 0.01 * (r % 3) for r in range(12)]
    split_2x1 = _dask(2, 1, walls)
    split_1x2 = _dask(1, 2, [2 * w for w in walls])

    analysis = analyse(_result(split_2x1, split_1x2))

    (split,) = analysis.pools.splits
    assert (split.winner, split.other, split.threads) == (DaskSplit(2, 1), DaskSplit(1, 2), 2)
    assert split.decided and split.interval[0] > 1
    assert split.ratio == pytest.approx(2.0)
    assert (split.kind, split.advice) == (Kind.UNKNOWN, SplitAdvice.ONE_THREAD_EACH)
    assert split_text(split).startswith(
        "2 processes × 1 thread ran 2.00× the throughput of 1 process × 2 threads"
    )
    assert split_text(split).endswith(
        "the threads of one worker took turns, as work that holds the GIL does: use processes with one "
        "thread each"
    )
    assert any("2 processes × 1 thread ran" in line for line in pool_lines(analysis))


def test_splits_on_par_of_unsettled_work_say_what_would_tell_why() -> None:
    walls = [0.5 + 0.01 * (r % 3) for r in range(12)]
    split_2x1 = _dask(2, 1, walls)
    split_1x2 = _dask(1, 2, [walls[(r + 1) % 12] for r in range(12)])

    (split,) = analyse(_result(split_2x1, split_1x2)).pools.splits

    assert not split.decided
    assert split.advice is SplitAdvice.MEASURE_SEQUENTIAL
    assert " are on par: " in split_text(split)
    assert split_text(split).endswith(
        "neither split ran faster here; measure sequential too, so that the kind of work says why "
        "(work that holds the GIL needs processes with one thread each)"
    )


def test_the_split_words_follow_the_classification_where_it_is_known() -> None:
    walls = [0.5 + 0.01 * (r % 3) for r in range(12)]
    result = _result(_dask(2, 1, walls), _dask(1, 2, [2 * w for w in walls]))
    (group,) = groups(result)
    holds = Classification(group.label, group.python, Kind.CPU_HOLDS_GIL, (), ())

    (split,) = split_comparisons(group, holds)

    assert split.advice is SplitAdvice.ONE_THREAD_EACH
    assert split_text(split).endswith("the work holds the GIL: use processes with one thread each")
    releases = Classification(group.label, group.python, Kind.CPU_RELEASES_GIL, (), ())
    (on_par,) = split_comparisons(group, releases)
    assert on_par.advice is SplitAdvice.FEWER_PROCESSES
    assert split_text(on_par).endswith(
        "the work releases the GIL: threads of one worker overlap as well as processes do, and fewer "
        "processes with more threads each save memory and start-up"
    )


def test_the_scheduler_limit_names_usl_contention_and_coherency_for_dask() -> None:
    # Throughput rises, then falls: a peak within the model.
    scaling = [_dask(w, 1, [4 / x] * 6) for w, x in ((1, 10.0), (2, 17.0), (4, 22.0), (8, 18.0))]

    analysis = analyse(_result(*scaling))

    (limit,) = analysis.pools.scheduler
    workload, strategy, _, fit = limit
    assert (workload, strategy) == ("count", "dask")
    assert fit.peak_workers is not None
    line = scheduler_text(*limit)
    assert "adding workers stops paying past N* = " in line
    assert "Dask's scheduler cost is exactly USL's contention (σ" in line
    assert "coherency (κ" in line


def test_start_ups_are_shown_apart_from_throughput() -> None:
    warm = Measurement(
        Point("sleep", "dask", 2, 16), "ok", INTERPRETER, (_sample(0.9, 0, 0.1, 16),), startup_s=1.9
    )

    lines = pool_lines(analyse(_result(warm)))

    assert (
        "sleep · dask ×2 (16 tasks): started in 1.900 s (to its first task done), out of throughput" in lines
    )


def test_the_report_shows_the_start_ups_and_overheads_as_the_terminal_does() -> None:
    from threadlab.render._html import html_report

    warm = Measurement(
        Point("sleep", "dask", 2, 16), "ok", INTERPRETER, (_sample(0.9, 0, 0.1, 16),), startup_s=1.9
    )
    result = _result(warm)

    page = html_report([("r.json", result)])

    assert "Pools and clusters (start-up apart; overhead = (wall − ideal) / tasks)" in page
    assert all(html.escape(line) in page for line in pool_lines(analyse(result)))


def test_no_pool_no_pool_lines() -> None:
    sequential = Measurement(Point("sleep", "sequential", 1, 4), "ok", INTERPRETER, (_sample(0.4, 0, 0.1),))
    assert pool_lines(analyse(_result(sequential))) == []


# --- the tour's lesson ----------------------------------------------------------------------------


def test_the_cluster_lesson_plans_warm_dask_and_processes_on_points_of_its_own() -> None:
    spec = tour_spec(True, sys.executable, cluster=True)

    points = plan(spec)

    lesson = [p for p in points if p.strategy_params.get("start") == "warm"]
    assert [(p.workload, p.strategy, p.workers, p.tasks) for p in lesson] == [
        ("sleep", "processes", 2, 32),
        ("sleep", "dask", 2, 32),
        ("count", "processes", 2, 8),
        ("count", "dask", 2, 8),
    ]
    others = {p.group_key() for p in points if p not in lesson}
    assert not others & {p.group_key() for p in lesson}  # joins no other lesson's group
    without = tour_spec(True, sys.executable).parts
    assert spec.parts[: len(without)] == without  # told only where dask runs, last


def test_the_cluster_lesson_cites_the_start_up_and_each_tasks_overhead() -> None:
    def warm(
        workload: str, strategy: str, tasks: int, wall: float, task_s: float, startup: float
    ) -> Measurement:
        point = Point(workload, strategy, 2, tasks, {}, {"start": "warm"})
        samples = tuple(_sample(wall, r, task_s, tasks) for r in range(3))
        return Measurement(point, "ok", INTERPRETER, samples, startup_s=startup)

    result = _result(
        warm("sleep", "processes", 32, 0.2, 0.01, 0.05),
        warm("sleep", "dask", 32, 0.36, 0.01, 1.9),
        warm("count", "processes", 8, 0.2, 0.05, 0.05),
        warm("count", "dask", 8, 0.25, 0.05, 1.9),
    )

    (finding,) = [f for f in findings(result) if f.title == CLUSTER_TITLE]

    # (0.36 − 32 × 0.01 / 2) / 32 = 6.25 ms on the cluster; (0.2 − 0.16) / 32 = 1.25 ms on processes.
    assert finding.text.startswith("The cluster took 1.900 s to start (to its first task done; the pool of ")
    assert (
        "32 sleeps of 10 ms cost 6.25 ms each beyond their own time on the cluster, against 1.25 ms"
        in finding.text
    )
    assert "ran at 32.0/s on the cluster and 40.0/s on processes" in finding.text
    assert "A cluster is worth it where each task takes many times its per-task overhead" in finding.text


# --- advise ---------------------------------------------------------------------------------------


def test_advise_tries_dask_only_on_a_scheduler_it_is_given() -> None:
    from threadlab.orchestrate._advise import _strategies
    from threadlab.orchestrate._discover import this_interpreter
    from threadlab.orchestrate._probe_target import probe_target

    host = this_interpreter()
    facts = probe_target(target("user_tasks", "record_call"), python=host.executable)

    without = _strategies(facts, host, [])
    with_scheduler = _strategies(facts, host, [], "tcp://127.0.0.1:8786")

    assert "dask" not in without
    assert with_scheduler == [*without, "dask"] or "dask" in host.unavailable
