"""How every renderer names a point and its interpreter, so that plots, tables and reports agree."""

from __future__ import annotations

from threadlab._model import Measurement


def point_name(measurement: Measurement, *, workload: bool = True, python: bool = False) -> str:
    """``count · threads ×2 (4 tasks)``: the workload, strategy and workers, and tasks where T ≠ W.

    Args:
        measurement: the point to name.
        workload: start with the workload (tables grouped by workload leave it out).
        python: end with the interpreter, ``[3.13.0]`` (when a result has several).
    """
    point = measurement.point
    label = f"{point.strategy} ×{point.workers}"
    if workload:
        label = f"{point.workload_label()} · {label}"
    if point.tasks != point.workers:
        label += f" ({point.tasks} tasks)"
    if python and measurement.interpreter is not None:
        label += f" [{measurement.interpreter.label()}]"
    return label


def python_label(measurement: Measurement) -> str:
    """``3.13.0t``: the interpreter as the worker reported it, else the executable asked for."""
    return measurement.interpreter.label() if measurement.interpreter else measurement.point.python
