"""The results file, schema 2: its round trip, the strict reader, old files, and the writer.

One format for the wire and the disk: a sample's keys are declared once, in
``threadlab.worker._schema``, and pinned here to the model's fields. The
reader refuses an object with a key missing or unknown and says where. A
``ResultsWriter`` serialises again only the points that changed since its
last save, and writes the same bytes a fresh save would.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import one_point
from threadlab import ResultsFileError
from threadlab.analysis import baseline_of, summary
from threadlab.model import (
    SCHEMA_VERSION,
    Environment,
    Interpreter,
    MachineNoise,
    Measurement,
    Point,
    PointError,
    Result,
    Rounds,
    Sample,
    Spec,
    TaskSpans,
)
from threadlab.model import _json as model_json
from threadlab.model._json import plain, result_from_json, result_to_json
from threadlab.orchestrate import _store
from threadlab.orchestrate._launch import worker_command, worker_env
from threadlab.orchestrate._store import ResultsWriter, load_result, save_result
from threadlab.worker._protocol import PROTOCOL_VERSION
from threadlab.worker._schema import (
    REQUEST_FIELDS,
    SAMPLE_FIELDS,
    SPAN_FIELDS,
    SPAN_OPTIONAL_FIELDS,
)

pytestmark = pytest.mark.timeout(30)

DATA = Path(__file__).resolve().parent / "data"
# The recorded files written before rounds (tests/data/make_data.py made them).
SCHEMA_1_FILES = [
    path
    for path in sorted(DATA.glob("*.json"))
    if json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 1
]


# -- a synthetic schema-2 result, every part of the model in it --------------------------------


def spans(tasks: int, offset: float = 0.0, io: bool = False) -> TaskSpans:
    return TaskSpans(
        start_s=tuple(offset + i * 0.001 for i in range(tasks)),
        end_s=tuple(offset + 0.01 + i * 0.001 for i in range(tasks)),
        cpu_s=tuple(None if i == 0 else 0.0001 * i for i in range(tasks)),
        worker=tuple(i % 2 for i in range(tasks)),
        ok=tuple(i != 1 for i in range(tasks)),
        workers=("101:1", "101:2"),
        io_s=tuple(0.009 if i % 2 else None for i in range(tasks)) if io else (),
    )


def timed(number: int | None, wall_s: float = 0.0125, tasks: int = 2, io: bool = False) -> Sample:
    """A full sample of round ``number`` (None: a warm-up), every field set."""
    return Sample(
        wall_s=wall_s,
        cpu_user_s=0.0031,
        cpu_sys_s=0.0007,
        ctx_voluntary=12,
        ctx_involuntary=3,
        max_rss_bytes=25_165_824,
        spawn_s=0.00021,
        tasks_ok=tasks - 1,
        tasks_failed=1,
        first_error="Traceback (most recent call last):\nValueError: no",
        spans=spans(tasks, io=io),
        gil_contention=0.25,
        round=number,
        started_at=None if number is None else 1_750_000_000.125 + number * 0.05,
    )


def measurement(strategy: str, workers: int = 2, *, rounds: int = 3, **params: Any) -> Measurement:
    point = Point(
        "sleep",
        strategy,
        1 if strategy == "sequential" else workers,
        2,
        params={"duration": 0.01, **params},
        strategy_params={"start_method": "fork"} if strategy == "processes" else {},
        python=sys.executable,
        repeat=3,
        warmup=1,
    )
    return Measurement(
        point,
        "errors",
        Interpreter(sys.executable, "3.13.1", "CPython", free_threaded=False, gil_enabled=True),
        samples=tuple(timed(r, wall_s=0.0125 + r / 1000, io=strategy == "threads") for r in range(rounds)),
        warmups=(timed(None),),
        errors=(PointError("task", "1 of 8 tasks raised", "Traceback ...\nValueError: no", 4),),
        elapsed_s=0.42,
        shares_one_gil=strategy != "processes",
    )


def environment() -> Environment:
    return Environment(
        "3.13.1", sys.executable, False, True, 2, "Linux-6.1-x86_64", "0.2.0", "2025-06-15T12:00:00+00:00"
    )


def spec() -> Spec:
    return Spec(
        workloads=("sleep",),
        strategies=("sequential", "threads", "processes"),
        workers=(2, 4),
        tasks=None,
        repeat=3,
        warmup=1,
        params={"duration": 0.01},
        timeout_s=60.0,
        python=sys.executable,
        max_workers=64,
        pythons=(sys.executable,),
        gil="default",
        precision=0.04,
        max_time_s=30.0,
    )


def noise() -> MachineNoise:
    return MachineNoise(
        cores=2,
        capacity_cores=(1.93, 1.41),
        calibration_cpu_s=(0.041, 0.077, 0.043),
        steal_share=0.002,
        others_cores=0.12,
        cpu_mhz=(2400.0, 3100.5),
        elapsed_s=12.5,
    )


def full_result(measurements: tuple[Measurement, ...] | None = None) -> Result:
    if measurements is None:
        measurements = (measurement("sequential"), measurement("threads"), measurement("processes"))
    return Result(
        spec(),
        environment(),
        measurements,
        interrupted=False,
        noise=noise(),
        rounds=(Rounds(tuple(range(len(measurements))), 3, 1.25, 0.04, 0.031, 30.0, "precise"),),
    )


def through_json(value: Any) -> Any:
    """What a file holds: JSON text and back, as ``load_result`` reads it."""
    return json.loads(json.dumps(value, allow_nan=False))


# -- the round trip -------------------------------------------------------------------------------


def test_a_schema_2_result_survives_the_round_trip_noise_and_rounds_included() -> None:
    result = full_result()

    data = through_json(result_to_json(result))
    back = result_from_json(data)

    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert back == result
    assert [m.shares_one_gil for m in back.measurements] == [m.shares_one_gil for m in result.measurements]
    assert back.noise == noise()
    assert back.rounds == result.rounds
    assert [s.round for s in back.measurements[1].samples] == [0, 1, 2]
    assert back.measurements[1].samples[0].spans.io_s == result.measurements[1].samples[0].spans.io_s


def test_a_result_without_noise_and_rounds_survives_the_round_trip() -> None:
    result = dataclasses.replace(full_result(), noise=None, rounds=(), interrupted=True)

    assert result_from_json(through_json(result_to_json(result))) == result


def test_a_saved_result_with_its_summaries_loads_equal(tmp_path: Path) -> None:
    result = full_result()
    save_result(result, tmp_path / "results.json", analysis={"verdict": "anything"})

    assert load_result(tmp_path / "results.json") == result


# -- schema-1 files -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SCHEMA_1_FILES, ids=lambda path: path.name)
def test_every_recorded_schema_1_file_still_loads(path: Path) -> None:
    result = load_result(path)

    assert result.measurements
    assert result.noise is None
    assert result.rounds == ()
    for m in result.measurements:
        assert all(s.round is None and s.started_at is None for s in (*m.samples, *m.warmups))


def test_there_are_recorded_schema_1_files() -> None:
    assert len(SCHEMA_1_FILES) >= 3


# -- the strict reader ----------------------------------------------------------------------------


def at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def add_bogus(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    return lambda data: at(data, path).__setitem__("bogus", 1)


def remove(path: tuple[str | int, ...], key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: at(data, path).pop(key)


REFUSED = [
    (add_bogus(("points", 0, "samples", 1)), "points[0].samples[1]: unknown 'bogus'"),
    (remove(("points", 0, "samples", 1), "wall_s"), "points[0].samples[1]: missing 'wall_s'"),
    (remove(("points", 2, "samples", 0), "round"), "points[2].samples[0]: missing 'round'"),
    (remove(("points", 2, "samples", 0), "started_at"), "points[2].samples[0]: missing 'started_at'"),
    (remove(("points", 0, "samples", 1), "gil_contention"), "points[0].samples[1]: missing 'gil_contention'"),
    (add_bogus(("points", 1, "warmups", 0)), "points[1].warmups[0]: unknown 'bogus'"),
    (add_bogus(("points", 0, "samples", 2, "spans")), "points[0].samples[2].spans: unknown 'bogus'"),
    (remove(("points", 0, "samples", 2, "spans"), "end_s"), "points[0].samples[2].spans: missing 'end_s'"),
    (add_bogus(("points", 1)), "points[1]: unknown 'bogus'"),
    (remove(("points", 1), "strategy"), "points[1]: missing 'strategy'"),
    (remove(("points", 1), "status"), "points[1]: missing 'status'"),
    (add_bogus(("points", 0, "interpreter")), "points[0].interpreter: unknown 'bogus'"),
    (add_bogus(("points", 0, "errors", 0)), "points[0].errors[0]: unknown 'bogus'"),
    (add_bogus(("spec",)), "spec: unknown 'bogus'"),
    (remove(("spec",), "workloads"), "spec: missing 'workloads'"),
    (add_bogus(("environment",)), "environment: unknown 'bogus'"),
    (remove(("environment",), "platform"), "environment: missing 'platform'"),
    (add_bogus(("noise",)), "noise: unknown 'bogus'"),
    (remove(("noise",), "cores"), "noise: missing 'cores'"),
    (add_bogus(("rounds", 0)), "rounds[0]: unknown 'bogus'"),
    (remove(("rounds", 0), "ended"), "rounds[0]: missing 'ended'"),
    (add_bogus(()), "results file: unknown 'bogus'"),
    (remove((), "environment"), "results file: missing 'environment'"),
    (remove((), "rounds"), "results file: missing 'rounds'"),
    (remove((), "noise"), "results file: missing 'noise'"),
]


@pytest.mark.parametrize(("change", "message"), REFUSED, ids=[message for _, message in REFUSED])
def test_the_reader_refuses_a_key_unknown_or_missing_naming_where(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = through_json(result_to_json(full_result()))
    change(data)

    with pytest.raises(ResultsFileError, match=f"^{re.escape(message)}$"):
        result_from_json(data)


def test_loading_names_the_file_and_where_in_it(tmp_path: Path) -> None:
    data = through_json(result_to_json(full_result()))
    data["points"][0]["samples"][1]["bogus"] = 1
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(
        ResultsFileError,
        match=f"^{re.escape(repr(str(path)))}: points\\[0\\]\\.samples\\[1\\]: unknown 'bogus'$",
    ):
        load_result(path)


def test_a_schema_1_sample_may_lack_round_and_start_time_but_not_a_schema_2_one() -> None:
    data = through_json(result_to_json(full_result()))
    for point in data["points"]:
        for sample in (*point["samples"], *point["warmups"]):
            del sample["round"], sample["started_at"]
    with pytest.raises(ResultsFileError, match=r"^points\[0\]\.samples\[0\]: missing 'round', 'started_at'$"):
        result_from_json(data)

    del data["noise"], data["rounds"]
    data["schema_version"] = 1
    old = result_from_json(data)

    assert all(s.round is None for m in old.measurements for s in m.samples)


def test_points_without_shares_one_gil_load_without_whether_their_workers_shared_a_gil() -> None:
    data = through_json(result_to_json(full_result()))
    for point in data["points"]:
        del point["shares_one_gil"]

    assert [m.shares_one_gil for m in result_from_json(data).measurements] == [None] * len(data["points"])


def test_whether_the_workers_shared_a_gil_is_true_false_or_null() -> None:
    data = through_json(result_to_json(full_result()))
    data["points"][0]["shares_one_gil"] = "yes"

    with pytest.raises(
        ResultsFileError, match=r"^points\[0\]: shares_one_gil must be true, false or null, not 'yes'$"
    ):
        result_from_json(data)


def test_the_derived_blocks_are_read_past_not_trusted() -> None:
    data = through_json(result_to_json(full_result()))
    for point in data["points"]:
        point["summary"] = {"speedup_vs_sequential": 1000.0, "whatever": None}
    data["analysis"] = {"recommendation": "nonsense"}

    assert result_from_json(data) == full_result()


# -- one schema on both sides of the wire ---------------------------------------------------------


def test_the_wires_sample_fields_are_the_models() -> None:
    assert tuple(f.name for f in dataclasses.fields(Sample)) == SAMPLE_FIELDS
    assert tuple(f.name for f in dataclasses.fields(TaskSpans)) == SPAN_FIELDS + SPAN_OPTIONAL_FIELDS


def test_a_written_sample_has_exactly_the_wires_fields() -> None:
    entry = result_to_json(full_result())["points"][1]

    assert tuple(entry["samples"][0]) == SAMPLE_FIELDS
    assert tuple(entry["samples"][0]["spans"]) == SPAN_FIELDS + SPAN_OPTIONAL_FIELDS
    # io_s only where a task reported an I/O wait.
    assert tuple(result_to_json(full_result())["points"][0]["samples"][0]["spans"]) == SPAN_FIELDS


def test_a_real_workers_sample_has_exactly_the_models_fields() -> None:
    planned = one_point("sleep", "threads", 2, duration=0.0)
    request = {
        "protocol": PROTOCOL_VERSION,
        "workload": planned.workload,
        "function": None,
        "strategy": planned.strategy,
        "strategy_module": None,
        "workers": planned.workers,
        "tasks": planned.tasks,
        "params": dict(planned.params),
        "strategy_params": dict(planned.strategy_params),
        "warmup": 1,
    }
    assert tuple(request) == REQUEST_FIELDS
    commands = [request, {"command": "sample", "round": 7}, {"command": "stop"}]
    finished = subprocess.run(
        worker_command(sys.executable),
        input="".join(json.dumps(c) + "\n" for c in commands),
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=20,
        check=False,
    )
    events = [json.loads(line) for line in finished.stdout.splitlines()]

    assert [e["event"] for e in events] == ["hello", "sample", "ready", "sample", "done"], finished.stderr
    for event in (events[1], events[3]):
        assert set(event["sample"]) == {f.name for f in dataclasses.fields(Sample)}
        required = {f.name for f in dataclasses.fields(TaskSpans)} - set(SPAN_OPTIONAL_FIELDS)
        assert required <= set(event["sample"]["spans"]) <= {f.name for f in dataclasses.fields(TaskSpans)}
    assert events[1]["sample"]["round"] is None
    assert events[3]["sample"]["round"] == 7


# -- the writer -----------------------------------------------------------------------------------


@pytest.fixture
def serialised(monkeypatch: pytest.MonkeyPatch) -> list[Point]:
    """The points ``ResultsWriter`` turns into JSON, one entry per call."""
    calls: list[Point] = []
    real = model_json.measurement_to_json

    def counting(m: Measurement, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(m.point)
        return real(m, *args, **kwargs)

    monkeypatch.setattr(_store, "measurement_to_json", counting)
    return calls


def fresh_bytes(result: Result, path: Path) -> bytes:
    save_result(result, path)
    return path.read_bytes()


def test_the_writer_serialises_again_only_the_points_that_changed(
    tmp_path: Path, serialised: list[Point]
) -> None:
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    sequential, threads, processes = (
        measurement("sequential"),
        measurement("threads"),
        measurement("processes"),
    )
    writer.save(full_result((sequential, threads, processes)))
    assert len(serialised) == 3

    # One point got a sample more; one point of another group is new.
    threads_more = measurement("threads", rounds=4)
    other = measurement("sequential", duration=0.02)
    second = full_result((sequential, threads_more, processes, other))
    serialised.clear()
    writer.save(second)

    assert serialised == [threads_more.point, other.point]
    assert path.read_bytes() == fresh_bytes(second, tmp_path / "fresh-2.json")

    # Nothing changed: nothing serialised again.
    serialised.clear()
    writer.save(second)
    assert serialised == []
    assert path.read_bytes() == fresh_bytes(second, tmp_path / "fresh-2.json")


def test_a_new_baseline_serialises_again_every_point_compared_with_it(
    tmp_path: Path, serialised: list[Point]
) -> None:
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    group = (measurement("sequential"), measurement("threads"), measurement("processes"))
    other = measurement("threads", duration=0.02)
    writer.save(full_result((*group, other)))

    sequential_more = measurement("sequential", rounds=4)
    third = full_result((sequential_more, group[1], group[2], other))
    serialised.clear()
    writer.save(third)

    # Their summaries (speedups) changed with their baseline; the other group's did not.
    assert serialised == [sequential_more.point, group[1].point, group[2].point]
    assert path.read_bytes() == fresh_bytes(third, tmp_path / "fresh.json")
    written = json.loads(path.read_text(encoding="utf-8"))
    for entry, m in zip(written["points"], third.measurements, strict=True):
        assert entry["summary"] == through_json(plain(summary(m, baseline_of(third, m))))


def test_the_writers_file_is_json_a_fresh_save_would_write(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    measurements: list[Measurement] = []
    for strategy in ("sequential", "threads", "processes"):
        measurements.append(measurement(strategy))
        result = full_result(tuple(measurements))
        writer.save(result, analysis={"saves": len(measurements)})
        fresh = tmp_path / "fresh.json"
        save_result(result, fresh, analysis={"saves": len(measurements)})

        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(fresh.read_text(encoding="utf-8"))
        assert path.read_bytes() == fresh.read_bytes()
        assert load_result(path) == result


def test_files_are_written_with_mode_0644_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    previous = os.umask(0o077)
    try:
        writer.save(full_result())
        first = os.stat(path).st_mode & 0o777
        writer.save(full_result())
        second = os.stat(path).st_mode & 0o777
    finally:
        os.umask(previous)

    assert (first, second) == (0o644, 0o644)


@pytest.mark.parametrize("failing", ["replace", "chmod"])
def test_a_failed_write_leaves_no_temporary_file_and_the_last_save_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    writer.save(full_result())
    before = path.read_bytes()

    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, no_space)
    with pytest.raises(
        ResultsFileError, match=f"^cannot write {re.escape(repr(str(path)))}: {os.strerror(errno.ENOSPC)}$"
    ):
        writer.save(full_result((measurement("sequential"),)))
    monkeypatch.undo()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    assert path.read_bytes() == before
