"""Interleaved rounds: the points compared with each other, measured side by side.

::

    group: every strategy, worker count and Python of one workload and its parameters
      │  start one fresh worker per point, two side by side (a warm pool alone);
      │  each does its warm-ups, then idles
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

    the run: each group in turn, in an equal part of the time left beside the
    groups after it and those before it still short of their precision
    (`share_out`); then those short groups go on, nearest their precision
    first, with what is left unspent

Why a minimum span: on our 2-core VM the CPU speed changes in phases of a
few seconds. Runs that stopped after 6 to 9 rounds (5-8 s) reached ±5% but
gave intervals that excluded each other ([1.88, 1.97] against [1.64, 1.77]):
each had seen one phase. Runs of 30 s agreed (shared/DESIGN.md). The span
is only needed where phases can move the ratios: a point with nothing to
compare, and work that waits rather than computes, end without it; CPU work
whose earlier and later rounds agree ends after a shorter one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

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
# A group's workers start two at a time: an interpreter's start, its imports and the discarded
# warm-ups overlap on the machine's cores. Started one by one, the full tour's 29 workers took
# 10.0-10.2 s of its 42 s of rounds then; two at a time, 6.8-8.7 s (two full tours each, interleaved, here).
STARTS_AT_ONCE = 2


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

    def fits(self, sessions: Sequence[WorkerSession], index: int, launched: Sequence[int] = ()) -> bool:
        """Whether point ``index``'s worker fits beside the live ones (and those ``launched``, not
        ready yet) without closing any."""
        if self.budget is None:
            return True
        live = sum(self._need(i) for i, s in enumerate(sessions) if s.alive or i in launched)
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
    for index, (measurement, baseline) in enumerate(zip(measurements, baselines(measurements), strict=True)):
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
    for session, measurement, baseline in zip(sessions, measurements, baselines(measurements), strict=True):
        if not (session.alive or session.parked) or measurement.point.strategy == "sequential":
            continue
        paired = None if baseline is None else speedup(measurement, baseline)
        if paired is not None and paired[2] >= MIN_PAIRED_ROUNDS and paired[1][1] < below:
            session.close()


def _running(sessions: Sequence[WorkerSession], waiting: set[int]) -> list[bool]:
    """Which points still take samples: a live or parked worker, or a first start the budget put off."""
    return [session.alive or session.parked or index in waiting for index, session in enumerate(sessions)]


def _take_stock(
    sessions: Sequence[WorkerSession], waiting: set[int], retire_below: float | None
) -> tuple[list[Measurement], list[float]]:
    """The measurements after a round, and the half-widths of the points still running once those
    clearly slower than their baseline are retired (``retire_below``)."""
    measurements = [s.measurement() for s in sessions]
    if retire_below is not None:
        _retire(sessions, measurements, retire_below)
    return measurements, half_widths(measurements, _running(sessions, waiting))


def _report_round(
    measurements: list[Measurement],
    widths: Sequence[float],
    rounds: int,
    elapsed_s: float,
    on_measured: Callable[[list[Measurement]], object] | None,
    on_round: Callable[[int, float, float | None], None] | None,
) -> None:
    """Hand a round's measurements (to save) and its progress to the callers' callbacks."""
    if on_measured is not None:
        on_measured(measurements)
    if on_round is not None:
        on_round(rounds, elapsed_s, max(widths) if widths else None)


def _start_workers(
    sessions: Sequence[WorkerSession],
    bound: LiveBound,
    waiting: set[int],
    on_start: OnStart | None,
    resuming: bool = False,
) -> None:
    """Start one worker per point, in round 0's order, ``STARTS_AT_ONCE`` side by side, as many as
    ``bound`` holds (the others go into ``waiting``; at least one always starts).

    A point starts alone where its start-up is measured (``Point.warm_pool``),
    or where a memory budget has no footprint to go by yet. Going on from a
    first pass (``resuming``), only the parked points start afresh: a point
    that failed or was retired stays ended.
    """
    batch: list[int] = []
    for index in rotation(len(sessions), 0):
        if resuming and not sessions[index].parked:
            continue
        alone = sessions[index].point.warm_pool or (bound.budget is not None and not bound.footprints)
        if batch and (alone or len(batch) == STARTS_AT_ONCE):
            _wait_started(sessions, bound, batch)
        if not bound.fits(sessions, index, batch) and (batch or any(s.alive for s in sessions)):
            waiting.add(index)
            continue
        if on_start is not None:
            on_start(sessions[index].point)
        sessions[index].launch()
        batch.append(index)
        if alone:
            _wait_started(sessions, bound, batch)
    _wait_started(sessions, bound, batch)


def _wait_started(sessions: Sequence[WorkerSession], bound: LiveBound, batch: list[int]) -> None:
    """Wait for the workers launched in ``batch`` to be ready, each one's footprint recorded; empty it."""
    for index in batch:
        sessions[index].start()
        bound.started(sessions, index)
    batch.clear()


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
    rounds: tuple[int, int],
    seconds: tuple[float, float],
    precision: float,
) -> RoundsEnd | None:
    """``stop_reason`` for the group's measurements after ``rounds`` (done, fewest) rounds and
    ``seconds`` (spent, given), with their ``evidence``."""
    cpu_share, moved = evidence(measurements)
    return stop_reason(
        rounds=rounds[0],
        elapsed_s=seconds[0],
        time_s=seconds[1],
        min_rounds=rounds[1],
        precision=precision,
        widths=widths,
        points=len(measurements),
        cpu_share=cpu_share,
        moved=moved,
    )


@dataclass
class GroupOutcome:
    """What measuring one group gave: its measurements, how its rounds went, and whether Ctrl-C cut it.

    ``spent_s`` is the group's whole time, its workers' start-ups and warm-ups
    counted; ``sessions`` are its points' sessions, parked (their workers
    closed, their samples kept) where it ended out of time short of its
    precision, so that ``measure_group(resume=...)`` can go on with them.
    """

    measurements: list[Measurement]
    rounds: Rounds
    interrupted: bool
    spent_s: float = 0.0
    sessions: Sequence[WorkerSession] = ()


def short_of_precision(rounds: Rounds) -> bool:
    """Whether a group's rounds ended on its time with an interval wider than asked: more could tighten it."""
    return rounds.ended == "time" and (rounds.reached is None or rounds.reached > rounds.precision)


def share(left_s: float, after: float, claims: float = 0.0, weight: float = 1.0) -> float:
    """A group's seconds of the ``left_s`` left: its ``weight`` in parts, beside the parts of the
    groups to be measured after it (``after``) and the ``claims`` of those measured before it that
    ended short of their precision, each holding back its part for its second pass (``share_out``).

    Parts are counted by group, one each unless a group is given more, not by points: what lets a
    CPU-bound group end precise is the span of its rounds in time (its interval counts blocks of at
    most 2 s, ``analysis.block_interval``, and the stopping rule waits for ``AGREEING_SPAN_S`` or
    ``MIN_SPAN_S`` of them), whatever its points. By points, the full tour's "which Python" group
    (11 points) took 11/29 of its time and the seed's CPU lesson (3 points) 2.9 s of 40: too short
    a span to tell threads from sequential (±17.9%). Work that waits settles in a few rounds, and
    leaves the rest of its part to the groups after it.
    """
    return max(0.0, left_s * weight / (weight + after + claims))


def _before_rounds_s(outcome: GroupOutcome) -> float:
    """What a group's first pass took before its rounds: its workers' start-ups and warm-ups."""
    return max(0.0, outcome.spent_s - outcome.rounds.elapsed_s)


def worth_resuming(outcome: GroupOutcome, share_s: float) -> bool:
    """Whether ``share_s`` more seconds buy a group short of its precision rounds: its workers' fresh
    start-ups and warm-ups (what its first pass took before its rounds) and two of its rounds."""
    rounds = outcome.rounds
    if not outcome.sessions or rounds.rounds == 0:
        return False
    return share_s >= _before_rounds_s(outcome) + 2 * rounds.elapsed_s / rounds.rounds


def need_s(outcome: GroupOutcome) -> float:
    """About how many more seconds a group short of its precision needs to reach it: its start-ups
    again, and rounds until its widest interval narrows to the precision, as one over the square
    root of the rounds (the precision table's estimate, ``analysis``), two rounds at least.

    Unknown (infinite) below ``MIN_PAIRED_ROUNDS`` rounds: there the interval is the range of a
    few ratios, not a 95% interval, and no guide to what more rounds give. The tour's "which
    Python" group (13 points, 3 rounds) read narrow enough after its first pass to be served
    first, took 14.9 s, and ended at ±44%, while the CPU lesson (±27.8% after 12 rounds) got
    nothing more (full tour, a quiet machine).
    """
    rounds = outcome.rounds
    if rounds.reached is None or rounds.rounds < MIN_PAIRED_ROUNDS:
        return math.inf
    more = rounds.elapsed_s * ((rounds.reached / rounds.precision) ** 2 - 1)
    return _before_rounds_s(outcome) + max(more, 2 * rounds.elapsed_s / rounds.rounds)


# Measures group ``number`` in ``time_s`` seconds, going on from ``resume`` where given.
MeasureGroup = Callable[[int, float, "GroupOutcome | None"], GroupOutcome]


def share_out(
    groups: int,
    max_time_s: float,
    measure: MeasureGroup,
    clock: Callable[[], float] = time.perf_counter,
    weights: Sequence[float] | None = None,
) -> list[GroupOutcome]:
    """Measure every group in its ``share`` of ``max_time_s``, then give the time left to the short ones.

    A group that ran out of time short of its precision (``short_of_precision``: CPU work whose
    intervals need rounds, where sleeps settle in a few) keeps its claim for a second pass: without
    it the last groups took all that was left, and the tour's CPU lesson, short after its first
    pass, never went on. The short groups then go on, the least ``need_s`` first, each given what
    it needs or what is left, where that buys rounds (``worth_resuming``): given in one piece, the
    time settles groups; split among them all, it settled none (each resume pays its start-ups
    again, and intervals narrow only as one over the square root of the rounds). In the tour, the
    seed's CPU lesson (the count loop, on processes against threads) read ±31% after its first
    pass, beside the lock lesson settled at ±0.5%. A Ctrl-C (``interrupted``) ends the sharing.

    Args:
        groups: how many groups there are, measured in order (0 first).
        max_time_s: the seconds every group's rounds share.
        measure: measures one group in the seconds it is given (``MeasureGroup``).
        clock: seconds, as ``time.perf_counter``.
        weights: each group's parts of the time, in the groups' order (None: one part each; the
            tour gives its seed's CPU lesson more, ``lessons.lesson_parts``); a group's claim, once
            it has ended short, is as many parts as its weight.

    Returns:
        Each group's last outcome, in the groups' order; fewer where Ctrl-C cut the run.
    """
    parts = [1.0] * groups if weights is None else list(weights)
    if len(parts) != groups or not all(part > 0 for part in parts):
        raise ValueError(f"share_out needs one weight above 0 per group, {groups} in all; got {parts}")
    started = clock()
    outcomes: list[GroupOutcome] = []
    for number in range(groups):
        claims = sum(parts[n] for n, outcome in enumerate(outcomes) if short_of_precision(outcome.rounds))
        left_s = max_time_s - (clock() - started)
        given_s = share(left_s, sum(parts[number + 1 : groups]), claims, parts[number])
        outcomes.append(measure(number, given_s, None))
        if outcomes[-1].interrupted:
            return outcomes
    needs = {n: need_s(outcome) for n, outcome in enumerate(outcomes) if short_of_precision(outcome.rounds)}
    for number in sorted(needs, key=needs.__getitem__):
        time_s = max(0.0, min(needs[number], max_time_s - (clock() - started)))
        if not worth_resuming(outcomes[number], time_s):
            continue
        outcomes[number] = measure(number, time_s, outcomes[number])
        if outcomes[number].interrupted:
            break
    return outcomes


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
    on_measured: Callable[[list[Measurement]], object] | None = None,
    retire_below: float | None = None,
    deadline: float | None = None,
    memory_budget: int | None = None,
    session_factory: SessionFactory | None = None,
    waits: bool = True,
    resume: GroupOutcome | None = None,
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
        memory_budget: bytes the group's live workers may hold (``LiveBound``; every round still
            samples every point, in the same rotation). None: no bound.
        session_factory: makes each point's session (synthetic ones in tests).
        waits: False leaves out the breakdown of where the threads' time went
            (``--no-waits``: the worker starts no sidecar).
        resume: the group's first pass, ended out of time with its sessions
            parked: its workers start afresh (warm-ups again, outside the
            samples) and its rounds go on, numbered on, for ``time_s`` more
            seconds; no round starts that the last says would overrun them.

    Returns:
        The measurements, in the order of ``points``, and their ``Rounds``.
    """
    make = session_factory or partial(
        WorkerSession, timeout_s=timeout_s, on_sample=on_sample, deadline=deadline, waits=waits
    )
    sessions = [make(point) for point in points] if resume is None else list(resume.sessions)
    bound = LiveBound(memory_budget)
    waiting: set[int] = set()  # points whose first worker the budget left for their turn
    # Going on from a first pass, its rounds, seconds and time count on: the stopping rule judges
    # the group whole (its span, its rounds) against its whole time, the time left shared out after it.
    first_rounds, before_s, after_s = (
        (0, 0.0, 0.0) if resume is None else (resume.rounds.rounds, resume.spent_s, resume.rounds.elapsed_s)
    )
    time_s += before_s
    ended: RoundsEnd = "failed"
    rounds, elapsed, spent = first_rounds, after_s, before_s
    try:
        # The group's time counts from here: its workers' start-ups and warm-ups are part of
        # the command's time (a 500-point group once took 477 s of a --max-time 60).
        started = time.perf_counter() - before_s
        _start_workers(sessions, bound, waiting, on_start, resuming=resume is not None)
        rounds_started = time.perf_counter() - after_s
        last_round_s = 0.0
        ends = [end for end in (deadline, None if resume is None else started + time_s) if end is not None]
        while any(_running(sessions, waiting)):
            round_started = time.perf_counter()
            if rounds > first_rounds and any(round_started + last_round_s > end for end in ends):
                ended = "time"
                break
            _sample_round(sessions, bound, waiting, rounds, on_start)
            rounds += 1
            last_round_s = time.perf_counter() - round_started
            elapsed = time.perf_counter() - rounds_started
            if between_rounds is not None:
                between_rounds()
            measurements, widths = _take_stock(sessions, waiting, retire_below)
            _report_round(measurements, widths, rounds, elapsed, on_measured, on_round)
            spent = time.perf_counter() - started
            reason = _judge(measurements, widths, (rounds, min_rounds), (spent, time_s), precision)
            if reason is not None:
                ended = reason
                break
    except KeyboardInterrupt:
        ended = "interrupted"
        for session in sessions:
            session.interrupt()
    finally:
        for session in sessions:  # parked (samples kept, ready to go on) where out of time, else closed
            if ended == "time" and session.alive:
                session.park()
            else:
                session.close()
    return _outcome(
        sessions,
        bound,
        first_index=first_index,
        rounds=rounds,
        elapsed_s=(elapsed, spent),
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
    elapsed_s: tuple[float, float],
    precision: float,
    time_s: float,
    ended: RoundsEnd,
) -> GroupOutcome:
    """What the group gave, once its workers are closed (or parked): ``ended`` "interrupted" is Ctrl-C's
    cut; ``elapsed_s`` the seconds of its rounds and its whole time, start-ups counted."""
    measurements = [s.measurement() for s in sessions]
    widths = half_widths(measurements)
    finite = [w for w in widths if w != float("inf")]
    return GroupOutcome(
        measurements,
        Rounds(
            points=tuple(range(first_index, first_index + len(sessions))),
            rounds=rounds,
            elapsed_s=elapsed_s[0],
            precision=precision,
            reached=max(finite) if finite and len(finite) == len(widths) else None,
            time_s=time_s,
            ended=ended,
            most_live=bound.most_live if bound.bounded else None,
            restarts=sum(s.restarts for s in sessions),
        ),
        interrupted=ended == "interrupted",
        spent_s=elapsed_s[1],
        sessions=tuple(sessions),
    )
