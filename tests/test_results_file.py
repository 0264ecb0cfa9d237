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
import fcntl
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import one_point
from threadlab import ResultsFileError, SpecError
from threadlab.analysis import baseline_of, summarise, summary
from threadlab.model import (
    SCHEMA_VERSION,
    Environment,
    Interpreter,
    MachineNoise,
    Measurement,
    NativePool,
    NativeThreads,
    Point,
    PointError,
    Result,
    Rounds,
    Sample,
    Spec,
    Summary,
    TaskSpans,
    WaitLine,
    Waits,
)
from threadlab.model import _json as model_json
from threadlab.model._json import plain, result_from_json, result_to_json
from threadlab.orchestrate import _store
from threadlab.orchestrate._execute import summaries_kept
from threadlab.orchestrate._launch import worker_command, worker_env
from threadlab.orchestrate._progress import Progress
from threadlab.orchestrate._runner import worker_request
from threadlab.orchestrate._store import ResultsWriter, load_result, save_result
from threadlab.worker._schema import (
    REQUEST_FIELDS,
    SAMPLE_FIELDS,
    SAMPLE_OPTIONAL_FIELDS,
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


def waits() -> Waits:
    return Waits(
        cpu_s=0.011,
        lock_s=0.0125,
        sleep_s=0.001,
        observations=48,
        threads=2,
        lines=(WaitLine("lock", 0.5, "app.py", 18, "work", "threading.Lock.acquire"),),
        reader_cpu_s=0.0004,
        note="partial: a thread ended between reads",
    )


def timed(number: int | None, wall_s: float = 0.0125, tasks: int = 2, io: bool = False) -> Sample:
    """A full sample of round ``number`` (None: a warm-up, which has no waits), every field set."""
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
        waits=None if number is None else waits(),
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
        ResultsFileError, match=r"^points\[0\]\.shares_one_gil: expected true, false or null, found 'yes'$"
    ):
        result_from_json(data)


def test_an_errors_cause_is_written_only_where_known_and_survives_the_round_trip() -> None:
    cut = PointError("timeout", "not started: the time budget ran out before its turn", cause="budget")
    first = dataclasses.replace(full_result().measurements[0], status="timeout", errors=(cut,))
    result = full_result((first, *full_result().measurements[1:]))

    data = through_json(result_to_json(result))

    assert [[e.get("cause") for e in point["errors"]] for point in data["points"]] == [
        ["budget"],
        [None],
        [None],
    ]
    assert ["cause" in e for point in data["points"][1:] for e in point["errors"]] == [False, False]
    assert result_from_json(data) == result


def test_the_derived_blocks_are_read_past_not_trusted() -> None:
    data = through_json(result_to_json(full_result()))
    for point in data["points"]:
        point["summary"] = {"speedup_vs_sequential": 1000.0, "whatever": None}
    data["analysis"] = {"recommendation": "nonsense"}

    assert result_from_json(data) == full_result()


def put(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: at(data, path[:-1]).__setitem__(path[-1], value)


SAMPLE_0 = ("points", 0, "samples", 0)
VALUES_REFUSED = [
    (put(("spec",), 5), "spec: expected an object, found 5"),
    (
        put(("spec", "workers"), [2, "4"]),
        "spec.workers[1]: expected a whole number from 1 to 2**53, found '4'",
    ),
    (put(("spec", "precision"), 1), "spec.precision: expected a number above 0 and below 1, found 1"),
    (
        put((*SAMPLE_0, "cpu_user_s"), math.inf),
        "points[0].samples[0].cpu_user_s: expected a number from 0 to 1e+10, or null, found Infinity",
    ),
    (
        put((*SAMPLE_0, "spans", "cpu_s", 1), math.nan),
        "points[0].samples[0].spans.cpu_s[1]: expected a number from 0 to 1e+10, or null, found NaN",
    ),
    (
        put((*SAMPLE_0, "max_rss_bytes"), -1),
        "points[0].samples[0].max_rss_bytes: expected a whole number from 0 to 2**53, or null, found -1",
    ),
    (
        put((*SAMPLE_0, "max_rss_bytes"), 10**30),
        "points[0].samples[0].max_rss_bytes: expected a whole number from 0 to 2**53, or null, "
        "found 1000000000000000000000000000000",
    ),
    (
        put((*SAMPLE_0, "wall_s"), 0),
        "points[0].samples[0].wall_s: expected a number from 1e-09 to 1e+10, found 0",
    ),
    (
        put((*SAMPLE_0, "tasks_ok"), True),
        "points[0].samples[0].tasks_ok: expected a whole number from 0 to 2**53, found true",
    ),
    (put((*SAMPLE_0, "spans"), []), "points[0].samples[0].spans: expected an object, found a list"),
    (
        put((*SAMPLE_0, "spans", "workers", 0), "\ud800"),
        "points[0].samples[0].spans.workers[0]: expected a string, found '\\ud800'",
    ),
    (put(("points", 0, "tasks"), 1.5), "points[0].tasks: expected a whole number from 1 to 2**53, found 1.5"),
    (put(("points", 0, "params"), [1]), "points[0].params: expected an object of parameters, found a list"),
    (
        put(("points", 0, "params", "duration"), [0.1]),
        "points[0].params.duration: expected a finite number, a string, true or false, found a list",
    ),
    (
        put(("points", 0, "status"), "fine"),
        "points[0].status: expected one of ok, errors, timeout, crashed, failed, interrupted, found 'fine'",
    ),
    (
        put(("points", 0, "errors", 0, "count"), 0),
        "points[0].errors[0].count: expected a whole number from 1 to 2**53, found 0",
    ),
    (
        put(("environment", "cpu_count"), "many"),
        "environment.cpu_count: expected a whole number from 1 to 2**53, or null, found 'many'",
    ),
    (
        put(("noise", "cpu_mhz"), [1]),
        "noise.cpu_mhz: expected a list of two, each a number above 0 and below 1e+10, or null, found a list",
    ),
    (
        put(("rounds", 0, "points"), [0, -1]),
        "rounds[0].points[1]: expected a whole number from 0 to 2**53, found -1",
    ),
    (put(("interrupted",), "yes"), "interrupted: expected true or false, found 'yes'"),
    (
        put(("schema_version",), 2.0),
        "schema_version 2.0 is not one this threadlab reads (1 to 2); upgrade threadlab to read it",
    ),
    (put(("points",), {}), "points: expected a list, found an object"),
]


@pytest.mark.parametrize(
    ("change", "message"), VALUES_REFUSED, ids=[m.split(":")[0] for _, m in VALUES_REFUSED]
)
def test_the_reader_refuses_a_value_of_the_wrong_type_or_range_naming_where_and_what(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = through_json(result_to_json(full_result()))
    change(data)

    with pytest.raises(ResultsFileError, match=f"^{re.escape(message)}$"):
        result_from_json(data)


def every_model_object() -> list[object]:
    """One object of every class the results file holds, each field set, from ``full_result``."""
    result = full_result()
    threads = result.measurements[1]
    native = NativeThreads((NativePool("openblas", "blas", 2, "0.3.27"),), {"OMP_NUM_THREADS": "1"})
    return [
        result,
        result.spec,
        result.environment,
        result.noise,
        result.rounds[0],
        threads,
        threads.point,
        threads.interpreter,
        threads.errors[0],
        threads.samples[0],
        threads.samples[0].spans,
        waits(),
        waits().lines[0],
        native,
        native.pools[0] if native.pools else None,
    ]


@pytest.mark.parametrize("obj", every_model_object(), ids=lambda obj: type(obj).__name__)
def test_every_field_of_the_model_refuses_a_value_of_another_type_naming_the_field(obj: Any) -> None:
    # One declaration per field: its annotation is its check, in the constructor and so in the reader.
    for field in dataclasses.fields(obj):
        with pytest.raises(ValueError, match=rf"^{field.name}: expected [^,]+.*, found <object object at "):
            dataclasses.replace(obj, **{field.name: object()})


def test_every_class_of_the_results_file_is_among_those_checked_field_by_field() -> None:
    read = {type(obj) for obj in every_model_object()}
    held: set[Any] = {Result}
    stack: list[Any] = [Result]
    while stack:
        for field in dataclasses.fields(stack.pop()):
            for hint in re.findall(r"[A-Z][A-Za-z]+", str(field.type)):
                cls = getattr(threadlab.model, hint, None)
                if dataclasses.is_dataclass(cls) and cls not in held:
                    held.add(cls)
                    stack.append(cls)
    assert held == read


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda path: path.name)
def test_every_recorded_file_loads_its_figures_and_saves_them_back_the_same(
    path: Path, tmp_path: Path
) -> None:
    recorded = json.loads(path.read_text(encoding="utf-8"))
    loaded = load_result(path)

    # The recorded figures, point by point and sample by sample.
    assert [
        (m.point.workload, m.point.strategy, m.point.workers, m.point.tasks) for m in loaded.measurements
    ] == [(p["workload"], p["strategy"], p["workers"], p["tasks"]) for p in recorded["points"]]
    assert [[s.wall_s for s in m.samples] for m in loaded.measurements] == [
        [s["wall_s"] for s in p["samples"]] for p in recorded["points"]
    ]
    assert [[list(s.spans.end_s) for s in m.samples] for m in loaded.measurements] == [
        [s["spans"]["end_s"] for s in p["samples"]] for p in recorded["points"]
    ]
    assert loaded.environment.python_version == recorded["environment"]["python_version"]
    # Saved in the current schema and loaded again: equal; saved again: the same bytes.
    summaries = [s for _, s in summarise(loaded)]
    save_result(loaded, tmp_path / "once.json", summaries=summaries)
    again = load_result(tmp_path / "once.json")
    assert again == loaded
    save_result(again, tmp_path / "twice.json", summaries=[s for _, s in summarise(again)])
    assert (tmp_path / "twice.json").read_bytes() == (tmp_path / "once.json").read_bytes()
    assert (
        json.loads((tmp_path / "once.json").read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION
    )


def test_a_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(result_to_json(full_result())).replace("sleep", "sl\xe9ep").encode("latin-1"))

    with pytest.raises(
        ResultsFileError,
        match=rf"^{re.escape(repr(str(path)))} is not UTF-8 text \(byte \d+: invalid continuation byte\)$",
    ):
        load_result(path)


def test_a_file_nested_too_deep_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"schema_version": 2, "spec": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")

    def no_parsing(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(model_json.json, "loads", no_parsing)
    with pytest.raises(
        ResultsFileError,
        match=f"^{re.escape(repr(str(path)))} nests deeper than 64, the most a results file nests$",
    ):
        load_result(path)


@pytest.mark.parametrize(
    ("content", "deeper"),
    [
        (b"[" * 64 + b"]" * 64, False),
        (b"[" * 65 + b"]" * 65, True),
        (b'{"a": [' * 33 + b"]}" * 33, True),
        (b'["' + b"[" * 100 + b'"]', False),  # in a string
        (b'["\\"' + b"[" * 100 + b'"]', False),  # after an escaped quote, still in the string
        (b'["\\\\"' + b"[" * 100, True),  # after an escaped backslash, the string has ended
        (b'{"a": [1, 2', False),  # cut short: not JSON, which the parser says
        (b"]" + b"[" * 100, False),  # closing what is not open: the same
    ],
)
def test_nesting_is_counted_on_the_bytes_brackets_in_strings_left_out(content: bytes, deeper: bool) -> None:
    assert model_json.nests_deeper_than(content, 64) is deeper


def test_a_file_above_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.json"
    save_result(full_result(), path)
    monkeypatch.setattr(model_json, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(_store, "MAX_FILE_BYTES", 1000)

    with pytest.raises(
        ResultsFileError,
        match=f"^{re.escape(repr(str(path)))} is over 0 MiB, the most threadlab reads of a results file$",
    ):
        load_result(path)


# -- the commands that read results files: exit code 2 for a file they cannot read or trust ------


def unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "locked.json"
    save_result(full_result(), path)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads a chmod-000 file: have it refused as for anyone else
        real_open = Path.open

        def refused(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == path:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refused)
    return path


BAD_FILES: dict[str, Callable[[Path, pytest.MonkeyPatch], tuple[Path, str]]] = {
    "missing": lambda tmp, _: (tmp / "missing.json", "cannot read {path}: No such file or directory"),
    "directory": lambda tmp, _: (tmp, "cannot read {path}: Is a directory"),
    "chmod 000": lambda tmp, mp: (unreadable(tmp, mp), "cannot read {path}: Permission denied"),
    "empty": lambda tmp, _: (
        write(tmp / "empty.json", b""),
        "{path} is not JSON: Expecting value: line 1 column 1 (char 0)",
    ),
    "not UTF-8": lambda tmp, _: (
        write(tmp / "bytes.json", b'{"\xff": 1}'),
        "{path} is not UTF-8 text (byte 2: invalid start byte)",
    ),
    "invalid": lambda tmp, _: (
        write(tmp / "edited.json", b'{"schema_version": 1, "environment": {}, "spec": 5, "points": []}'),
        "{path}: spec: expected an object, found 5",
    ),
}


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("command", ["show", "plot", "report", "compare"])
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_results_file_that_cannot_be_read_or_trusted_exits_2_in_one_line_before_any_work(
    command: str,
    bad: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path, message = BAD_FILES[bad](work, monkeypatch)
    good = tmp_path / "good.json"
    save_result(full_result(), good)
    output = tmp_path / "out"
    args = {
        "show": ["show", str(path)],
        "plot": ["plot", str(path), "-o", f"{output}.svg"],
        "report": ["report", str(good), str(path), "-o", f"{output}.html"],
        "compare": ["compare", str(good), str(path), "--fail-slower", "10"],
    }[command]

    code, out, err = threadlab_cli(capsys, *args)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: {message.format(path=repr(str(path)))}\n"
    assert not list(tmp_path.glob("out*"))


def test_a_path_the_system_cannot_take_is_refused_as_unreadable() -> None:
    with pytest.raises(ResultsFileError, match=r"^cannot read 'a\\x00b\.json': embedded null byte$"):
        load_result("a\0b.json")


def test_a_results_file_that_loads_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "results.json"
    save_result(full_result(), path)

    code, out, err = threadlab_cli(capsys, "show", str(path), "--format", "csv")

    assert (code, err) == (0, "")
    assert out.count("\n") == 4  # a header and the three points


def test_ctrl_c_while_reading_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(path: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_store, "load_result", interrupted)

    code, out, err = threadlab_cli(capsys, "show", str(tmp_path / "any.json"))

    assert (code, out) == (130, "")
    assert err.splitlines()[-1] == "threadlab: interrupted"


# -- one schema on both sides of the wire ---------------------------------------------------------


def test_the_wires_sample_fields_are_the_models() -> None:
    assert tuple(f.name for f in dataclasses.fields(Sample)) == SAMPLE_FIELDS + SAMPLE_OPTIONAL_FIELDS
    assert tuple(f.name for f in dataclasses.fields(TaskSpans)) == SPAN_FIELDS + SPAN_OPTIONAL_FIELDS


def test_a_written_sample_has_exactly_the_wires_fields() -> None:
    entry = result_to_json(full_result())["points"][1]

    assert tuple(entry["samples"][0]) == SAMPLE_FIELDS + SAMPLE_OPTIONAL_FIELDS
    assert tuple(entry["samples"][0]["spans"]) == SPAN_FIELDS + SPAN_OPTIONAL_FIELDS
    # waits only where measured: a warm-up's is None, and left out.
    assert tuple(entry["warmups"][0]) == SAMPLE_FIELDS
    # io_s only where a task reported an I/O wait.
    assert tuple(result_to_json(full_result())["points"][0]["samples"][0]["spans"]) == SPAN_FIELDS


def test_a_real_workers_sample_has_exactly_the_models_fields() -> None:
    planned = one_point("sleep", "threads", 2, duration=0.0)
    request = worker_request(planned, warmup=1)
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
    # The breakdown of waits is read in timed samples only, never in warm-ups.
    assert set(events[1]["sample"]) == set(SAMPLE_FIELDS)
    assert set(events[3]["sample"]) == {f.name for f in dataclasses.fields(Sample)}
    for event in (events[1], events[3]):
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


def fresh_bytes(result: Result, path: Path, summaries: list[Summary | None] | None = None) -> bytes:
    save_result(result, path, summaries=summaries)
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
    # As a run saves after every round: each summary computed again only where its point or
    # baseline changed, and the writer serialising again only the points whose summary did.
    path = tmp_path / "results.json"
    writer = ResultsWriter(path)
    kept: dict[int, Any] = {}

    def save(result: Result) -> None:
        writer.save(result, summaries=summaries_kept(result.measurements, kept))

    group = (measurement("sequential"), measurement("threads"), measurement("processes"))
    other = measurement("threads", duration=0.02)
    save(full_result((*group, other)))

    sequential_more = measurement("sequential", rounds=4)
    third = full_result((sequential_more, group[1], group[2], other))
    serialised.clear()
    save(third)

    # Their summaries (speedups) changed with their baseline; the other group's did not.
    assert serialised == [sequential_more.point, group[1].point, group[2].point]
    assert path.read_bytes() == fresh_bytes(third, tmp_path / "fresh.json", [s for _, s in summarise(third)])
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


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o644)])
def test_every_file_written_has_mode_0644_less_the_umask(
    umask: int, mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, report, image = tmp_path / "results.json", tmp_path / "report.html", tmp_path / "plot.svg"
    previous = os.umask(umask)
    try:
        with ResultsWriter(results) as writer:
            writer.save(full_result())
            writer.save(full_result())  # a second save replaces the file: the same mode
        assert threadlab_cli(capsys, "report", str(results), "-o", str(report))[0] == 0
        assert threadlab_cli(capsys, "plot", str(results), "-k", "wall", "-o", str(image))[0] == 0
    finally:
        os.umask(previous)

    assert {path.name: os.stat(path).st_mode & 0o777 for path in (results, report, image)} == {
        "results.json": mode,
        "report.html": mode,
        "plot.svg": mode,
    }


def no_space(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk_after_one_chunk() -> Iterator[bytes]:
    yield b'{"schema_version": '
    no_space()


@pytest.mark.parametrize("failing", ["open", "write", "replace"])
def test_a_failed_write_leaves_no_temporary_file_and_the_last_save_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "results.json"
    with ResultsWriter(path) as writer:
        writer.save(full_result())
        before = path.read_bytes()

        if failing == "write":
            with pytest.raises(OSError, match=os.strerror(errno.ENOSPC)):
                _store.write_atomically(path, full_disk_after_one_chunk())
        else:
            monkeypatch.setattr(os, failing, no_space)
            with pytest.raises(
                ResultsFileError,
                match=f"^cannot write {re.escape(repr(str(path)))}: {os.strerror(errno.ENOSPC)}$",
            ):
                writer.save(full_result((measurement("sequential"),)))
            monkeypatch.undo()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    assert path.read_bytes() == before


def test_a_save_whose_rename_happened_never_reports_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second Ctrl-C landing just after the rename, and a cleanup that would fail.
    path = tmp_path / "results.json"
    real_replace = os.replace

    def replace_then_ctrl_c(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        real_replace(source, target)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace_then_ctrl_c)
    monkeypatch.setattr(os, "unlink", no_space)
    with pytest.raises(KeyboardInterrupt):  # the interrupt goes on; no "cannot write"
        _store.write_atomically(path, b'{"written": true}')
    monkeypatch.undo()

    assert json.loads(path.read_text(encoding="utf-8")) == {"written": True}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


# -- one run at a time writes a results file --------------------------------------------------------


@pytest.fixture
def held_by_another_run(tmp_path: Path) -> Iterator[Path]:
    """``results.json``, its lock held as another run holds it, with that run's pid written."""
    path = tmp_path / "results.json"
    fd = os.open(path.with_name("results.json.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"4242\n")
    try:
        yield path
    finally:
        os.close(fd)


def test_a_second_run_on_the_same_out_is_refused_before_any_worker_starts(
    held_by_another_run: Path, no_workers: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    path = held_by_another_run
    run = ["run", "-w", "sleep", "-s", "threads", "-n", "2", "-p", "duration=0", "-o", str(path)]

    code, out, err = threadlab_cli(capsys, *run)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: --out: {str(path)!r} is being written by another run (pid 4242)\n"
    assert no_workers == []
    assert not path.exists()


def test_advise_is_refused_before_its_probe_starts_a_worker(
    held_by_another_run: Path, no_workers: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"{Path(__file__).parent / 'fixtures' / 'user_tasks.py'}:record_call"

    code, _, err = threadlab_cli(capsys, "advise", target, "-o", str(held_by_another_run))

    assert code == 2
    assert err.endswith(" is being written by another run (pid 4242)\n")
    assert no_workers == []


def test_the_api_refuses_a_second_run_naming_its_parameter(
    held_by_another_run: Path, no_workers: list[object]
) -> None:
    refused = f"^out: {re.escape(repr(str(held_by_another_run)))} is being written by another run"
    with pytest.raises(SpecError, match=refused + r" \(pid 4242\)$"):
        threadlab.run("sleep", "threads", 2, params={"duration": 0}, out=held_by_another_run)


def test_a_run_holds_the_lock_while_it_runs_and_removes_it_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    lock = tmp_path / "results.json.lock"
    seen: list[bytes] = []

    class Watching(Progress):
        def point_started(self, point: Point) -> None:
            seen.append(lock.read_bytes())

    threadlab.run(
        "sleep",
        "sequential",
        1,
        params={"duration": 0},
        repeat=1,
        warmup=0,
        max_time=0.1,
        out=path,
        progress=Watching(),
    )

    assert seen
    assert set(seen) == {f"{os.getpid()}\n".encode()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_writer_in_another_process_keeps_the_file_from_this_one(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from threadlab.orchestrate._store import ResultsWriter; "
            f"w = ResultsWriter({str(path)!r}); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(SpecError, match=f"is being written by another run \\(pid {holder.pid}\\)$"):
            ResultsWriter(path)
    finally:
        holder.communicate("", timeout=20)

    with ResultsWriter(path) as writer:  # free again once that process has ended
        writer.save(full_result())
    assert load_result(path) == full_result()


def test_a_second_writer_of_one_file_is_refused_even_in_this_process(tmp_path: Path) -> None:
    # One command makes one writer and passes it down: a second one is a second run.
    path = tmp_path / "results.json"

    with ResultsWriter(path) as writer:
        with pytest.raises(SpecError) as refused:
            ResultsWriter(path)
        writer.save(full_result())

    assert str(refused.value) == f"out: {str(path)!r} is being written by another run (pid {os.getpid()})"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    ResultsWriter(path).close()  # released: taken again at once
