"""The run loop every command shares: measure points one by one, saving as it goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from threadlab._model import Environment, Measurement, Point, Result, Spec
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._runner import OnSample, PointInterrupted, environment_info, measure_point
from threadlab.orchestrate._store import check_writable, save_result

OnPoint = Callable[[int, int, Point], None]
OnMeasured = Callable[[Measurement], None]
StopBefore = Callable[[int, Point], "str | None"]


def execute(
    spec: Spec,
    *,
    out: Path | None = None,
    on_point: OnPoint | None = None,
    on_sample: OnSample | None = None,
    on_measured: OnMeasured | None = None,
    points: Sequence[Point] | None = None,
    stop_before: StopBefore | None = None,
    stopped: list[str] | None = None,
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
        stop_before: called before each point; a reason it returns ends the
            run there (e.g. a time budget), and is appended to ``stopped``.
        stopped: receives the reason the run ended early, if any.

    Raises:
        SpecError: the spec is refused (before any work starts).
    """
    todo = tuple(points) if points is not None else plan(spec)
    if out is not None:
        check_writable(out)
    environment = Environment(**environment_info())
    measured: list[Measurement] = []
    interrupted = False
    stopped = stopped if stopped is not None else []
    try:
        for index, point in enumerate(todo):
            if stop_before is not None:
                reason = stop_before(index, point)
                if reason is not None:
                    stopped.append(reason)
                    break
            if on_point is not None:
                on_point(index, len(todo), point)
            try:
                measurement = measure_point(
                    point,
                    repeat=point.repeat,
                    warmup=point.warmup,
                    timeout_s=spec.timeout_s,
                    on_sample=on_sample,
                )
            except PointInterrupted as stop:
                measurement = stop.measurement
                interrupted = True
            measured.append(measurement)
            if on_measured is not None:
                on_measured(measurement)
            if out is not None:
                save_result(Result(spec, environment, tuple(measured), interrupted), out)
            if interrupted:
                break
    except KeyboardInterrupt:  # between points (or while saving): what was measured stays
        interrupted = True
        if out is not None:
            save_result(Result(spec, environment, tuple(measured), interrupted), out)
    return Result(spec, environment, tuple(measured), interrupted)
