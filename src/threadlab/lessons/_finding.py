"""What every lesson shares: a finding, and the few words two lessons use alike."""

from __future__ import annotations

from dataclasses import dataclass

from threadlab.model import Measurement


@dataclass(frozen=True, slots=True)
class Finding:
    """One lesson's conclusion, in plain words with the measured numbers.

    Attributes:
        title: what was measured, e.g. ``Two sleeps on two threads``.
        text: what it showed, citing the numbers measured here.
    """

    title: str
    text: str


def without_gil(measurement: Measurement) -> bool:
    """Whether the point ran on a free-threaded build with its GIL off."""
    interpreter = measurement.interpreter
    return interpreter is not None and interpreter.free_threaded and not interpreter.gil_enabled
