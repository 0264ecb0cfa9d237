"""Interleaved rounds: the points compared with each other, measured side by side.

::

    group: every strategy, worker count and Python of one workload and its parameters
      │  start one fresh worker per point; each does its warm-ups, then idles
      │  (under a memory budget, as many as fit: ``LiveBound`` closes the one
      │  whose turn comes furthest and starts a point's afresh in its turn)
      ▼
    round 0:  A B C D      one sample of every point, in an order
    round 1:  B C D A      that rotates from round to round, so that a slow
    round 2:  C D A B      phase of the machine falls on every point alike
      ...                  (the calibration loop is timed between rounds)
      │  after each round: every point's speedup interval from the per-round
      │  ratios against the sequential sample of the same round
      ▼
    stop when every interval is as tight as asked and the evidence says the
    machine's phases will not move it (`stop_reason`), or when the group's
    time is spent, or when no point is left running

Why a minimum span: on our 2-core VM the CPU speed changes in phases of a
few seconds. Runs that stopped after 6 to 9 rounds (5-8 s) reached ±5% but
gave intervals that excluded each other ([1.88, 1.97] against [1.64, 1.77]):
each had seen one phase. Runs of 30 s agreed (shared/DESIGN.md). The span
is only needed where phases can move the ratios: a point with nothing to
compare, and work that waits rather than computes, end without it; CPU work
whose earlier and later rounds agree ends after a shorter one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadlab.analysis import (
    baselines,
    cpu_per_wall,
    describe,
    drift,
    paired_blocks,
    relative_half_width,
    speedup,
)
from threadlab.model import Measurement, Point, Rounds, RoundsEnd
from threadlab.orchestrate._runner import OnSample, WorkerSession

# The precision rule may end a group's rounds only after this long (or half its time, if less)...
MIN_SPAN_S = 20.0
# ...and after this many rounds: the fewest for which order statistics give a 95% interval.
MIN_PAIRED_ROUNDS = 6
# Where the earlier and the later rounds agree, a span of 5 blocks of 2 s (analysis._summary)
# has seen more than one phase of a few seconds and found that they did not move the ratios.
AGREEING_SPAN_S = 10.0
# Work whose every point computes for less than this share of its wall time waits: a phase at
# half speed (0.042 s against 0.077 s for one call here) moves its time by under 2%, and a
# ratio less, as both sides wait alike (the seed's sleeps read CPU/wall below 0.01).
WAITING_CPU_SHARE = 0.02
# Waiting work whose intervals are this tight after this many rounds needs no more: three
# ratios within ±0.1% of each other (the seed's 1 s sleeps on 2 threads, round after round)
# leave nothing for more rounds to find at the default ±5%.
AGREE_CLOSELY = 0.001
FEWEST_AGREEING_ROUNDS = 3


OnStart = Callable[[Point], None]
# Makes a point's session: ``WorkerSession`` with the group's options; tests give synthetic ones.
SessionFactory = Callable[[Point], WorkerSession]


def next_turn(index: int, count: int, round_number: int, position: int) -> int:
    """How many turns after the start of round ``round_number`` point ``index`` is next sampled,
    once the point at ``position`` of that round's ``rotation`` has been."""
    here = (index - round_number) % count
    return here if here > position else count + (index - round_number - 1) % count


class LiveBound:
    """Which workers stay alive when a memory budget cannot hold one per point.

    Each point's footprint is its worker's resident memory (with its pool
    children) read right after it started; a point not started yet counts
    as the largest seen. Before a point whose worker is not alive starts
    one, the live workers sampled again latest (``next_turn``: the one
    whose turn comes furthest away) are closed until its footprint fits:
    with the rotation known in advance, that closes the fewest workers.
    """

    def __init__(self, budget: int | None) -> None:
        self.budget = budget
        self.footprints: dict[int, int] = {}
        self.most_live = 0
        self.bounded = False

    def _need(self, index: int) -> int:
        return self.footprints.get(index, max(self.footprints.values(), default=0))

    def fits(self, sessions: Sequence[WorkerSession], index: int) -> bool:
        """Whether point ``index``'s worker fits beside the live ones without closing any."""
        if self.budget is None:
            return True
        live = sum(self._need(i) for i, s in enumerate(sessions) if s.alive)
        return live + self._need(index) <= self.budget

    def make_room(
        self, sessions: Sequence[WorkerSession], index: int, round_number: int, position: int
    ) -> None:
        """Close live workers, furthest turn first, until point ``index``'s fits (or none is left)."""
        if self.budget is None:
            return
        live = [i for i, s in enumerate(sessions) if s.alive and i != index]
        held = sum(self._need(i) for i in live)
        # Sorted once, nearest turn first: with 500 live workers, a search per closing would
        # make every fresh start cost as much as all of them.
        live.sort(key=lambda i: next_turn(i, len(sessions), round_number, position))
        while live and held + self._need(index) > self.budget:
            victim = live.pop()
            held -= self._need(victim)
            self.bounded = True
            sessions[victim].park()

    def started(self, sessions: Sequence[WorkerSession], index: int) -> None:
        """Record point ``index``'s footprint, just after its worker started."""
        if self.budget is not None and sessions[index].alive:
            self.footprints[index] = sessions[index].rss()
        self.most_live = max(self.most_live, sum(1 for s in sessions if s.alive))


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
    points: int = 2,
    cpu_share: float | None = None,
    moved: float | None = None,
) -> RoundsEnd | None:
    """Why a group's rounds end after ``rounds`` rounds, or None to go on.

    Never before ``min_rounds``. Then ``time`` once ``time_s`` is spent, and
    ``precise`` once the evidence says the intervals will hold:

    - a group of one point (``points``) has nothing to compare: its
      ``min_rounds`` samples are all it needs;
    - waiting work (``cpu_share``, the group's highest CPU/wall, below
      ``WAITING_CPU_SHARE``) ends once every interval is within
      ``precision`` after ``MIN_PAIRED_ROUNDS`` rounds, or within
      ``AGREE_CLOSELY`` after ``FEWEST_AGREEING_ROUNDS``: the machine's
      phases change the speed of computing, not of waiting;
    - CPU-bound work (or work whose CPU is not known) needs every interval
      within ``precision`` after ``MIN_PAIRED_ROUNDS`` rounds and a span that
      saw more than one phase: ``AGREEING_SPAN_S`` where the earlier and the
      later rounds agree (``moved``, the largest ``analysis.drift`` of its
      points, within half the precision), else ``MIN_SPAN_S``; either one
      at most half the group's time.
    """
    if rounds < min_rounds:
        return None
    if elapsed_s >= time_s:
        return "time"
    if points == 1:
        return "precise"
    tight = bool(widths) and max(widths) <= precision
    if cpu_share is not None and cpu_share < WAITING_CPU_SHARE:
        close = bool(widths) and max(widths) <= AGREE_CLOSELY and rounds >= FEWEST_AGREEING_ROUNDS
        return "precise" if close or (tight and rounds >= MIN_PAIRED_ROUNDS) else None
    steady = moved is not None and moved <= precision / 2
    span = min(AGREEING_SPAN_S if steady else MIN_SPAN_S, time_s / 2)
    settled = rounds >= MIN_PAIRED_ROUNDS and elapsed_s >= span
    return "precise" if settled and tight else None


def evidence(measurements: Sequence[Measurement]) -> tuple[float | None, float | None]:
    """What the rounds so far say of the machine's phases: the group's highest CPU/wall, and its drift.

    The CPU/wall is the highest median over the points (None where any
    point's CPU time is unknown); the drift is the largest
    ``analysis.drift`` of a point's ratios against its baseline (None where
    any point has too few blocks to tell, or no point has a baseline).
    """
    shares = [cpu_per_wall(m.samples) for m in measurements if m.samples]
    cpu_share = None if not shares or None in shares else max(s for s in shares if s is not None)
    moves = [
        drift(paired_blocks(m.samples, baseline.samples))
        for m, baseline in zip(measurements, baselines(measurements), strict=True)
        if baseline is not None and baseline is not m
    ]
    moved = None if not moves or None in moves else max(m for m in moves if m is not None)
    return cpu_share, moved


def _retire(sessions: Sequence[WorkerSession], measurements: Sequence[Measurement], below: float) -> None:
    """Close the sessions of points clearly slower than their baseline (interval wholly below ``below``)."""
    every = baselines(measurements)
    for session, measurement, baseline in zip(sessions, measurements, every, strict=True):
        if not (session.alive or session.parked) or measurement.point.strategy == "sequential":
            continue
        paired = None if baseline is None else speedup(measurement, baseline)
        if paired is not None and paired[2] >= MIN_PAIRED_ROUNDS and paired[1][1] < below:
            session.close()


def _worker_sessions(
    *, timeout_s: float | None, on_sample: OnSample | None, deadline: float | None, waits: bool = True
) -> SessionFactory:
    """The ``SessionFactory`` of real workers, with the group's options."""

    def session(point: Point) -> WorkerSession:
        return WorkerSession(point, timeout_s=timeout_s, on_sample=on_sample, deadline=deadline, waits=waits)

    return session


def _running(sessions: Sequence[WorkerSession], waiting: set[int]) -> list[bool]:
    """Which points still take samples: a live or parked worker, or a first start the budget put off."""
    return [session.alive or session.parked or index in waiting for index, session in enumerate(sessions)]


def _take_stock(
    sessions: Sequence[WorkerSession], waiting: set[int], retire_below: float | None
) -> tuple[list[Measurement], list[float]]:
    """The measurements after a round, and the half-widths of the points still running.

    With ``retire_below``, the points clearly slower than their baseline are retired first (``_retire``).
    """
    measurements = [s.measurement() for s in sessions]
    if retire_below is not None:
        _retire(sessions, measurements, retire_below)
    return measurements, half_widths(measurements, _running(sessions, waiting))


def _report_round(
    measurements: list[Measurement],
    widths: Sequence[float],
    rounds: int,
    elapsed_s: float,
    on_measured: Callable[[list[Measurement]], None] | None,
    on_round: Callable[[int, float, float | None], None] | None,
) -> None:
    """Hand a round's measurements (to save) and its progress to the callers' callbacks."""
    if on_measured is not None:
        on_measured(measurements)
    if on_round is not None:
        on_round(rounds, elapsed_s, max(widths) if widths else None)


def _start_workers(
    sessions: Sequence[WorkerSession], bound: LiveBound, waiting: set[int], on_start: OnStart | None
) -> None:
    """Start one worker per point, in round 0's order, as many as ``bound`` holds.

    The points whose first worker the budget leaves for their turn go into ``waiting``
    (at least one worker always starts).
    """
    for index in rotation(len(sessions), 0):
        if not bound.fits(sessions, index) and any(s.alive for s in sessions):
            waiting.add(index)
            continue
        if on_start is not None:
            on_start(sessions[index].point)
        sessions[index].start()
        bound.started(sessions, index)


def _sample_round(
    sessions: Sequence[WorkerSession],
    bound: LiveBound,
    waiting: set[int],
    round_number: int,
    on_start: OnStart | None,
) -> None:
    """One sample of every point in the round's ``rotation``, starting afresh the workers it needs."""
    for position, index in enumerate(rotation(len(sessions), round_number)):
        session = sessions[index]
        if session.parked or index in waiting:
            bound.make_room(sessions, index, round_number, position)
            if index in waiting:
                waiting.discard(index)
                if on_start is not None:
                    on_start(session.point)
            session.start()  # a fresh worker: its warm-ups again, outside the samples
            bound.started(sessions, index)
        session.sample(round_number)


def _judge(
    measurements: Sequence[Measurement],
    widths: Sequence[float],
    *,
    rounds: int,
    elapsed_s: float,
    time_s: float,
    min_rounds: int,
    precision: float,
) -> RoundsEnd | None:
    """``stop_reason`` for the group's measurements after ``rounds`` rounds, with their ``evidence``."""
    cpu_share, moved = evidence(measurements)
    return stop_reason(
        rounds=rounds,
        elapsed_s=elapsed_s,
        time_s=time_s,
        min_rounds=min_rounds,
        precision=precision,
        widths=widths,
        points=len(measurements),
        cpu_share=cpu_share,
        moved=moved,
    )


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
    memory_budget: int | None = None,
    session_factory: SessionFactory | None = None,
    waits: bool = True,
) -> GroupOutcome:
    """Measure one group of points in interleaved rounds until precise enough or out of time.

    Args:
        points: the group's points (one ``Point.rounds_key``).
        first_index: where the group's points will stand in ``Result.measurements``.
        time_s: seconds the group may take, its workers' start-ups and
            warm-ups counted.
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
        memory_budget: bytes the group's live workers may hold (``LiveBound``):
            where one worker per point would not fit, workers are closed
            and started afresh as their points' turns come. Every round
            still samples every point, in the same rotation. None: no bound.
        session_factory: makes each point's session (synthetic ones in tests).
        waits: False leaves out the breakdown of where the threads' time went
            (``--no-waits``: the worker starts no sidecar).

    Returns:
        The measurements, in the order of ``points``, and their ``Rounds``.
    """
    if session_factory is None:
        session_factory = _worker_sessions(
            timeout_s=timeout_s, on_sample=on_sample, deadline=deadline, waits=waits
        )
    sessions = [session_factory(point) for point in points]
    bound = LiveBound(memory_budget)
    waiting: set[int] = set()  # points whose first worker the budget left for their turn
    ended: RoundsEnd = "failed"
    rounds, elapsed = 0, 0.0
    try:
        # The group's time counts from here: its workers' start-ups and warm-ups are part of
        # the command's time (a 500-point group once took 477 s of a --max-time 60).
        started = time.perf_counter()
        _start_workers(sessions, bound, waiting, on_start)
        rounds_started = time.perf_counter()
        last_round_s = 0.0
        while any(_running(sessions, waiting)):
            round_started = time.perf_counter()
            if deadline is not None and rounds and round_started + last_round_s > deadline:
                ended = "time"  # the next round would overrun the command's deadline
                break
            _sample_round(sessions, bound, waiting, rounds, on_start)
            rounds += 1
            last_round_s = time.perf_counter() - round_started
            elapsed = time.perf_counter() - rounds_started
            if between_rounds is not None:
                between_rounds()
            measurements, widths = _take_stock(sessions, waiting, retire_below)
            _report_round(measurements, widths, rounds, elapsed, on_measured, on_round)
            reason = _judge(
                measurements,
                widths,
                rounds=rounds,
                elapsed_s=time.perf_counter() - started,
                time_s=time_s,
                min_rounds=min_rounds,
                precision=precision,
            )
            if reason is not None:
                ended = reason
                break
    except KeyboardInterrupt:
        ended = "interrupted"
        for session in sessions:
            session.interrupt()
    finally:
        for session in sessions:
            session.close()
    return _outcome(
        sessions,
        bound,
        first_index=first_index,
        rounds=rounds,
        elapsed_s=elapsed,
        precision=precision,
        time_s=time_s,
        ended=ended,
    )


def _outcome(
    sessions: Sequence[WorkerSession],
    bound: LiveBound,
    *,
    first_index: int,
    rounds: int,
    elapsed_s: float,
    precision: float,
    time_s: float,
    ended: RoundsEnd,
) -> GroupOutcome:
    """What the group gave, once its workers are closed: ``ended`` "interrupted" is Ctrl-C's cut."""
    measurements = [s.measurement() for s in sessions]
    widths = half_widths(measurements)
    finite = [w for w in widths if w != float("inf")]
    return GroupOutcome(
        measurements,
        Rounds(
            points=tuple(range(first_index, first_index + len(sessions))),
            rounds=rounds,
            elapsed_s=elapsed_s,
            precision=precision,
            reached=max(finite) if finite and len(finite) == len(widths) else None,
            time_s=time_s,
            ended=ended,
            most_live=bound.most_live if bound.bounded else None,
            restarts=sum(s.restarts for s in sessions),
        ),
        interrupted=ended == "interrupted",
    )
