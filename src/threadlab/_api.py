"""The Python API: ``threadlab.run(...)`` and the run loop the CLI shares."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from threadlab._model import Environment, Measurement, Point, Result, Spec
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._runner import (
    OnSample,
    PointInterrupted,
    environment_info,
    measure_point,
)
from threadlab.orchestrate._store import check_writable, save_result
from threadlab.worker._params import ParamValue

OnPoint = Callable[[int, int, Point], None]
OnMeasured = Callable[[Measurement], None]


def execute(
    spec: Spec,
    *,
    out: Path | None = None,
    on_point: OnPoint | None = None,
    on_sample: OnSample | None = None,
    on_measured: OnMeasured | None = None,
    points: Sequence[Point] | None = None,
) -> Result:
    """Measure every point of ``spec``, saving the results file after each one.

    Ctrl-C ends the current point's worker and returns what was measured so
    far, with ``interrupted=True``; the file holds it all.

    Args:
        spec: what to measure.
        out: results file, rewritten atomically after every point.
        on_point: called with (index, total, point) before a point starts.
        on_sample: called after each sample or warm-up arrives.
        on_measured: called with each finished measurement.
        points: the already-planned points of ``spec`` (planned here if None).

    Raises:
        SpecError: the spec is refused (before any work starts).
    """
    todo = tuple(points) if points is not None else plan(spec)
    if out is not None:
        check_writable(out)
    environment = Environment(**environment_info())
    measured: list[Measurement] = []
    interrupted = False
    for index, point in enumerate(todo):
        if on_point is not None:
            on_point(index, len(todo), point)
        try:
            measurement = measure_point(
                point,
                repeat=spec.repeat,
                warmup=spec.warmup,
                timeout_s=spec.timeout_s,
                on_sample=on_sample,
            )
        except PointInterrupted as stop:
            measurement = stop.measurement
            interrupted = True
        measured.append(measurement)
        if on_measured is not None:
            on_measured(measurement)
        result = Result(spec, environment, tuple(measured), interrupted)
        if out is not None:
            save_result(result, out)
        if interrupted:
            return result
    return Result(spec, environment, tuple(measured), interrupted)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def run(
    workloads: str | Sequence[str],
    strategies: str | Sequence[str],
    workers: int | Sequence[int],
    *,
    tasks: int | None = None,
    repeat: int = 5,
    warmup: int = 1,
    params: Mapping[str, ParamValue] | None = None,
    timeout: float | None = 600.0,
    python: str | os.PathLike[str] | None = None,
    max_workers: int | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Result:
    """Measure workloads × strategies × worker counts; return the result.

    Each point runs in a fresh worker process, with ``warmup`` discarded runs
    and ``repeat`` timed samples.

    Args:
        workloads: workload name(s), e.g. ``"count"`` or ``["sleep", "hash"]``.
        strategies: strategy name(s), e.g. ``["sequential", "threads"]``.
        workers: worker count(s) to sweep.
        tasks: total tasks per point; None gives each worker one task.
        repeat: timed samples per point.
        warmup: discarded runs before them.
        params: workload and strategy parameters, e.g. ``{"duration": 0.2}``.
        timeout: seconds after which a point is killed and recorded as timed out.
        python: the Python executable workers run under (default: this one).
        max_workers: raise the strategies' safe worker limit to this.
        out: also write the results file here.

    Returns:
        The result; ``result.interrupted`` is True if Ctrl-C cut it short.

    Raises:
        SpecError: an unknown name, a bad value, an unsupported pair.

    Example:
        >>> result = threadlab.run("sleep", ["sequential", "threads"], [1, 2],
        ...                        params={"duration": 0.1}, repeat=3)
        >>> [round(s.speedup_vs_sequential, 1) for _, s in result.summaries() if s]
        [1.0, 1.0, 1.0, 2.0]
    """
    from threadlab._errors import SpecError

    counts = (workers,) if isinstance(workers, int) else tuple(workers)
    try:
        spec = Spec(
            workloads=_names(workloads),
            strategies=_names(strategies),
            workers=tuple(sorted(set(counts))),
            tasks=tasks,
            repeat=repeat,
            warmup=warmup,
            params=dict(params or {}),
            timeout_s=timeout,
            python=os.fspath(python) if python is not None else sys.executable,
            max_workers=max_workers,
        )
    except ValueError as error:
        raise SpecError("run()", str(error)) from None
    return execute(spec, out=Path(out) if out is not None else None)
