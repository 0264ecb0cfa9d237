"""What every lesson shares: a finding, and how it finds and words its figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadlab._units import speedup
from threadlab.analysis import Speedup, gain
from threadlab.model import Measurement, Point, Summary

Summaries = Sequence[tuple[Measurement, Summary | None]]
Found = tuple[Measurement, Summary]  # a point a finding cites, with its summary


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


def first(summaries: Summaries, matches: Callable[[Point], bool]) -> Found | None:
    """The first point that ``matches`` and has a summary, with it; None where there is none."""
    return next(((m, s) for m, s in summaries if s is not None and matches(m.point)), None)


def speedup_words(summary: Summary, named: bool = True) -> str:
    """``1.82× (95% CI 1.74–1.90×)``, not named ``1.82× (1.74–1.90)``: the paired speedup, its interval."""
    return speedup(summary.speedup_vs_sequential, summary.speedup_vs_sequential_ci, named=named)


def gained(summary: Summary) -> bool | None:
    """The analysis's one gain rule (``analysis.gain``) on the paired speedup: True a gain,
    False none worth having, None the interval cannot tell."""
    return gain(Speedup.of(summary.speedup_vs_sequential or 0.0, summary.speedup_vs_sequential_ci))
