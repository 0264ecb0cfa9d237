"""Work already parallel inside (BLAS under NumPy): inner_threads, the matmul workload, the analysis.

What runs for real is small: tiny products, whose point is what the worker
set and saw, never how fast they were. The classification and the advice
are tested on a recorded results file (``tests/data/parallel-inside.json``,
see ``tests/data/make_data.py``) and on variants of it made here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import measure, one_point, target
from threadlab import ResultsFileError, SpecError, load_result, save_result
from threadlab.analysis import FactCode, Kind, Remedy, Verdict, analyse, cores_per_call
from threadlab.analysis._classify import PARALLEL_INSIDE_CPU, classify
from threadlab.analysis._group import groups
from threadlab.analysis._recommend import recommend
from threadlab.lessons import findings, tour_spec
from threadlab.lessons._parallel_inside import parallel_inside_finding
from threadlab.model import Measurement, NativePool, NativeThreads, Point, Result, Swept
from threadlab.model._json import result_from_json, result_to_json
from threadlab.orchestrate import _advise
from threadlab.orchestrate._plan import plan
from threadlab.render import advice_text, fact_text
from threadlab.worker import _native, workloads
from threadlab.worker._native import INNER_THREADS, THREAD_VARIABLES
from threadlab.worker._schema import NATIVE_FIELDS, NATIVE_POOL_FIELDS
from threadlab.worker.workloads import matmul

pytest.importorskip("numpy", reason="numpy is a test dependency: pip install -e '.[test]'")
pytest.importorskip("threadpoolctl", reason="threadpoolctl is a test dependency: pip install -e '.[test]'")

DATA = Path(__file__).parent / "data"
RECORDED = DATA / "parallel-inside.json"


def recorded() -> Result:
    return load_result(RECORDED)


def inner(measurement: Measurement) -> int:
    return int(measurement.point.strategy_params["inner_threads"])


def only(result: Result, keep: object) -> Result:
    """``result`` with the measurements ``keep`` accepts (the rounds' indices are left as they were)."""
    kept = tuple(m for m in result.measurements if keep(m))  # type: ignore[operator]
    return dataclasses.replace(result, measurements=kept, rounds=())


# ── inner_threads: a parameter of every strategy ─────────────────────────────


def test_every_strategy_takes_inner_threads_and_auto_is_0() -> None:
    for name in threadlab.strategy_names():
        try:
            strategy = threadlab.strategy(name)
        except ImportError:  # dask missing: its module cannot load
            continue
        assert strategy.params[0] is INNER_THREADS, name
    assert [INNER_THREADS.parse(text) for text in ("auto", "AUTO", "0", "2")] == [0, 0, 0, 2]
    assert INNER_THREADS.default == 0


def test_a_bad_inner_threads_is_refused_naming_it_and_what_is_accepted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = threadlab_cli(capsys, "run", "-w", "matmul", "-s", "threads", "-p", "inner_threads=x")

    assert code == 2
    assert err.strip() == (
        "threadlab: error: --param: inner_threads='x' is not accepted; expected a whole number from 0 to "
        "1024, or auto (threads of each native pool (BLAS, OpenMP) in every worker; 0 or auto leaves them "
        "as they are)"
    )


def test_a_sweep_of_inner_threads_names_it_in_every_point() -> None:
    spec_points = plan(
        dataclasses.replace(
            tour_spec(True, sys.executable).parts[0],
            workloads=("matmul",),
            strategies=("sequential", "threads", "processes"),
            workers=(1, 2),
            params={"n": 8, "inner_threads": "1,2"},
        )
    )

    swept = Swept.among(spec_points)
    labels = [swept.point_label(p) for p in spec_points]
    assert len(labels) == 12
    assert [label.count("(inner_threads=") for label in labels] == [1] * 12
    assert labels[0] == "matmul · sequential (inner_threads=1) ×1"
    assert labels[-1] == "matmul · processes (inner_threads=2) ×2"


def test_inner_threads_that_differs_between_strategies_is_named_only_for_its_workload() -> None:
    def point(workload: str, strategy: str, inner_threads: int) -> Point:
        return Point(workload, strategy, 2, 2, strategy_params={"inner_threads": inner_threads})

    alone, split, other = (
        point("matmul", "sequential", 0),
        point("matmul", "threads", 1),
        point("count", "threads", 0),
    )

    swept = Swept.among([alone, split, other])

    assert swept.strategy_label(alone) == "sequential (inner_threads=0)"
    assert swept.strategy_label(split) == "threads (inner_threads=1)"
    assert swept.strategy_label(other) == "threads"


# ── the worker limits the native pools, and says what it saw ────────────────


@pytest.fixture
def no_thread_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("strategy", "params"),
    [("sequential", {}), ("threads", {}), ("processes", {}), ("processes", {"start_method": "spawn"})],
    ids=["sequential", "threads", "processes", "processes-spawn"],
)
@pytest.mark.usefixtures("no_thread_variables")
def test_inner_threads_1_sets_the_variables_before_import_and_threadpoolctl_sees_one_thread(
    strategy: str, params: dict[str, str]
) -> None:
    # The task raises unless the variables were set when its module was imported, and unless
    # threadpoolctl reports one thread per pool where it runs: a pool child for processes,
    # which imports the module afresh under spawn.
    point = one_point(target("native_tasks", "one_native_thread"), strategy, 2, inner_threads=1, **params)

    measurement = measure(point, repeat=1, warmup=1)

    assert measurement.status == "ok", measurement.errors
    native = measurement.native
    assert native is not None and native.pools
    assert {(pool.api, pool.threads) for pool in native.pools} >= {("blas", 1)}
    assert {pool.threads for pool in native.pools} == {1}
    assert native.variables == {name: "1" for name in THREAD_VARIABLES}


def test_pools_loaded_before_the_variables_are_limited_through_threadpoolctl() -> None:
    import numpy  # noqa: F401 - loads OpenBLAS in this process, before any limit
    import threadpoolctl

    # A list: numpy's and scipy's OpenBLAS are two pools of one name, where both are loaded.
    before = [(pool["filepath"], pool["num_threads"]) for pool in threadpoolctl.threadpool_info()]
    with threadpoolctl.threadpool_limits(limits=None):  # puts back what it found, on leaving
        assert _native.limit_loaded(1) is True
        assert [pool["threads"] for pool in _native.report()["pools"]] == [1] * len(before)
        assert _native.limit_loaded(0) is False
    assert [(pool["filepath"], pool["num_threads"]) for pool in threadpoolctl.threadpool_info()] == before


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("no_thread_variables")
def test_inner_threads_0_leaves_the_native_pools_and_the_variables_alone() -> None:
    point = one_point(target("native_tasks", "one_native_thread"), "sequential", 1)

    measurement = measure(point, repeat=1, warmup=0)

    assert point.strategy_params == {"inner_threads": 0}
    assert measurement.native is not None and measurement.native.variables == {}
    assert measurement.status == "errors"  # the task saw no limit, as asked
    assert "OPENBLAS_NUM_THREADS=None" in (measurement.errors[0].traceback or "")


# ── matmul ────────────────────────────────────────────────────────────────────


def test_matmul_takes_n_from_1_to_4096_and_needs_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    workload = workloads.get("matmul")
    (n,) = workload.params

    assert (n.name, n.default, workload.kind) == ("n", 600, "parallel-inside")
    assert [n.parse(text) for text in ("1", "600", "4096")] == [1, 600, 4096]
    for bad in ("0", "4097", "1.5"):
        with pytest.raises(
            ValueError, match=r"^n='.*' is not accepted; expected a whole number from 1 to 4096"
        ):
            n.parse(bad)
    assert workload.unavailable_reason() is None

    monkeypatch.setattr(matmul.importlib.util, "find_spec", lambda name: None)

    assert workload.unavailable_reason() == "needs numpy, which this Python does not have (pip install numpy)"
    with pytest.raises(SpecError, match=r"^workloads: 'matmul' cannot run here: needs numpy"):
        plan(dataclasses.replace(tour_spec(True, sys.executable).parts[0], workloads=("matmul",)))


@pytest.mark.timeout(60)
def test_matmul_runs_a_small_product_and_records_its_pool() -> None:
    measurement = measure(one_point("matmul", "sequential", 1, n=16), repeat=2, warmup=1)

    assert measurement.status == "ok", measurement.errors
    assert [s.tasks_ok for s in measurement.samples] == [1, 1]
    assert measurement.native is not None and measurement.native.pools


# ── the results file ────────────────────────────────────────────────────────


def test_the_wire_fields_of_native_pools_are_the_models() -> None:
    assert tuple(f.name for f in dataclasses.fields(NativeThreads)) == NATIVE_FIELDS
    assert tuple(f.name for f in dataclasses.fields(NativePool)) == NATIVE_POOL_FIELDS
    assert set(_native.report()) == set(NATIVE_FIELDS)


def test_native_pools_go_to_the_results_file_and_back(tmp_path: Path) -> None:
    result = recorded()
    path = tmp_path / "again.json"

    save_result(result, path)

    again = load_result(path)
    assert [m.native for m in again.measurements] == [m.native for m in result.measurements]
    first = again.measurements[0].native
    assert first is not None and first.pools is not None
    assert first.pools[0] == NativePool("openblas", "blas", 2, first.pools[0].version)
    assert (first.pools[0].name, first.pools[0].variable) == ("OpenBLAS", "OPENBLAS_NUM_THREADS")


def test_a_file_without_native_pools_loads_and_a_bad_one_is_refused_where_it_is_wrong() -> None:
    data = result_to_json(recorded())
    for point in data["points"]:
        del point["native"]
    assert all(m.native is None for m in result_from_json(data).measurements)

    data = result_to_json(recorded())
    data["points"][1]["native"]["pools"][0]["threads"] = "2"
    with pytest.raises(
        ResultsFileError, match=r"^points\[1\]\.native\.pools\[0\]\.threads: expected a whole number"
    ):
        result_from_json(data)
    data["points"][1]["native"] = {"pools": None}
    with pytest.raises(ResultsFileError, match=r"^points\[1\]\.native: missing 'variables'$"):
        result_from_json(data)
    assert NativeThreads(None).most_threads() is None


# ── the analysis, on the recorded file ──────────────────────────────────────


def test_the_recorded_product_is_classified_already_parallel_inside_naming_its_pool() -> None:
    result = recorded()
    (group,) = groups(result)

    classification = classify(group, result.environment.cpu_count)

    assert classification.kind is Kind.PARALLEL_INSIDE
    assert classification.kind.words == "already parallel inside"
    busy = classification.evidence[0]
    assert (busy.code, busy.point, busy.value) == (
        FactCode.BUSY_INSIDE,
        "sequential (inner_threads=0)",
        pytest.approx(2.04, abs=0.005),
    )
    assert busy.pool is not None and (busy.pool.name, busy.pool.threads) == ("OpenBLAS", 2)
    assert fact_text(busy).endswith("so it runs on native threads of its own (OpenBLAS, 2 threads)")


def test_the_advice_is_one_worker_or_a_split_within_the_cores_never_workers_on_a_busy_pool() -> None:
    result = recorded()
    analysis = analyse(result)
    (advice,) = analysis.recommendations

    assert advice.classification.kind is Kind.PARALLEL_INSIDE
    # The recording: 2 threads × 1 native thread measured 0.78× (0.66–1.20×) one worker with
    # OpenBLAS's two threads, and the rounds ended precise: no gain, stay with one worker.
    assert (advice.strategy, advice.workers, advice.inner_threads) == ("sequential", 1, 0)
    assert (advice.verdict, advice.remedies) == (Verdict.STAY, ())
    assert advice.chosen is not None and advice.chosen.speedup is not None
    assert (advice.chosen.name, advice.chosen.workers, advice.chosen.inner) == (
        "threads (inner_threads=1)",
        2,
        1,
    )
    assert advice.chosen.speedup.high > 1.05 > advice.chosen.speedup.low
    left_out = [(f.point, f.workers) for f in advice.reasons if f.code is FactCode.LEFT_OUT]
    assert left_out == [("threads (inner_threads=0)", 2), ("processes (inner_threads=0)", 2)]
    assert advice_text(advice) == (
        "matmul: already parallel inside: one call keeps 2.04 cores busy (OpenBLAS, 2 threads). Stay with "
        "one worker and let OpenBLAS use the cores, or run 2 threads with OPENBLAS_NUM_THREADS=1 for 0.78× "
        "(95% CI 0.66–1.20×) — no gain here."
    )


def faster(measurement: Measurement, factor: float) -> Measurement:
    """``measurement`` with every sample ``factor`` times as fast (so its speedup grows by ``factor``)."""
    samples = tuple(dataclasses.replace(s, wall_s=s.wall_s / factor) for s in measurement.samples)
    return dataclasses.replace(measurement, samples=samples)


def test_workers_stacked_on_a_busy_pool_are_never_the_advice_however_fast_they_look() -> None:
    result = recorded()
    # The points with one native thread made slow, the stacked ones (inner_threads=0) made fast.
    changed = tuple(
        m if (m.point.strategy, inner(m)) == ("sequential", 0) else faster(m, 0.25 if inner(m) == 1 else 4.0)
        for m in result.measurements
    )

    (advice,) = analyse(dataclasses.replace(result, measurements=changed)).recommendations

    assert (advice.strategy, advice.workers, advice.inner_threads) == ("sequential", 1, 0)
    assert advice.verdict is Verdict.STAY and advice.chosen is not None and advice.chosen.workers == 2
    assert any(reason.code is FactCode.LEFT_OUT for reason in advice.reasons)


def test_a_split_that_measured_faster_is_the_advice_with_its_interval() -> None:
    result = recorded()
    changed = tuple(
        faster(m, 4.0) if m.point.strategy == "processes" and inner(m) == 1 else m
        for m in result.measurements
    )

    (advice,) = analyse(dataclasses.replace(result, measurements=changed)).recommendations

    assert (advice.strategy, advice.workers, advice.inner_threads) == ("processes", 2, 1)
    assert advice.verdict is Verdict.USE
    assert "Yet many calls split better than one: run 2 processes with OPENBLAS_NUM_THREADS=1 — " in (
        advice_text(advice)
    )


def test_one_worker_with_fewer_native_threads_is_the_advice_where_it_measured_best() -> None:
    result = recorded()
    changed = tuple(
        faster(m, 4.0) if (m.point.strategy, inner(m)) == ("sequential", 1) else m
        for m in result.measurements
    )

    (advice,) = analyse(dataclasses.replace(result, measurements=changed)).recommendations

    assert (advice.strategy, advice.workers, advice.inner_threads) == ("sequential", 1, 1)
    assert advice.verdict is Verdict.USE and advice.chosen is not None and advice.chosen.inner == 1
    assert (
        "Yet its native threads cost more than they give here: run one worker with OPENBLAS_NUM_THREADS=1 — "
        in advice_text(advice)
    )


def test_without_a_split_measured_the_advice_stays_with_one_worker_and_asks_for_one() -> None:
    result = only(recorded(), lambda m: inner(m) == 0)
    (group,) = groups(result)

    advice = recommend(group, classify(group, 2), None, 2)

    assert (advice.strategy, advice.workers, advice.inner_threads) == ("sequential", 1, 0)
    assert (advice.verdict, advice.remedies) == (Verdict.NO_SPLIT, (Remedy.ADD_INNER_SPLIT,))
    assert advice_text(advice).endswith(
        "Stay with one worker and let OpenBLAS use the cores: more workers on top would only compete for "
        "them. To weigh N workers with 1 native thread each, measure them with inner_threads=1."
    )


def test_one_native_thread_alone_is_not_parallel_inside() -> None:
    result = only(recorded(), lambda m: inner(m) == 1)
    (group,) = groups(result)

    assert classify(group, 2).kind is not Kind.PARALLEL_INSIDE


def test_the_baseline_is_one_worker_with_its_native_pools_left_alone() -> None:
    result = recorded()
    reversed_order = dataclasses.replace(result, measurements=tuple(reversed(result.measurements)), rounds=())

    for each in (result, reversed_order):
        (group,) = groups(each)
        base = group.baseline()
        assert base is not None and (base.strategy, inner(base.measurement)) == ("sequential", 0)


# ── the tour's lesson ────────────────────────────────────────────────────────


def test_the_lesson_tells_the_product_from_the_numbers() -> None:
    from threadlab.analysis import summarise

    finding = parallel_inside_finding(summarise(recorded()))

    assert finding is not None
    assert finding.title == "A NumPy product (600×600), already parallel inside"
    assert finding.text.startswith("one product alone keeps ")
    assert " cores busy while it runs (OpenBLAS, 2 threads). Two threads on top: " in finding.text
    assert "Two threads with one BLAS thread each (inner_threads=1), the real alternative: " in finding.text
    assert [f.title for f in findings(recorded())] == [finding.title]


def test_the_recorded_file_is_what_make_data_says() -> None:
    data = json.loads(RECORDED.read_text(encoding="utf-8"))

    assert data["spec"]["workloads"] == ["matmul"] and data["spec"]["params"] == {"inner_threads": "0,1"}
    assert {(p["strategy"], p["strategy_params"]["inner_threads"]) for p in data["points"]} == {
        (strategy, value) for strategy in ("sequential", "threads", "processes") for value in (0, 1)
    }


@pytest.mark.timeout(120)
def test_the_command_sweeps_inner_threads_and_names_it_in_every_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one line per point
    code, out, err = threadlab_cli(
        capsys,
        *("run", "-w", "matmul", "-s", "sequential,threads,processes", "-n", "1,2"),
        *("-p", "inner_threads=1,2", "-p", "n=8", "--repeat", "1", "--warmup", "0", "--max-time", "1"),
        *("-o", str(tmp_path / "r.json"), "-q", "--verbose"),  # the full table names every point whole
    )

    assert code == 0, err
    table = out.split("Tasks of matmul")[0]
    assert table.count("matmul · ") == 12
    for strategy in ("sequential", "threads", "processes"):
        for value in (1, 2):
            assert table.count(f"matmul · {strategy} (inner_threads={value}) ×") == 2, table


# ── advise ──────────────────────────────────────────────────────────────────


@pytest.mark.timeout(90)
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no native pool runs a call on several")
@pytest.mark.usefixtures("no_thread_variables")
def test_advise_weighs_one_worker_with_its_native_threads_against_workers_with_one_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What is planned follows from the probe's cores per call: the structure of the sweep is
    # asserted, not which of its points was faster. The probe's figure is the recorded
    # product's (2.0 here, 1.05 with one BLAS thread), not this moment's: beside two one-core
    # hogs a call's own thread computed for 13-29% of a probe sample's wall (4 samples of 12
    # under the 15% below which cores_per_call counts none), and where all three of a probe's
    # fall under it, the plan falls back to CPU/wall, which other programs lower.
    (alone,) = [m for m in recorded().measurements if m.point.strategy == "sequential" and inner(m) == 0]
    figure = cores_per_call(alone.samples)
    assert figure is not None and figure > PARALLEL_INSIDE_CPU
    monkeypatch.setattr(_advise, "cores_per_call", lambda samples: figure)

    advice = threadlab.advise(target("native_tasks", "multiply"), budget=10, repeat=2, warmup=0)

    cores = os.cpu_count() or 1
    planned = {(m.point.strategy, m.point.workers, inner(m)) for m in advice.result.measurements}
    assert ("sequential", 1, 0) in planned
    assert {(s, i) for s, _, i in planned if s != "sequential"} == {("threads", 1), ("processes", 1)}
    assert all(w <= cores for s, w, _ in planned)
    assert len(advice.result.spec.parts) == 2
    assert any("one call keeps" in note and "inner_threads=1" in note for note in advice.notes)
    assert any(f"one call keeps {figure:.2f} cores busy" in note for note in advice.notes)
    # Which kind the live sweep is judged to be rests on the same figure, measured live: the
    # recording's classification is tested above.
    assert advice.recommendation is not None
    assert advice.recommendation.inner_threads in (0, 1)
