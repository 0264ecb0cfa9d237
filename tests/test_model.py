"""The data model and the results file: validation, JSON round trip, documented keys."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import threadlab
from threadlab import (
    SCHEMA_VERSION,
    MachineNoise,
    Measurement,
    Point,
    PointError,
    Result,
    ResultsFileError,
    Rounds,
    Sample,
    Spec,
    SpecError,
    TaskSpans,
    load_result,
    save_result,
    summarise,
)
from threadlab.analysis import baseline_of
from threadlab.model._json import result_from_json, result_to_json

pytestmark = pytest.mark.timeout(30)


def test_a_result_survives_the_json_round_trip(small_run: tuple[Result, Path]) -> None:
    result, _ = small_run
    assert result_from_json(result_to_json(result)) == result
    assert result_from_json(json.loads(json.dumps(result_to_json(result)))) == result


def test_a_saved_result_loads_equal(small_run: tuple[Result, Path]) -> None:
    result, out = small_run
    assert load_result(out) == result


def test_the_results_file_has_the_documented_keys(small_run: tuple[Result, Path]) -> None:
    _, out = small_run
    data = json.loads(out.read_text(encoding="utf-8"))

    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert data["interrupted"] is False
    assert "analysis" not in data  # saving writes what was measured; the analysis is not computed
    environment = data["environment"]
    for key in (
        "python_version",
        "python_executable",
        "free_threaded",
        "gil_enabled",
        "cpu_count",
        "platform",
        "threadlab_version",
        "time",
    ):
        assert key in environment, key
    assert environment["threadlab_version"] == threadlab.__version__
    labels = [(p["workload"], p["strategy"], p["workers"], p["tasks"]) for p in data["points"]]
    assert labels == [
        ("sleep", "sequential", 1, 1),
        ("sleep", "sequential", 1, 2),
        ("sleep", "threads", 1, 1),
        ("sleep", "threads", 2, 2),
    ]
    for point in data["points"]:
        assert point["params"] == {"duration": 0.05}
        assert point["status"] == "ok"
        assert point["shares_one_gil"] is True  # sequential and threads: one GIL for every worker
        assert point["errors"] == []
        assert len(point["warmups"]) == 1
        # One sample per round, numbered; a warm-up belongs to no round.
        assert [sample["round"] for sample in point["samples"]] == [0, 1]
        assert point["warmups"][0]["round"] is None
        assert set(point["interpreter"]) >= {"executable", "version", "free_threaded", "gil_enabled"}
        for sample in point["samples"] + point["warmups"]:
            for key in (
                "wall_s",
                "cpu_user_s",
                "cpu_sys_s",
                "ctx_voluntary",
                "ctx_involuntary",
                "max_rss_bytes",
                "spans",
                "round",
                "started_at",
            ):
                assert key in sample, key
            assert set(sample["spans"]) >= {"start_s", "end_s", "cpu_s", "worker", "ok", "workers"}
        summary = point["summary"]
        for key in (
            "wall_median_s",
            "wall_min_s",
            "wall_max_s",
            "throughput_median",
            "cpu_per_wall",
            "speedup_vs_sequential",
            "speedup_vs_sequential_ci",
            "speedup_rounds",
        ):
            assert key in summary, key
        # Every point here has a sequential point of the same work, paired with it in both rounds.
        low, high = summary["speedup_vs_sequential_ci"]
        assert 0 < low <= summary["speedup_vs_sequential"] <= high
        assert summary["speedup_rounds"] == 2
        assert summary["wall_min_s"] <= summary["wall_median_s"] <= summary["wall_max_s"]
    # The four points are one group, measured in the same two rounds (max time 0.1 s: as few as asked).
    (rounds,) = data["rounds"]
    assert rounds["points"] == [0, 1, 2, 3]
    assert (rounds["rounds"], rounds["ended"], rounds["precision"]) == (2, "time", 0.05)
    assert data["spec"]["max_time_s"] == 0.1
    assert data["noise"]["cores"] >= 1
    assert set(data["noise"]) == {f.name for f in dataclasses.fields(MachineNoise)}


def test_speedup_is_null_without_a_sequential_point(tmp_path: Path) -> None:
    out = tmp_path / "threads-only.json"
    threadlab.run(
        "sleep",
        "threads",
        2,
        params={"duration": 0.01},
        repeat=1,
        warmup=0,
        max_time=0.1,
        timeout=30,
        out=out,
    )

    (point,) = json.loads(out.read_text(encoding="utf-8"))["points"]
    assert point["summary"]["speedup_vs_sequential"] is None
    assert point["summary"]["speedup_vs_sequential_ci"] is None
    assert point["summary"]["speedup_rounds"] == 0
    assert point["summary"]["throughput_median"] > 0


def test_a_summary_is_derived_again_not_read(small_run: tuple[Result, Path], tmp_path: Path) -> None:
    _, out = small_run
    data = json.loads(out.read_text(encoding="utf-8"))
    data["points"][0]["summary"]["wall_median_s"] = 1234.0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data), encoding="utf-8")

    _, summary = summarise(load_result(forged))[0]

    assert summary is not None
    assert summary.wall_median_s != 1234.0
    assert summary.wall_min_s <= summary.wall_median_s <= summary.wall_max_s


def test_speedup_is_against_the_sequential_point_of_the_same_work(small_run: tuple[Result, Path]) -> None:
    result, _ = small_run
    by_label = {m.point.label(): m for m in result.measurements}
    threads_2 = by_label["sleep · threads ×2 (2 tasks)"]
    baseline = baseline_of(result, threads_2)
    assert baseline is by_label["sleep · sequential ×1 (2 tasks)"]
    assert baseline_of(result, baseline) is baseline
    assert (
        baseline_of(result, by_label["sleep · threads ×1 (1 tasks)"])
        is by_label["sleep · sequential ×1 (1 tasks)"]
    )


INVALID: list[tuple[Callable[[], object], str]] = [
    (lambda: Point("sleep", "threads", 0, 1), "workers: expected a whole number from 1 to 2**53, found 0"),
    (lambda: Point("sleep", "threads", 1, 0), "tasks: expected a whole number from 1 to 2**53, found 0"),
    (lambda: Point("", "threads", 1, 1), "workload must be named"),
    (lambda: Point("sleep", "", 1, 1), "strategy must be named"),
    (lambda: Sample(wall_s=0.0), "wall_s: expected a number from 1e-09 to 1e+10, found 0.0"),
    (lambda: Sample(wall_s=math.nan), "wall_s: expected a number from 1e-09 to 1e+10, found NaN"),
    (
        lambda: Sample(wall_s=1.0, cpu_user_s=-1.0),
        "cpu_user_s: expected a number from 0 to 1e+10, or null, found -1.0",
    ),
    (lambda: Sample(wall_s=1.0, tasks_ok=-1), "tasks_ok: expected a whole number from 0 to 2**53, found -1"),
    (lambda: TaskSpans(start_s=(0.0,)), "spans.end_s has 0 entries, spans.start_s has 1"),
    (
        lambda: TaskSpans(
            start_s=(0.0,), end_s=(1.0,), cpu_s=(None,), worker=(1,), ok=(True,), workers=("a",)
        ),
        "spans.worker refers to a worker missing from spans.workers",
    ),
    (lambda: PointError("task", "boom", count=0), "count: expected a whole number from 1 to 2**53, found 0"),
    (
        lambda: PointError("oops", "boom"),  # type: ignore[arg-type]  # an invalid kind, on purpose
        "kind: expected one of task, timeout, crashed, refused, worker, found 'oops'",
    ),
    (
        lambda: Measurement(Point("sleep", "threads", 1, 1), "fine"),  # type: ignore[arg-type]  # on purpose
        "status: expected one of ok, errors, timeout, crashed, failed, interrupted, found 'fine'",
    ),
    (lambda: Spec(workloads=(), strategies=("threads",), workers=(1,)), "a spec needs at least one workload"),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(0,)),
        "workers[0]: expected a whole number from 1 to 2**53, found 0",
    ),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(1,), repeat=0),
        "repeat: expected a whole number from 1 to 2**53, found 0",
    ),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(1,), warmup=-1),
        "warmup: expected a whole number from 0 to 2**53, found -1",
    ),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(1,), timeout_s=0),
        "timeout_s: expected a number above 0 and below 1e+10, or null, found 0",
    ),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(1,), precision=1.0),
        "precision: expected a number above 0 and below 1, found 1.0",
    ),
    (
        lambda: Spec(workloads=("sleep",), strategies=("threads",), workers=(1,), max_time_s=0.0),
        "max_time_s: expected a number above 0 and below 1e+10, found 0.0",
    ),
    (
        lambda: Sample(wall_s=1.0, round=-1),
        "round: expected a whole number from 0 to 2**53, or null, found -1",
    ),
    (
        lambda: Sample(wall_s=1.0, started_at=math.inf),
        "started_at: expected a number from 0 to 1e+10, or null, found Infinity",
    ),
    (
        lambda: Rounds((0,), 1, 1.0, 0.05, None, 1.0, "bored"),  # type: ignore[arg-type]  # on purpose
        "ended: expected one of precise, time, interrupted, failed, found 'bored'",
    ),
    (lambda: MachineNoise(cores=0), "cores: expected a whole number from 1 to 2**53, found 0"),
    (
        lambda: MachineNoise(cores=2, steal_share=1.5),
        "steal_share: expected a number from 0 to 1, or null, found 1.5",
    ),
    (
        lambda: MachineNoise(cores=2, cpu_mhz=(3000.0, 2000.0)),
        "cpu_mhz must be (lowest, highest) above 0, not (3000.0, 2000.0)",
    ),
    (
        lambda: Result(
            Spec(workloads=("sleep",), strategies=("threads",), workers=(1,)),
            threadlab.Environment("3", "python", False, True, 2, "Linux", "0", "now"),
            rounds=(Rounds((0,), 1, 1.0, 0.05, None, 1.0, "time"),),
        ),
        "rounds.points refers to a point missing from points",
    ),
]


@pytest.mark.parametrize(("build", "message"), INVALID, ids=[message for _, message in INVALID])
def test_objects_refuse_values_that_make_no_sense(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        build()


def test_run_refuses_a_bad_spec_as_a_spec_error() -> None:
    with pytest.raises(
        SpecError, match=r"^run\(\): workers\[0\]: expected a whole number from 1 to 2\*\*53, found 0$"
    ):
        threadlab.run("sleep", "threads", 0)


def test_a_newer_schema_version_is_refused(small_run: tuple[Result, Path], tmp_path: Path) -> None:
    _, out = small_run
    data = json.loads(out.read_text(encoding="utf-8"))
    data["schema_version"] = 99
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data), encoding="utf-8")

    expected = (
        f"{str(newer)!r}: schema_version 99 is not one this threadlab reads "
        f"(1 to {SCHEMA_VERSION}); upgrade threadlab to read it"
    )
    with pytest.raises(ResultsFileError, match=f"^{re.escape(expected)}$"):
        load_result(newer)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{}", "not a threadlab results file (no schema_version)"),
        ('{"schema_version": 1}', "results file: missing 'environment', 'spec', 'points'"),
        (
            '{"schema_version": 2}',
            "results file: missing 'environment', 'spec', 'points', 'noise', 'rounds'",
        ),
        (
            '{"schema_version": 0}',
            f"schema_version 0 is not one this threadlab reads (1 to {SCHEMA_VERSION}); "
            "upgrade threadlab to read it",
        ),
    ],
    ids=["no-schema-version", "version-1-empty", "version-2-empty", "schema-version-0"],
)
def test_a_file_that_is_not_a_results_file_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultsFileError, match=f"^{re.escape(f'{str(path)!r}: {problem}')}$"):
        load_result(path)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ResultsFileError, match=f"^{re.escape(repr(str(path)))} is not JSON: "):
        load_result(path)


def test_saving_writes_what_it_is_given_and_computes_nothing(
    small_run: tuple[Result, Path], tmp_path: Path
) -> None:
    result, _ = small_run
    out = tmp_path / "saved.json"

    save_result(result, out)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert "analysis" not in written
    assert all("summary" not in entry for entry in written["points"])

    # What is given is written as it is, even where it is not what the samples give.
    given = [
        None if s is None else dataclasses.replace(s, wall_median_s=1234.0) for _, s in summarise(result)
    ]
    save_result(result, out, {"given": True}, summaries=given)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["analysis"] == {"given": True}
    assert [entry.get("summary", {}).get("wall_median_s") for entry in written["points"]] == [
        None if s is None else 1234.0 for s in given
    ]
    assert load_result(out) == result  # the derived blocks are read past, never trusted


def test_save_result_leaves_no_temporary_file(small_run: tuple[Result, Path], tmp_path: Path) -> None:
    result, _ = small_run
    out = tmp_path / "saved.json"

    save_result(result, out)
    save_result(result, out)

    assert sorted(os.listdir(tmp_path)) == ["saved.json"]
    assert load_result(out) == result


def test_a_failed_save_keeps_the_previous_file_whole(
    small_run: tuple[Result, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, _ = small_run
    out = tmp_path / "saved.json"
    out.write_text("previous content", encoding="utf-8")

    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(
        ResultsFileError, match=f"^cannot write {re.escape(repr(str(out)))}: No space left on device$"
    ):
        save_result(result, out)

    assert sorted(os.listdir(tmp_path)) == ["saved.json"]
    assert out.read_text(encoding="utf-8") == "previous content"
