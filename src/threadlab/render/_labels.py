"""How every renderer names a point and its interpreter, so that plots, tables and reports agree."""

from __future__ import annotations

from threadlab._model import Measurement


def point_name(measurement: Measurement) -> str:
    """``count · threads ×2 (4 tasks)``: the workload, strategy and workers, and tasks where T ≠ W."""
    point = measurement.point
    label = f"{point.workload_label()} · {point.strategy} ×{point.workers}"
    if point.tasks != point.workers:
        label += f" ({point.tasks} tasks)"
    return label


def python_label(measurement: Measurement) -> str:
    """``3.13.0t``: the interpreter as the worker reported it, else the executable asked for."""
    return measurement.interpreter.label() if measurement.interpreter else measurement.point.python
