"""What every lesson shares: a finding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """One lesson's conclusion, in plain words with the measured numbers.

    Attributes:
        title: what was measured, e.g. ``Two sleeps on two threads``.
        text: what it showed, citing the numbers measured here.
    """

    title: str
    text: str
