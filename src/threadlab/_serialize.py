"""The results file: ``Result`` to JSON and back, with schema versioning.

Writing adds each point's ``summary`` (derived, for people who script against
the file); reading ignores it and derives it again from the samples, so a
summary can never disagree with the samples it came from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from threadlab._errors import ResultsFileError
from threadlab._model import (
    SCHEMA_VERSION,
    Environment,
    Interpreter,
    Measurement,
    Point,
    PointError,
    Result,
    Sample,
    Spec,
    TaskSpans,
)

T = TypeVar("T")


def plain(obj: Any) -> Any:
    """Dataclasses to dicts, tuples to lists, mappings to dicts."""
    if isinstance(obj, TaskSpans):
        # Columns of plain numbers, strings and bools: copied as lists, not walked
        # value by value (100,000 tasks make 600,000 values per sample).
        return {f.name: list(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(key): plain(value) for key, value in obj.items()}
    return obj


def measurement_to_json(measurement: Measurement, baseline: Measurement | None) -> dict[str, Any]:
    """One entry of ``points``: the point's fields, flattened, then its data."""
    point = measurement.point
    return {
        "workload": point.workload,
        "strategy": point.strategy,
        "workers": point.workers,
        "tasks": point.tasks,
        "params": dict(point.params),
        "strategy_params": dict(point.strategy_params),
        "python": point.python,
        "repeat": point.repeat,
        "warmup": point.warmup,
        "gil": point.gil,
        "interpreter": plain(measurement.interpreter),
        "status": measurement.status,
        "elapsed_s": measurement.elapsed_s,
        "summary": plain(measurement.summary(baseline)),
        "samples": plain(measurement.samples),
        "warmups": plain(measurement.warmups),
        "errors": plain(measurement.errors),
    }


def result_to_json(result: Result) -> dict[str, Any]:
    """The whole results file as plain JSON types, its analysis included.

    ``analysis`` (statistics, scaling, classification, recommendation) is
    derived from the points; it is written for scripts that read the file and
    computed again, not read, when threadlab loads it.
    """
    from threadlab.analysis import analyse

    return {
        "schema_version": SCHEMA_VERSION,
        "environment": plain(result.environment),
        "spec": plain(result.spec),
        "interrupted": result.interrupted,
        "points": [measurement_to_json(m, result.baseline_of(m)) for m in result.measurements],
        "analysis": analyse(result).to_json(),
    }


def _build(cls: Callable[..., T], data: Any, where: str, **converted: Any) -> T:
    """``cls(**data)`` keeping only known fields, with a precise error on failure."""
    if not isinstance(data, Mapping):
        raise ResultsFileError(f"{where}: expected an object, found {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]  # cls is a dataclass
    values = {key: value for key, value in data.items() if key in names}
    values.update(converted)
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ResultsFileError(f"{where}: {error}") from None


def _tuple(data: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(data, list):
        raise ResultsFileError(f"{where}: expected a list, found {type(data).__name__}")
    return tuple(data)


def sample_from_json(data: Any, where: str) -> Sample:
    """One sample (from the file, or from a worker's protocol event)."""
    spans_data = data.get("spans", {}) if isinstance(data, Mapping) else {}
    spans = _build(
        TaskSpans,
        spans_data,
        where + ".spans",
        **{key: _tuple(value, f"{where}.spans.{key}") for key, value in spans_data.items()},
    )
    return _build(Sample, data, where, spans=spans)


def _samples(data: Any, where: str) -> tuple[Sample, ...]:
    return tuple(sample_from_json(s, f"{where}[{i}]") for i, s in enumerate(_tuple(data, where)))


def measurement_from_json(data: Any, where: str) -> Measurement:
    """One entry of ``points`` back into a ``Measurement``."""
    if not isinstance(data, Mapping):
        raise ResultsFileError(f"{where}: expected an object")
    point = _build(Point, data, where)
    interpreter = data.get("interpreter")
    return _build(
        Measurement,
        data,
        where,
        point=point,
        interpreter=None if interpreter is None else _build(Interpreter, interpreter, where),
        samples=_samples(data.get("samples", []), where + ".samples"),
        warmups=_samples(data.get("warmups", []), where + ".warmups"),
        errors=tuple(
            _build(PointError, e, f"{where}.errors[{i}]")
            for i, e in enumerate(_tuple(data.get("errors", []), where + ".errors"))
        ),
    )


def result_from_json(data: Mapping[str, Any]) -> Result:
    """Rebuild a ``Result`` from a results file's content.

    Raises:
        ResultsFileError: not a results file, or one from a newer threadlab.
    """
    if not isinstance(data, Mapping) or "schema_version" not in data:
        raise ResultsFileError("not a threadlab results file (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or version < 1 or version > SCHEMA_VERSION:
        raise ResultsFileError(
            f"schema_version {version!r} is not one this threadlab reads "
            f"(1 to {SCHEMA_VERSION}); upgrade threadlab to read it"
        )
    spec_data = data.get("spec", {})
    spec = _build(
        Spec,
        spec_data,
        "spec",
        **{
            key: _tuple(spec_data.get(key, []), f"spec.{key}")
            for key in ("workloads", "strategies", "workers", "pythons")
        },
    )
    return Result(
        spec=spec,
        environment=_build(Environment, data.get("environment"), "environment"),
        measurements=tuple(
            measurement_from_json(p, f"points[{i}]")
            for i, p in enumerate(_tuple(data.get("points", []), "points"))
        ),
        interrupted=bool(data.get("interrupted", False)),
    )
