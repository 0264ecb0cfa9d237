"""Where a point's worker threads spent their time, over all its samples: data, no words.

::

    Sample.waits (thread-seconds per category, top lines)  × every timed sample of a point
        │  summed: seconds per category; each line's share × its sample's thread-seconds
        ▼
    PointWaits: shares per category, the dominant wait, its top line(s)

The lead's verdicts, tables and lessons read ``PointWaits``; render/ words it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from threadlab.model import WAIT_CATEGORIES, Measurement, Sample, WaitLine

# The categories that are waits; on CPU and runnable (the machine held the core) are not.
WAITING: tuple[str, ...] = ("gil", "lock", "sleep", "io", "other")
# A point's dominant wait is named only where it holds at least this share of the thread
# time: sha256 of 4 MB on two threads waited 0-1% here, below any reading of it as a wait.
MIN_DOMINANT_SHARE = 0.10
# Waits that serialise the threads (one at a time holds the GIL or the lock) against waits
# that overlap (sleeps, I/O). W threads queueing on a lock around a sleep spend (W-1)/W of
# their time on the lock and 1/W sleeping: at W=2 a tie, read as lock 45% and sleep 53%
# (3.11, threads x2, a loaded 2-core machine). The lock is what keeps the sleeps from
# overlapping, so a serialising wait is named over a larger overlapping one it holds this
# share of.
SERIALISING: tuple[str, ...] = ("gil", "lock")
SERIALISING_PREFERRED_AT = 0.8
# The top lines kept per category over a point.
TOP_LINES = 3


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """One category's share of a point's thread time.

    Attributes:
        category: one of ``WAIT_CATEGORIES``.
        share: its thread-seconds over all thread-seconds (0 to 1).
        seconds: its thread-seconds, summed over the point's samples.
    """

    category: str
    share: float
    seconds: float


@dataclass(frozen=True, slots=True)
class PointWaits:
    """Where a point's worker threads spent their time.

    Attributes:
        shares: one per category, in ``WAIT_CATEGORIES`` order.
        dominant: the largest waiting category (``WAITING``), or the GIL or
            a lock where it holds ``SERIALISING_PREFERRED_AT`` of that, where it
            holds ``MIN_DOMINANT_SHARE`` or more; else None (they computed).
        lines: the top lines per category (shares of the point's thread
            time), in category order, the largest first.
        samples: how many samples had a breakdown.
        observations: the reads of thread states the figures rest on.
        notes: why a sample's breakdown was missing or partial, each once.
    """

    shares: tuple[CategoryShare, ...]
    dominant: str | None
    lines: tuple[WaitLine, ...]
    samples: int
    observations: int
    notes: tuple[str, ...] = ()

    def share(self, category: str) -> float:
        """The share of ``category`` (0 where nothing was seen)."""
        for entry in self.shares:
            if entry.category == category:
                return entry.share
        raise ValueError(f"category must be one of {', '.join(WAIT_CATEGORIES)}, not {category!r}")

    def top_line(self, category: str) -> WaitLine | None:
        """The line holding the most of ``category``, None where none was found."""
        return next((line for line in self.lines if line.category == category), None)


def point_waits(samples: Iterable[Sample]) -> PointWaits | None:
    """The breakdown of waits over a point's samples; None where none of them has one."""
    measured = [sample.waits for sample in samples if sample.waits is not None]
    if not measured:
        return None
    seconds = {category: 0.0 for category in WAIT_CATEGORIES}
    per_line: dict[tuple[str, str, int, str, str | None], float] = {}
    for waits in measured:
        total = waits.total_s
        for category in WAIT_CATEGORIES:
            seconds[category] += waits.seconds(category)
        for line in waits.lines:
            key = (line.category, line.file, line.line, line.function, line.library)
            per_line[key] = per_line.get(key, 0.0) + line.share * total
    grand = sum(seconds.values())

    def share(value: float) -> float:
        return min(1.0, value / grand) if grand > 0 else 0.0

    shares = tuple(CategoryShare(c, share(seconds[c]), seconds[c]) for c in WAIT_CATEGORIES)
    waiting = max(WAITING, key=lambda category: seconds[category])
    serial = max(SERIALISING, key=lambda category: seconds[category])
    if seconds[serial] >= SERIALISING_PREFERRED_AT * seconds[waiting]:
        waiting = serial
    dominant = waiting if grand > 0 and share(seconds[waiting]) >= MIN_DOMINANT_SHARE else None
    lines: list[WaitLine] = []
    for category in WAIT_CATEGORIES:
        ranked = sorted(
            ((s, k) for k, s in per_line.items() if k[0] == category), key=lambda x: (-x[0], x[1][1], x[1][2])
        )
        lines.extend(
            WaitLine(c, share(s), path, number, function, library)
            for s, (c, path, number, function, library) in ranked[:TOP_LINES]
        )
    return PointWaits(
        shares=shares,
        dominant=dominant,
        lines=tuple(lines),
        samples=len(measured),
        observations=sum(waits.observations for waits in measured),
        notes=tuple(dict.fromkeys(waits.note for waits in measured if waits.note)),
    )


def observed_waits(measurement: Measurement) -> PointWaits | None:
    """A point's breakdown of waits where its threads were read; None where they were not.

    A breakdown asked for and not read (not Linux, /proc unreadable) holds no
    observations, only notes: the verdicts, the check and the plots say nothing
    of it, as of one not asked for (``--no-waits``).
    """
    waits = point_waits(measurement.samples)
    return waits if waits is not None and waits.observations else None
