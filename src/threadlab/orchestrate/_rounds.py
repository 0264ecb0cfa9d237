"""Interleaved rounds: the points compared with each other, measured side by side.

::

    group: every strategy, worker count and Python of one workload and its parameters
      │  start one fresh worker per point; each does its warm-ups, then idles
      ▼
    round 0:  A B C D      one sample of every point, in an order
    round 1:  B C D A      that rotates from round to round, so that a slow
    round 2:  C D A B      phase of the machine falls on every point alike
      ...                  (the calibration loop is timed between rounds)
      │  after each round: every point's speedup interval from the per-round
      │  ratios against the sequential sample of the same round
      ▼
    stop when every interval is as tight as asked (after at least `repeat`
    rounds and a span that covers several of the machine's phases), or when
    the group's time is spent, or when no point is left running

Why a minimum span: on our 2-core VM the CPU speed changes in phases of a
few seconds. Runs that stopped after 6 to 9 rounds (5-8 s) reached ±5% but
gave intervals that excluded each other ([1.88, 1.97] against [1.64, 1.77]):
each had seen one phase. Runs of 30 s agreed (shared/DESIGN.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadlab.analysis import baselines, describe, relative_half_width, speedup
from threadlab.model import Measurement, Point, Rounds, RoundsEnd
from threadlab.orchestrate._runner import OnSample, WorkerSession

# The precision rule may end a group's rounds only after this long (or half its time, if less)...
MIN_SPAN_S = 20.0
# ...and after this many rounds: the fewest for which order statistics give a 95% interval.
MIN_PAIRED_ROUNDS = 6


OnStart = Callable[[Point], None]


def rotation(count: int, round_number: int) -> tuple[int, ...]:
    """The order in which round ``round_number`` samples a group's ``count`` points.

    Round r starts with point r mod count and goes on in turn, so over any
    ``count`` consecutive rounds every point takes every place once.
    """
    return tuple((round_number + i) % count for i in range(count))


def group_points(points: Sequence[Point]) -> list[list[Point]]:
    """The points split into groups measured together, in the order they come."""
    groups: dict[tuple[object, ...], list[Point]] = {}
    for point in points:
        groups.setdefault(point.rounds_key(), []).append(point)
    return list(groups.values())


def half_widths(measurements: Sequence[Measurement], judged: Sequence[bool] | None = None) -> list[float]:
    """The relative half-width of each point's interval: the speedup's where it has a baseline.

    A point with a sequential baseline in the group is judged by the 95%
    interval of its paired speedup; a point without one (a group with no
    sequential point), by the interval of its throughput. A sequential point
    is its own baseline, with nothing to judge, unless the group holds
    nothing else: then its throughput is judged. Points without samples,
    and those ``judged`` marks False (a point whose worker has ended: no
    more rounds can tighten it), are left out.
    """
    found = []
    # Groups (Point.group_key) that hold a point other than sequential ones.
    mixed = {m.point.group_key() for m in measurements if m.point.strategy != "sequential"}
    every = baselines(measurements)
    for index, (measurement, baseline) in enumerate(zip(measurements, every, strict=True)):
        if not measurement.samples or (judged is not None and not judged[index]):
            continue
        if baseline is measurement and measurement.point.group_key() not in mixed:
            baseline = None
        elif baseline is measurement:
            continue
        if baseline is None:
            stats = describe([s.throughput for s in measurement.samples])
            found.append(relative_half_width(stats.median, (stats.ci_low, stats.ci_high)))
            continue
        paired = speedup(measurement, baseline)
        found.append(float("inf") if paired is None else relative_half_width(paired[0], paired[1]))
    return found


def stop_reason(
    *,
    rounds: int,
    elapsed_s: float,
    time_s: float,
    min_rounds: int,
    precision: float,
    widths: Sequence[float],
) -> RoundsEnd | None:
    """Why a group's rounds end after ``rounds`` rounds, or None to go on.

    Never before ``min_rounds``. Then ``time`` once ``time_s`` is spent;
    ``precise`` once every interval is within ``precision`` — but only after
    ``MIN_PAIRED_ROUNDS`` rounds and a span of ``MIN_SPAN_S`` (or half the
    group's time, if less), so that the intervals have seen more than one
    phase of the machine.
    """
    if rounds < min_rounds:
        return None
    if elapsed_s >= time_s:
        return "time"
    span = min(MIN_SPAN_S, time_s / 2)
    settled = rounds >= MIN_PAIRED_ROUNDS and elapsed_s >= span
    if settled and widths and max(widths) <= precision:
        return "precise"
    return None


def _retire(sessions: Sequence[WorkerSession], measurements: Sequence[Measurement], below: float) -> None:
    """Close the sessions of points clearly slower than their baseline (interval wholly below ``below``)."""
    every = baselines(measurements)
    for session, measurement, baseline in zip(sessions, measurements, every, strict=True):
        if not session.alive or measurement.point.strategy == "sequential":
            continue
        paired = None if baseline is None else speedup(measurement, baseline)
        if paired is not None and paired[2] >= MIN_PAIRED_ROUNDS and paired[1][1] < below:
            session.close()


@dataclass
class GroupOutcome:
    """What measuring one group gave: its measurements, how its rounds went, and whether Ctrl-C cut it."""

    measurements: list[Measurement]
    rounds: Rounds
    interrupted: bool


def measure_group(
    points: Sequence[Point],
    *,
    first_index: int,
    time_s: float,
    precision: float,
    min_rounds: int,
    timeout_s: float | None,
    between_rounds: Callable[[], None] | None = None,
    on_start: OnStart | None = None,
    on_sample: OnSample | None = None,
    on_round: Callable[[int, float, float | None], None] | None = None,
    on_measured: Callable[[list[Measurement]], None] | None = None,
    retire_below: float | None = None,
    deadline: float | None = None,
    waits: bool = True,
) -> GroupOutcome:
    """Measure one group of points in interleaved rounds until precise enough or out of time.

    Args:
        points: the group's points (one ``Point.rounds_key``).
        first_index: where the group's points will stand in ``Result.measurements``.
        time_s: seconds of rounds the group may take (worker start-up and
            warm-ups not counted).
        precision: the relative half-width every interval should reach.
        min_rounds: the fewest rounds, whatever the precision or the time.
        timeout_s: a worker step (start with warm-ups, one sample) still
            running after this long is killed and its point recorded as timed out.
        between_rounds: called after every round (the noise monitor's calibration).
        on_start: called as each point's worker starts.
        on_sample: called with every sample and warm-up as it arrives.
        on_round: called after every round with (rounds done, elapsed, widest half-width).
        on_measured: called after every round with the group's measurements so
            far (to save them: a crash or Ctrl-C loses nothing).
        retire_below: where given, a point whose speedup interval lies wholly
            below this after ``MIN_PAIRED_ROUNDS`` paired rounds takes no more
            samples: it is clearly slower than sequential, and its rounds'
            time goes to the points still in contention (``advise``).
        deadline: the command's own end (``time.perf_counter()``; advise's
            budget): no worker step runs past it (``WorkerSession``), and no
            round starts that the last one says would overrun it, however few
            rounds were taken; the rounds then end as out of ``time``.
        waits: False leaves out the breakdown of where the threads' time went
            (``--no-waits``: the worker starts no sidecar).

    Returns:
        The measurements, in the order of ``points``, and their ``Rounds``.
    """
    sessions = [
        WorkerSession(point, timeout_s=timeout_s, on_sample=on_sample, deadline=deadline, waits=waits)
        for point in points
    ]
    interrupted = False
    ended: RoundsEnd = "failed"
    rounds = 0
    elapsed = 0.0
    widths: list[float] = []
    try:
        for session in sessions:
            if on_start is not None:
                on_start(session.point)
            session.start()
        started = time.perf_counter()
        last_round_s = 0.0
        while any(s.alive for s in sessions):
            round_started = time.perf_counter()
            if deadline is not None and rounds and round_started + last_round_s > deadline:
                ended = "time"  # the next round would overrun the command's deadline
                break
            for index in rotation(len(sessions), rounds):
                sessions[index].sample(rounds)
            rounds += 1
            last_round_s = time.perf_counter() - round_started
            elapsed = time.perf_counter() - started
            if between_rounds is not None:
                between_rounds()
            measurements = [s.measurement() for s in sessions]
            if retire_below is not None:
                _retire(sessions, measurements, retire_below)
            widths = half_widths(measurements, [s.alive for s in sessions])
            if on_measured is not None:
                on_measured(measurements)
            if on_round is not None:
                on_round(rounds, elapsed, max(widths) if widths else None)
            reason = stop_reason(
                rounds=rounds,
                elapsed_s=elapsed,
                time_s=time_s,
                min_rounds=min_rounds,
                precision=precision,
                widths=widths,
            )
            if reason is not None:
                ended = reason
                break
    except KeyboardInterrupt:
        interrupted = True
        ended = "interrupted"
        for session in sessions:
            session.interrupt()
    finally:
        for session in sessions:
            session.close()
    measurements = [s.measurement() for s in sessions]
    widths = half_widths(measurements)
    finite = [w for w in widths if w != float("inf")]
    return GroupOutcome(
        measurements,
        Rounds(
            points=tuple(range(first_index, first_index + len(points))),
            rounds=rounds,
            elapsed_s=elapsed,
            precision=precision,
            reached=max(finite) if finite and len(finite) == len(widths) else None,
            time_s=time_s,
            ended=ended,
        ),
        interrupted,
    )
