"""The results file: the model to JSON and back, for every schema version read.

One format for the wire and the disk, as pyperf keeps it: a sample is the
same object in a worker's protocol event and in a results file, its keys
named for the worker in ``threadlab.worker._schema``.

Writing takes what was measured, and the derived figures (each point's
``summary``, the run's ``analysis``) only where the caller passes them in:
this module computes nothing. Reading ignores the derived blocks and builds
the dataclasses, which check their fields (``_schema``). A field with a
default may be missing (files written before it load it as its default), but
the keys the worker always sends (``_WIRE_KEYS``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import operator
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

from threadlab._errors import ResultsFileError
from threadlab.model._data import SCHEMA_VERSION, Point, Sample, TaskSpans
from threadlab.model._result import Measurement, NativePool, NativeThreads, Result, Summary
from threadlab.model._schema import FieldError, cut, found
from threadlab.worker._schema import NATIVE_FIELDS, NATIVE_POOL_FIELDS, SAMPLE_FIELDS, SPAN_FIELDS

T = TypeVar("T")

# What was measured, after the point's own fields in each entry of "points".
_MEASURED_KEYS = tuple(f.name for f in dataclasses.fields(Measurement) if f.name != "point")
# Written only where set (a file without one loads it as None): a warm pool's start-up, a
# sample's breakdown of waits (``worker._schema.SAMPLE_OPTIONAL_FIELDS``), an error's cause.
_OMITTED_WHEN_NONE = ("startup_s", "waits", "cause")
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
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))
        return {
            name: plain(value)
            for name, value in values
            if value is not None or name not in _OMITTED_WHEN_NONE
        }
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
    measured = plain(measurement)
    entry: dict[str, Any] = {**measured.pop("point"), **measured}
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

# The keys a file must hold for each object the worker sends, as the worker declares them
# (``threadlab.worker._schema``); every other class requires its fields without a default.
_WIRE_KEYS: dict[type, tuple[str, ...]] = {
    Sample: SAMPLE_FIELDS,
    TaskSpans: SPAN_FIELDS,
    NativeThreads: NATIVE_FIELDS,
    NativePool: NATIVE_POOL_FIELDS,
}

# How a field's JSON value becomes what its dataclass holds (a list a tuple, an object the
# field's dataclass); its checks are the dataclass's own (``_schema.check_fields``).
Prepare = Callable[[Any, str], Any]
_PREPARED: dict[type, dict[str, Prepare]] = {}


def _refuse(where: str, expected: str, value: Any) -> NoReturn:
    raise ResultsFileError(f"{where}: expected {expected}, found {found(value)}")


def _as_given(value: Any, where: str) -> Any:
    # A list becomes the tuple a field holds; a list where a field holds no tuple is refused
    # as one (``found`` words a tuple as a list).
    return tuple(value) if isinstance(value, list) else value


def _preparer(hint: Any) -> Prepare:
    """How to turn a JSON value into a value of type ``hint`` (checked when its object is built)."""
    args = typing.get_args(hint)
    if type(None) in args:  # X | None
        inner = _preparer(next(arg for arg in args if arg is not type(None)))
        return lambda value, where: None if value is None else inner(value, where)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value, where: _read(hint, value, where)
    if typing.get_origin(hint) is tuple and isinstance(args[0], type) and dataclasses.is_dataclass(args[0]):
        item = _preparer(args[0])
        return lambda value, where: tuple(
            item(element, f"{where}[{index}]") for index, element in enumerate(_list(value, where))
        )
    return _as_given


def _prepared(cls: type) -> dict[str, Prepare]:
    found_ = _PREPARED.get(cls)
    if found_ is None:
        hints = typing.get_type_hints(cls)
        found_ = _PREPARED[cls] = {f.name: _preparer(hints[f.name]) for f in dataclasses.fields(cls)}
    return found_


def _list(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        _refuse(where, "a list", data)
    return data


def _keys(data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """``data`` as a mapping with every required key and no unknown one."""
    if not isinstance(data, Mapping):
        _refuse(where, "an object", data)
    required = tuple(required)
    missing = [key for key in required if key not in data]
    if missing:
        raise ResultsFileError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    known = set(required) | set(optional)
    unknown = [cut(str(key), 40) for key in data if key not in known]
    if unknown:
        raise ResultsFileError(f"{where}: unknown {', '.join(repr(k) for k in sorted(unknown))}")
    return data


def _without_default(cls: type) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def _build(cls: Callable[..., T], values: Mapping[str, Any], where: str) -> T:
    """``cls(**values)``: its checks (``check_fields``, then what relates one field to another)
    refused in one line naming where."""
    try:
        return cls(**values)
    except FieldError as error:
        raise ResultsFileError(str(error.within(where))) from None
    except (TypeError, ValueError, OverflowError) as error:
        raise ResultsFileError(f"{where or 'results file'}: {error}") from None


def _values(cls: type, entry: Mapping[str, Any], where: str, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Each of ``cls``'s fields present in ``entry`` (but ``skip``), made what the field holds."""
    inside = f"{where}." if where else ""
    return {
        name: prepare(entry[name], inside + name)
        for name, prepare in _prepared(cls).items()
        if name in entry and name not in skip
    }


def _read(cls: type[T], data: Any, where: str, required: Iterable[str] | None = None) -> T:
    """A dataclass from an object holding its fields: its keys, then each value, checked."""
    if required is None:
        required = _WIRE_KEYS.get(cls) or _without_default(cls)
    entry = _keys(data, where, required, _prepared(cls))
    return _build(cls, _values(cls, entry, where), where)


def sample_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Sample:
    """One sample, from a worker's protocol event or a results file of ``version``.

    Raises:
        ResultsFileError: a key missing or unknown, or a value of the wrong
            type or out of range; the message names where.
    """
    # Schema 2 samples hold every key; schema 1 files were written over months in which
    # fields were added (gil_contention), so there only what a Sample cannot do without is.
    required = SAMPLE_FIELDS if version >= 2 else (*_without_default(Sample), "spans")
    return _read(Sample, data, where, required)


def _samples(data: Any, where: str, version: int) -> tuple[Sample, ...]:
    return tuple(sample_from_json(s, f"{where}[{i}]", version) for i, s in enumerate(_list(data, where)))


def native_from_json(data: Any, where: str) -> NativeThreads | None:
    """What a worker saw of native thread pools, from its "ready" event or a results file; None for null."""
    return None if data is None else _read(NativeThreads, data, where)


def measurement_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Measurement:
    """One entry of ``points`` back into a ``Measurement``: the point's fields flattened into it.

    Raises:
        ResultsFileError: as ``sample_from_json``.
    """
    entry = _keys(
        data,
        where,
        (*_without_default(Point), "status"),
        (*_prepared(Point), *_MEASURED_KEYS, *_DERIVED_POINT_KEYS),
    )
    return _build(
        Measurement,
        {
            **_values(Measurement, entry, where, skip=("point", "samples", "warmups")),
            "point": _build(Point, _values(Point, entry, where), where),
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
            f"schema_version {found(version)} is not one this threadlab reads "
            f"(1 to {SCHEMA_VERSION}); upgrade threadlab to read it"
        )
    since_2 = ("noise", "rounds") if version >= 2 else ()
    top = _keys(
        data,
        "results file",
        ("schema_version", "environment", "spec", "points", *since_2),
        ("interrupted", *_DERIVED_RESULT_KEYS),
    )
    measurements = tuple(
        measurement_from_json(p, f"points[{i}]", version)
        for i, p in enumerate(_list(top["points"], "points"))
    )
    return _build(Result, {**_values(Result, top, ""), "measurements": measurements}, "")


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
