"""What every lesson shares: a finding."""

from __future__ import annotations

from dataclasses import dataclass

from threadlab.model import Measurement, Point


@dataclass(frozen=True, slots=True)
class Finding:
    """One lesson's conclusion, in plain words with the measured numbers.

    Attributes:
        title: what was measured, e.g. ``Two sleeps on two threads``.
        text: what it showed, citing the numbers measured here.
        points: the points it cites, in the order it cites them: the report
            draws them beside its words.
    """

    title: str
    text: str
    points: tuple[Point, ...] = ()


def cited(*found: tuple[Measurement, object] | None) -> tuple[Point, ...]:
    """The points a finding cites: each found ``(measurement, summary)``'s, those not found left out."""
    return tuple(pair[0].point for pair in found if pair is not None)
