"""The results file: the model to JSON and back, for every schema version read.

One format for the wire and the disk, as pyperf keeps it: a sample is the
same object in a worker's protocol event and in a results file, its keys
declared once in ``threadlab.worker._schema``.

Writing takes what was measured, and the derived figures (each point's
``summary``, the run's ``analysis``) only where the caller passes them in:
this module computes nothing. Reading ignores the derived blocks and refuses
an object with a key missing or unknown, naming where it is.

Schema history (``SCHEMA_VERSION`` in ``_data``): version 1 files have no
rounds, start times, noise or precision; they load with those absent.
A point without ``shares_one_gil`` (every version-1 file) loads it as None,
and one without ``native`` (files written before it was recorded) too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from threadlab._errors import ResultsFileError
from threadlab.model._data import SCHEMA_VERSION, Interpreter, Point, PointError, Sample, TaskSpans
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
from threadlab.worker._schema import (
    NATIVE_FIELDS,
    NATIVE_POOL_FIELDS,
    SAMPLE_FIELDS,
    SPAN_FIELDS,
    SPAN_OPTIONAL_FIELDS,
)

T = TypeVar("T")

# The point's own fields, flattened into each entry of "points", then what was measured.
_POINT_KEYS = tuple(f.name for f in dataclasses.fields(Point))
_MEASURED_KEYS = (
    "interpreter",
    "status",
    "elapsed_s",
    "shares_one_gil",
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
        native=plain(measurement.native),
        samples=plain(measurement.samples),
        warmups=plain(measurement.warmups),
        errors=plain(measurement.errors),
    )
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


def _keys(data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """``data`` as a mapping with every required key and no unknown one."""
    if not isinstance(data, Mapping):
        raise ResultsFileError(f"{where}: expected an object, found {type(data).__name__}")
    required = tuple(required)
    missing = [key for key in required if key not in data]
    if missing:
        raise ResultsFileError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    known = set(required) | set(optional)
    unknown = [str(key) for key in data if key not in known]
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


def _build(cls: Callable[..., T], data: Mapping[str, Any], where: str, **converted: Any) -> T:
    """``cls(**data)`` with a precise error on failure."""
    values = {**data, **converted}
    try:
        return cls(**values)
    except (TypeError, ValueError, OverflowError) as error:
        raise ResultsFileError(f"{where}: {error}") from None


def _object(cls: Any, data: Any, where: str, **converted: Any) -> Any:
    """A dataclass from an object holding its fields: those without a default required."""
    required, optional = _fields(cls)
    return _build(cls, _keys(data, where, required, optional), where, **converted)


def _tuple(data: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(data, list):
        raise ResultsFileError(f"{where}: expected a list, found {type(data).__name__}")
    return tuple(data)


def sample_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Sample:
    """One sample, from a worker's protocol event or a results file of ``version``."""
    # Schema 2 samples hold every key; schema 1 files were written over months in which
    # fields were added (gil_contention), so there only what a Sample cannot do without is.
    required = SAMPLE_FIELDS if version >= 2 else (*_fields(Sample)[0], "spans")
    sample = _keys(data, where, required, SAMPLE_FIELDS)
    columns = _keys(sample["spans"], where + ".spans", SPAN_FIELDS, SPAN_OPTIONAL_FIELDS)
    spans = _build(
        TaskSpans,
        {},
        where + ".spans",
        **{key: _tuple(value, f"{where}.spans.{key}") for key, value in columns.items()},
    )
    return _build(Sample, sample, where, spans=spans)


def _samples(data: Any, where: str, version: int) -> tuple[Sample, ...]:
    return tuple(sample_from_json(s, f"{where}[{i}]", version) for i, s in enumerate(_tuple(data, where)))


def native_from_json(data: Any, where: str) -> NativeThreads | None:
    """What a worker saw of native thread pools, from its "ready" event or a results file; None for null."""
    if data is None:
        return None
    native = _keys(data, where, NATIVE_FIELDS)
    variables = native["variables"]
    if not isinstance(variables, Mapping):
        raise ResultsFileError(f"{where}.variables: expected an object, found {type(variables).__name__}")
    pools = None
    if native["pools"] is not None:
        pools = tuple(
            _build(NativePool, _keys(p, f"{where}.pools[{i}]", NATIVE_POOL_FIELDS), f"{where}.pools[{i}]")
            for i, p in enumerate(_tuple(native["pools"], where + ".pools"))
        )
    return _build(NativeThreads, {}, where, pools=pools, variables=dict(variables))


def measurement_from_json(data: Any, where: str, version: int = SCHEMA_VERSION) -> Measurement:
    """One entry of ``points`` back into a ``Measurement``."""
    point_required, point_optional = _fields(Point)
    entry = _keys(
        data,
        where,
        (*point_required, "status"),
        (*point_optional, *_MEASURED_KEYS, *_DERIVED_POINT_KEYS),
    )
    point = _build(Point, {k: entry[k] for k in _POINT_KEYS if k in entry}, where)
    interpreter = entry.get("interpreter")
    errors = _tuple(entry.get("errors", []), where + ".errors")
    return _build(
        Measurement,
        {k: entry[k] for k in ("status", "elapsed_s", "shares_one_gil") if k in entry},
        where,
        point=point,
        interpreter=None
        if interpreter is None
        else _object(Interpreter, interpreter, where + ".interpreter"),
        native=native_from_json(entry.get("native"), where + ".native"),
        samples=_samples(entry.get("samples", []), where + ".samples", version),
        warmups=_samples(entry.get("warmups", []), where + ".warmups", version),
        errors=tuple(_object(PointError, e, f"{where}.errors[{i}]") for i, e in enumerate(errors)),
    )


def _noise(data: Any) -> MachineNoise | None:
    if data is None:
        return None
    required, optional = _fields(MachineNoise)
    fields = _keys(data, "noise", required, optional)
    mhz = fields.get("cpu_mhz")
    return _build(
        MachineNoise,
        fields,
        "noise",
        capacity_cores=_tuple(fields.get("capacity_cores", []), "noise.capacity_cores"),
        calibration_cpu_s=_tuple(fields.get("calibration_cpu_s", []), "noise.calibration_cpu_s"),
        cpu_mhz=None if mhz is None else _tuple(mhz, "noise.cpu_mhz"),
    )


def _rounds(data: Any) -> tuple[Rounds, ...]:
    found = []
    for i, item in enumerate(_tuple(data, "rounds")):
        where = f"rounds[{i}]"
        required, optional = _fields(Rounds)
        fields = _keys(item, where, required, optional)
        found.append(_build(Rounds, fields, where, points=_tuple(fields["points"], where + ".points")))
    return tuple(found)


def _spec(data: Any, where: str, nested: bool = False) -> Spec:
    required, optional = _fields(Spec)
    fields = _keys(data, where, required, optional)
    converted: dict[str, Any] = {
        key: _tuple(fields[key], f"{where}.{key}")
        for key in ("workloads", "strategies", "workers", "pythons")
        if key in fields
    }
    if "parts" in fields:
        parts = _tuple(fields["parts"], f"{where}.parts")
        if nested and parts:
            raise ResultsFileError(f"{where}.parts: a spec's parts have no parts of their own")
        converted["parts"] = tuple(_spec(part, f"{where}.parts[{i}]", True) for i, part in enumerate(parts))
    return _build(Spec, fields, where, **converted)


def result_from_json(data: Any) -> Result:
    """Rebuild a ``Result`` from a results file's content.

    Raises:
        ResultsFileError: not a results file, one from a newer threadlab, or
            an object in it with a key missing, unknown or out of range.
    """
    if not isinstance(data, Mapping) or "schema_version" not in data:
        raise ResultsFileError("not a threadlab results file (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SCHEMA_VERSION:
        raise ResultsFileError(
            f"schema_version {version!r} is not one this threadlab reads "
            f"(1 to {SCHEMA_VERSION}); upgrade threadlab to read it"
        )
    since_2 = ("noise", "rounds") if version >= 2 else ()
    top = _keys(
        data,
        "results file",
        ("schema_version", "environment", "spec", "points", *since_2),
        ("interrupted", *_DERIVED_RESULT_KEYS),
    )
    spec = _spec(top["spec"], "spec")
    measurements = tuple(
        measurement_from_json(p, f"points[{i}]", version)
        for i, p in enumerate(_tuple(top["points"], "points"))
    )
    return _build(
        Result,
        {},
        "results file",
        spec=spec,
        environment=_object(Environment, top["environment"], "environment"),
        measurements=measurements,
        interrupted=bool(top.get("interrupted", False)),
        noise=_noise(top.get("noise")),
        rounds=_rounds(top.get("rounds", [])),
    )
