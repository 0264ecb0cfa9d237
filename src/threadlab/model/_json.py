"""The results file: the model to JSON and back, for every schema version read.

One format for the wire and the disk, as pyperf keeps it: a sample is the
same object in a worker's protocol event and in a results file, its keys
declared once in ``threadlab.worker._schema``.

Writing takes what was measured, and the derived figures (each point's
``summary``, the run's ``analysis``) only where the caller passes them in:
this module computes nothing. Reading ignores the derived blocks and refuses
an object with a key missing or unknown, or a value of the wrong type or out
of range (each field's check is in ``_CHECKS``), in one line naming where it
is and what was expected: ``points[3].samples[0].cpu_user_s: expected a
number from 0 to 1e+10, or null, found Infinity``. A file too large, not
UTF-8 or nested too deep is refused before it is parsed (``result_from_bytes``).

Schema history (``SCHEMA_VERSION`` in ``_data``): version 1 files have no
rounds, start times, noise or precision; they load with those absent.
A point without ``shares_one_gil`` (every version-1 file) loads it as None.
``startup_s`` (a warm pool's start-up, kept out of the samples) is optional in
version 2: written only where a strategy opened a session, read as None where absent.
A point without ``native`` (files written before it was recorded) loads it as None.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from threadlab._errors import ResultsFileError
from threadlab.model._data import (
    ERROR_KINDS,
    GIL_MODES,
    ROUNDS_ENDS,
    SCHEMA_VERSION,
    STATUSES,
    Interpreter,
    Point,
    PointError,
    Sample,
    TaskSpans,
)
from threadlab.model._result import (
    Environment,
    MachineNoise,
    Measurement,
    NativePool,
    NativeThreads,
    Result,
    Rounds,
    Spec,
    Summary,
)
from threadlab.model._waits import WAIT_CATEGORIES, WaitLine, Waits
from threadlab.worker._schema import (
    NATIVE_FIELDS,
    NATIVE_POOL_FIELDS,
    SAMPLE_FIELDS,
    SAMPLE_OPTIONAL_FIELDS,
    SPAN_FIELDS,
)

T = TypeVar("T")

# The point's own fields, flattened into each entry of "points", then what was measured.
_POINT_KEYS = tuple(f.name for f in dataclasses.fields(Point))
_MEASURED_KEYS = (
    "interpreter",
    "status",
    "elapsed_s",
    "shares_one_gil",
    "startup_s",
    "native",
    "samples",
    "warmups",
    "errors",
)
# Derived blocks a file may carry; read past, never trusted.
_DERIVED_POINT_KEYS = ("summary",)
_DERIVED_RESULT_KEYS = ("analysis",)


def plain(obj: Any) -> Any:
    """Dataclasses to dicts, tuples to lists, mappings to dicts."""
    if isinstance(obj, TaskSpans):
        # Columns of plain numbers, strings and bools: copied as lists, not walked
        # value by value (100,000 tasks make 600,000 values per sample).
        spans = {name: list(getattr(obj, name)) for name in SPAN_FIELDS}
        if obj.io_s:
            spans["io_s"] = list(obj.io_s)
        return spans
    if isinstance(obj, Sample):  # its optional keys are left out where absent, not written null
        return {
            f.name: plain(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name not in SAMPLE_OPTIONAL_FIELDS or getattr(obj, f.name) is not None
        }
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(key): plain(value) for key, value in obj.items()}
    return obj


def measurement_to_json(measurement: Measurement, summary: Summary | None = None) -> dict[str, Any]:
    """One entry of ``points``: the point's fields, flattened, then what was measured.

    Args:
        measurement: the point and its samples.
        summary: its derived figures, written as ``summary`` when given.
    """
    entry: dict[str, Any] = {name: plain(getattr(measurement.point, name)) for name in _POINT_KEYS}
    entry.update(
        interpreter=plain(measurement.interpreter),
        status=measurement.status,
        elapsed_s=measurement.elapsed_s,
        shares_one_gil=measurement.shares_one_gil,
        startup_s=measurement.startup_s,
        native=plain(measurement.native),
        samples=plain(measurement.samples),
        warmups=plain(measurement.warmups),
        errors=plain(measurement.errors),
    )
    if measurement.startup_s is None:  # only a point whose strategy opened a session has one
        del entry["startup_s"]
    if summary is not None:
        entry["summary"] = plain(summary)
    return entry


def result_header(result: Result) -> dict[str, Any]:
    """Everything of the results file but its points and analysis."""
    return {
        "schema_version": SCHEMA_VERSION,
        "environment": plain(result.environment),
        "spec": plain(result.spec),
        "interrupted": result.interrupted,
        "noise": plain(result.noise),
        "rounds": plain(result.rounds),
    }


def result_to_json(
    result: Result,
    summaries: Sequence[Summary | None] | None = None,
    analysis: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole results file as plain JSON types.

    Args:
        result: what was measured.
        summaries: each point's derived figures, in order, to write beside it.
        analysis: the run's analysis as plain JSON, written once at the end
            of a command for scripts that read the file.
    """
    per_point = summaries if summaries is not None else [None] * len(result.measurements)
    data = result_header(result)
    data["points"] = [measurement_to_json(m, s) for m, s in zip(result.measurements, per_point, strict=True)]
    if analysis is not None:
        data["analysis"] = dict(analysis)
    return data


# -- reading: every value checked, every refusal one line naming where --------------------------

# A results file threadlab writes is a few megabytes (a 100,000-task sample is about 4 MB):
# a file above this is not one to trust, and is refused before it is read into memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
# A results file nests 7 deep (points, a sample, its spans, a column); the analysis block a
# little deeper. JSON nested deeper than this is refused before parsing, so that no parser
# recurses on it.
MAX_DEPTH = 64
# Seconds, shares and sizes above these are no measurement (1e10 s is 300 years; started_at,
# seconds since 1970, is 1.8e9 now): refused, so that sums and ratios of them stay finite.
MAX_SECONDS = 1e10
# Counts and sizes are whole numbers up to the largest a float holds exactly (the analysis
# divides them as floats).
MAX_COUNT = 2**53

# A sample's wall time is at least a nanosecond, the clocks' resolution: tasks per second
# are divided by it.
MIN_WALL_S = 1e-9

Check = Callable[[Any, str], Any]


def _cut(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _found(value: Any) -> str:
    """A value of the file, as the error that refuses it shows it (JSON's words, cut short)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"a whole number of {value.bit_length()} bits"
    if value is None or isinstance(value, (bool, int, float)):
        return _cut(json.dumps(value))
    return _cut(repr(value))


def _refuse(where: str, expected: str, value: Any) -> NoReturn:
    raise ResultsFileError(f"{where}: expected {expected}, found {_found(value)}")


def _is_text(value: Any) -> bool:
    # A lone surrogate ("\ud800" in the JSON) is no text: printing it would fail.
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Value:
    """What one value of the file must be: a test, the words that say it, and the same test
    of a whole column of such values, in C (None: value by value)."""

    expected: str
    accepts: Callable[[Any], bool]
    all_accepted: Callable[[list[Any]], bool] | None = None

    def __call__(self, value: Any, where: str) -> Any:
        if not self.accepts(value):
            _refuse(where, self.expected, value)
        return value

    def column(self, values: Any, where: str) -> tuple[Any, ...]:
        """A list of such values, as a tuple.

        A sample's spans hold up to 100,000 values a column: they are checked
        a column at a time (``all_accepted``), and value by value only to
        name the first that is refused.
        """
        if not isinstance(values, list):
            _refuse(where, f"a list of: {self.expected}", values)
        if self.all_accepted is None or not self.all_accepted(values):
            for index, value in enumerate(values):
                self(value, f"{where}[{index}]")
        return tuple(values)


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values))


def _nullable(value: _Value) -> _Value:
    quick = value.all_accepted
    expected = "true, false or null" if value.expected == "true or false" else f"{value.expected}, or null"
    return _Value(
        expected,
        lambda v: v is None or value.accepts(v),
        None if quick is None else lambda vs: quick([v for v in vs if v is not None]),
    )


def _number(low: float, high: float = MAX_SECONDS, *, above: bool = False) -> _Value:
    """A finite number (int or float, not a bool) from ``low`` to ``high``, or between them (``above``)."""
    expected = f"a number above {low:g} and below {high:g}" if above else f"a number from {low:g} to {high:g}"

    def accepts(v: Any) -> bool:
        # Comparisons with finite bounds refuse NaN and the infinities, and whole numbers of any size.
        return type(v) in (int, float) and (low < v < high if above else low <= v <= high)

    def all_accepted(values: list[Any]) -> bool:
        if not values:
            return True
        if not _types(values) <= {int, float}:
            return False
        try:
            finite = all(map(math.isfinite, values))
        except OverflowError:  # a whole number too large for a float
            return False
        return finite and low <= min(values) and max(values) <= high

    return _Value(expected, accepts, None if above else all_accepted)


def _whole(low: int) -> _Value:
    """A whole number (not a float, not a bool) from ``low`` to ``MAX_COUNT``."""
    return _Value(
        f"a whole number from {low} to 2**53",
        lambda v: type(v) is int and low <= v <= MAX_COUNT,
        lambda vs: not vs or (_types(vs) <= {int} and low <= min(vs) and max(vs) <= MAX_COUNT),
    )


def _all_text(values: list[Any]) -> bool:
    if not _types(values) <= {str}:
        return False
    try:
        "".join(values).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_SECONDS = _number(0)
_SHARE = _number(0, 1)
_TEXT = _Value("a string", _is_text, _all_text)
_FLAG = _Value("true or false", lambda v: type(v) is bool, lambda vs: _types(vs) <= {bool})


def _choice(options: Sequence[str]) -> _Value:
    return _Value(f"one of {', '.join(options)}", lambda v: type(v) is str and v in options)


def _list(item: Check) -> Check:
    """A list of values each checked by ``item``, as a tuple."""

    def check(value: Any, where: str) -> tuple[Any, ...]:
        return tuple(item(element, f"{where}[{index}]") for index, element in enumerate(_tuple(value, where)))

    return check


def _columns(item: _Value) -> Check:
    return item.column


def _pair(item: _Value) -> Check:
    def check(value: Any, where: str) -> tuple[Any, Any]:
        if not isinstance(value, list) or len(value) != 2:
            _refuse(where, f"a list of two, each {item.expected}", value)
        return item(value[0], f"{where}[0]"), item(value[1], f"{where}[1]")

    return check


def _params(value: Any, where: str) -> dict[str, Any]:
    """A workload's or strategy's parameters: names to numbers, strings or true/false."""
    if not isinstance(value, Mapping):
        _refuse(where, "an object of parameters", value)
    for key, item in value.items():
        if not _is_text(key):
            _refuse(where, "parameter names as strings", key)
        if not (
            (type(item) in (int, bool) or _is_text(item)) or (type(item) is float and math.isfinite(item))
        ):
            _refuse(f"{where}.{_cut(key, 40)}", "a finite number, a string, true or false", item)
    return dict(value)


def _variables(value: Any, where: str) -> dict[str, str]:
    """Thread-count variables by name, each a string, as the worker's environment held them."""
    if not isinstance(value, Mapping):
        _refuse(where, "an object of environment variables", value)
    for key, item in value.items():
        if not _is_text(key) or not _is_text(item):
            _refuse(f"{where}.{_cut(str(key), 40)}", "a variable's name and value as strings", item)
    return dict(value)


def _tuple(data: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(data, list):
        _refuse(where, "a list", data)
    return tuple(data)


def _optional_object(read: Callable[[Any, str], T]) -> Callable[[Any, str], T | None]:
    return lambda value, where: None if value is None else read(value, where)


def _keys(data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """``data`` as a mapping with every required key and no unknown one."""
    if not isinstance(data, Mapping):
        _refuse(where, "an object", data)
    required = tuple(required)
    missing = [key for key in required if key not in data]
    if missing:
        raise ResultsFileError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    known = set(required) | set(optional)
    unknown = [_cut(str(key), 40) for key in data if key not in known]
    if unknown:
        raise ResultsFileError(f"{where}: unknown {', '.join(repr(k) for k in sorted(unknown))}")
    return data


def _fields(cls: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A dataclass's fields without a default, and those with one."""
    required: list[str] = []
    optional: list[str] = []
    for f in dataclasses.fields(cls):
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        (optional if has_default else required).append(f.name)
    return tuple(required), tuple(optional)


def _build(cls: Callable[..., T], values: Mapping[str, Any], where: str) -> T:
    """``cls(**values)``, its own checks (which relate one field to another) refused with where."""
    try:
        return cls(**values)
    except (TypeError, ValueError, OverflowError) as error:
        raise ResultsFileError(f"{where}: {error}") from None


def _checked(checks: Mapping[str, Check], fields: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Each field present, checked by its check, its path in the file named on refusal."""
    return {key: check(fields[key], f"{where}.{key}") for key, check in checks.items() if key in fields}


def _read(cls: Callable[..., T], data: Any, where: str, required: Iterable[str] | None = None) -> T:
    """A dataclass from an object holding its fields, each checked (``_CHECKS``)."""
    checks = _CHECKS[cls]
    required = _fields(cls)[0] if required is None else tuple(required)
    fields = _keys(data, where, required, checks)
    return _build(cls, _checked(checks, fields, where), where)


def _spans(data: Any, where: str) -> TaskSpans:
    return _read(TaskSpans, data, where, SPAN_FIELDS)


def _interpreter(data: Any, where: str) -> Interpreter:
    return _read(Interpreter, data, where)


def _wait_line(data: Any, where: str) -> WaitLine:
    return _read(WaitLine, data, where)


def _waits(data: Any, where: str) -> Waits:
    return _read(Waits, data, where)


def _point_error(data: Any, where: str) -> PointError:
    return _read(PointError, data, where)


def _part(data: Any, where: str) -> Spec:
    spec = _read(Spec, data, where)
    if spec.parts:
        raise ResultsFileError(f"{where}.parts: a spec's parts have no parts of their own")
    return spec


# What each field of the file must be: one entry per field of each class read (a test pins
# them to the dataclasses' fields). The dataclasses' own checks run after these, for what
# relates one field to another (spans.worker within spans.workers, rounds within points).
_CHECKS: dict[Any, dict[str, Check]] = {
    TaskSpans: {
        "start_s": _columns(_SECONDS),
        "end_s": _columns(_SECONDS),
        "cpu_s": _columns(_nullable(_SECONDS)),
        "worker": _columns(_whole(0)),
        "ok": _columns(_FLAG),
        "workers": _columns(_TEXT),
        "io_s": _columns(_nullable(_SECONDS)),
    },
    Sample: {
        "wall_s": _number(MIN_WALL_S),
        "cpu_user_s": _nullable(_SECONDS),
        "cpu_sys_s": _nullable(_SECONDS),
        "ctx_voluntary": _nullable(_whole(0)),
        "ctx_involuntary": _nullable(_whole(0)),
        "max_rss_bytes": _nullable(_whole(0)),
        "spawn_s": _nullable(_SECONDS),
        "tasks_ok": _whole(0),
        "tasks_failed": _whole(0),
        "first_error": _nullable(_TEXT),
        "spans": _spans,
        "gil_contention": _nullable(_SHARE),
        "round": _nullable(_whole(0)),
        "started_at": _nullable(_SECONDS),
        "waits": _optional_object(_waits),
    },
    Waits: {
        **{f"{category}_s": _SECONDS for category in WAIT_CATEGORIES},
        "observations": _whole(0),
        "threads": _whole(0),
        "lines": _list(_wait_line),
        "reader_cpu_s": _SECONDS,
        "note": _nullable(_TEXT),
    },
    WaitLine: {
        "category": _choice(WAIT_CATEGORIES),
        "share": _SHARE,
        "file": _TEXT,
        "line": _whole(0),
        "function": _TEXT,
        "library": _nullable(_TEXT),
    },
    Interpreter: {
        "executable": _TEXT,
        "version": _TEXT,
        "implementation": _TEXT,
        "free_threaded": _FLAG,
        "gil_enabled": _FLAG,
    },
    PointError: {
        "kind": _choice(ERROR_KINDS),
        "message": _TEXT,
        "traceback": _nullable(_TEXT),
        "count": _whole(1),
    },
    Point: {
        "workload": _TEXT,
        "strategy": _TEXT,
        "workers": _whole(1),
        "tasks": _whole(1),
        "params": _params,
        "strategy_params": _params,
        "python": _TEXT,
        "repeat": _whole(1),
        "warmup": _whole(0),
        "gil": _choice(GIL_MODES),
    },
    Measurement: {
        # "point" is not a key of the file: the point's fields are flattened into the entry.
        "status": _choice(STATUSES),
        "interpreter": _optional_object(_interpreter),
        "elapsed_s": _nullable(_SECONDS),
        "shares_one_gil": _nullable(_FLAG),
        "startup_s": _nullable(_SECONDS),
        "errors": _list(_point_error),
        # "native": read by native_from_json, as the worker's "ready" event is.
        # "samples" and "warmups": read per schema version, in measurement_from_json.
    },
    NativePool: {
        "library": _TEXT,
        "api": _TEXT,
        "threads": _whole(0),
        "version": _nullable(_TEXT),
    },
    NativeThreads: {
        "pools": lambda value, where: None if value is None else _list(_native_pool)(value, where),
        "variables": _variables,
    },
    Spec: {
        "workloads": _list(_TEXT),
        "strategies": _list(_TEXT),
        "workers": _list(_whole(1)),
        "tasks": _nullable(_whole(1)),
        "repeat": _whole(1),
        "warmup": _whole(0),
        "params": _params,
        "timeout_s": _nullable(_number(0, above=True)),
        "python": _TEXT,
        "max_workers": _nullable(_whole(1)),
        "pythons": _list(_TEXT),
        "gil": _choice(GIL_MODES),
        "precision": _number(0, 1, above=True),
        "max_time_s": _number(0, above=True),
        "parts": _list(_part),
    },
    Environment: {
        "python_version": _TEXT,
        "python_executable": _TEXT,
        "free_threaded": _FLAG,
        "gil_enabled": _FLAG,
        "cpu_count": _nullable(_whole(1)),
        "platform": _TEXT,
        "threadlab_version": _TEXT,
        "time": _TEXT,
    },
    MachineNoise: {
        "cores": _whole(1),
        "capacity_cores": _columns(_number(0)),
        "calibration_cpu_s": _columns(_SECONDS),
        "steal_share": _nullable(_SHARE),
        "others_cores": _nullable(_number(0)),
        "cpu_mhz": _optional_object(_pair(_number(0, above=True))),
        "elapsed_s": _SECONDS,
    },
    Rounds: {
        "points": _columns(_whole(0)),
        "rounds": _whole(0),
        "elapsed_s": _SECONDS,
        "precision": _SHARE,
        "reached": _nullable(_number(0)),
        "time_s": _SECONDS,
        "ended": _choice(ROUNDS_ENDS),
    },
}


def sample_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Sample:
    """One sample, from a worker's protocol event or a results file of ``version``.

    Raises:
        ResultsFileError: a key missing or unknown, or a value of the wrong
            type or out of range; the message names where.
    """
    # Schema 2 samples hold every key; schema 1 files were written over months in which
    # fields were added (gil_contention), so there only what a Sample cannot do without is.
    required = SAMPLE_FIELDS if version >= 2 else (*_fields(Sample)[0], "spans")
    return _read(Sample, data, where, required)


def _samples(data: Any, where: str, version: int) -> tuple[Sample, ...]:
    return tuple(sample_from_json(s, f"{where}[{i}]", version) for i, s in enumerate(_tuple(data, where)))


def _native_pool(data: Any, where: str) -> NativePool:
    return _read(NativePool, data, where, NATIVE_POOL_FIELDS)


def native_from_json(data: Any, where: str) -> NativeThreads | None:
    """What a worker saw of native thread pools, from its "ready" event or a results file; None for null."""
    if data is None:
        return None
    return _read(NativeThreads, data, where, NATIVE_FIELDS)


def measurement_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Measurement:
    """One entry of ``points`` back into a ``Measurement``.

    Raises:
        ResultsFileError: as ``sample_from_json``.
    """
    point_required, point_optional = _fields(Point)
    entry = _keys(
        data,
        where,
        (*point_required, "status"),
        (*point_optional, *_MEASURED_KEYS, *_DERIVED_POINT_KEYS),
    )
    point = _build(Point, _checked(_CHECKS[Point], entry, where), where)
    return _build(
        Measurement,
        {
            **_checked(_CHECKS[Measurement], entry, where),
            "point": point,
            "native": native_from_json(entry.get("native"), where + ".native"),
            "samples": _samples(entry.get("samples", []), where + ".samples", version),
            "warmups": _samples(entry.get("warmups", []), where + ".warmups", version),
        },
        where,
    )


def result_from_json(data: Any) -> Result:
    """Rebuild a ``Result`` from a results file's content (parsed JSON).

    Every value is checked for its type and range; an object with a key
    missing or unknown is refused.

    Raises:
        ResultsFileError: not a results file, one from a newer threadlab, or
            a value in it missing, unknown, of the wrong type or out of
            range; the message names where (``points[3].samples[0].wall_s``)
            and what was expected.
    """
    if not isinstance(data, Mapping) or "schema_version" not in data:
        raise ResultsFileError("not a threadlab results file (no schema_version)")
    version = data["schema_version"]
    if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
        raise ResultsFileError(
            f"schema_version {_found(version)} is not one this threadlab reads "
            f"(1 to {SCHEMA_VERSION}); upgrade threadlab to read it"
        )
    since_2 = ("noise", "rounds") if version >= 2 else ()
    top = _keys(
        data,
        "results file",
        ("schema_version", "environment", "spec", "points", *since_2),
        ("interrupted", *_DERIVED_RESULT_KEYS),
    )
    spec = _read(Spec, top["spec"], "spec")
    measurements = tuple(
        measurement_from_json(p, f"points[{i}]", version)
        for i, p in enumerate(_tuple(top["points"], "points"))
    )
    return _build(
        Result,
        {
            "spec": spec,
            "environment": _read(Environment, top["environment"], "environment"),
            "measurements": measurements,
            "interrupted": _FLAG(top.get("interrupted", False), "interrupted"),
            "noise": None if top.get("noise") is None else _read(MachineNoise, top["noise"], "noise"),
            "rounds": _list(lambda item, where: _read(Rounds, item, where))(top.get("rounds", []), "rounds"),
        },
        "results file",
    )


# Strings hold no brackets that count: escaped backslashes and quotes taken out first, a
# string is then a quote, anything but a quote, and a quote.
_JSON_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# An opening bracket steps one deeper, a closing one one out: 2 and 0 here, 1 taken off each step.
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def nests_deeper_than(content: bytes, most: int = MAX_DEPTH) -> bool:
    """Whether the arrays and objects of JSON ``content`` nest deeper than ``most``, counted on its
    bytes without parsing, so that no parser recurses into a file nested a million deep.

    Brackets inside strings do not count. Every step runs in C: 0.05 to 0.12 s
    a megabyte of a results file on a busy 2-core machine, a third of reading
    it whole. The count stops at the first bracket deeper than ``most``, or at
    a closing one with none open (not JSON, which the parser then says).
    """
    unescaped = content.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = _JSON_STRING.sub(b"", unescaped).translate(_STEPS, _NOT_BRACKETS)
    depths = map(operator.sub, itertools.accumulate(brackets), itertools.count(1))
    first_out = next(itertools.dropwhile(range(most + 1).__contains__, depths), 0)
    return first_out > most


def result_from_bytes(content: bytes, name: str = "the results file") -> Result:
    """Read a results file's bytes: size, text, nesting and JSON checked first, then every value.

    The one reader of results files; ``load_result`` reads the bytes and
    passes the file's name. No exception but ``ResultsFileError`` leaves it.

    Args:
        content: the file's bytes.
        name: how its errors name the file: ``'r.json'``.

    Raises:
        ResultsFileError: above ``MAX_FILE_BYTES``, not UTF-8, nested deeper
            than ``MAX_DEPTH``, not JSON, or refused by ``result_from_json``;
            one line, starting with ``name``.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ResultsFileError(
            f"{name} is over {MAX_FILE_BYTES // 2**20} MiB, the most threadlab reads of a results file"
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ResultsFileError(f"{name} is not UTF-8 text (byte {error.start}: {error.reason})") from None
    if nests_deeper_than(content, MAX_DEPTH):
        raise ResultsFileError(f"{name} nests deeper than {MAX_DEPTH}, the most a results file nests")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsFileError(f"{name} is not JSON: {error}") from None
    except (ValueError, RecursionError):
        # Python refuses whole numbers of over 4300 digits (sys.get_int_max_str_digits).
        raise ResultsFileError(f"{name} is not JSON threadlab reads: a number of too many digits") from None
    try:
        return result_from_json(data)
    except ResultsFileError as error:
        raise ResultsFileError(f"{name}: {error}") from None
