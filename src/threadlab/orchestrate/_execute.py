"""The run loop every command shares: group the points, measure each group in rounds, save as it goes.

::

    plan(spec) ──► points ──► groups (same workload, parameters, Python, GIL)
                                │  the noise monitor starts (parallel capacity, /proc/stat)
                                ▼
                 for each group: its share of the time left (max_time_s)
                   measure_group: interleaved rounds until precise or out of time,
                                  the calibration loop timed between rounds,
                                  the results file saved after every round
                 then the groups short of their precision: the time others left (share_out)
                                │
                                ▼  the noise monitor finishes
                              Result (measurements, rounds, noise)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from threadlab.analysis import baselines, summary
from threadlab.model import Environment, MachineNoise, Measurement, Point, Result, Rounds, Spec, Summary
from threadlab.orchestrate._noise import NoiseMonitor
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._progress import Progress, RoundProgress, RunDone
from threadlab.orchestrate._rounds import GroupOutcome, group_points, measure_group, share_out
from threadlab.orchestrate._runner import end_unended_sessions, environment_info
from threadlab.orchestrate._store import ResultsWriter


def execute(
    spec: Spec,
    *,
    writer: ResultsWriter | None = None,
    points: Sequence[Point] | None = None,
    progress: Progress | None = None,
    retire_below: float | None = None,
    deadline: float | None = None,
    memory_budget: int | None = None,
    waits: bool = True,
    weigh: Callable[[Sequence[Point]], float] | None = None,
) -> Result:
    """Measure every point of ``spec`` in interleaved rounds, group by group, saving after every round.

    Each group's rounds go on until every point's speedup interval is within
    ``spec.precision`` or its share of ``spec.max_time_s`` is spent
    (``share_out``), never fewer than its points' ``repeat``. Ctrl-C ends the
    workers and returns what was measured so far, with ``interrupted=True``;
    the file holds it all.

    Args:
        spec: what to measure.
        writer: saves the results file, atomically, after every round; its
            lock, taken by whoever made it, held to the end (None: no file).
        points: the already-planned points of ``spec`` (planned here if None).
        progress: told of each point's start, each sample, each round, and the run's end.
        retire_below: stop sampling a point once its speedup interval lies
            wholly below this (``measure_group``); None: every point to the end.
        deadline: the command's own end, a ``time.perf_counter()`` reading
            (advise's budget): no worker step runs past it (``measure_group``).
        memory_budget: bytes each group's live workers may hold
            (``measure_group``); None: a worker per point, all alive.
        waits: False leaves out the breakdown of where the threads' time went.
        weigh: a group's parts of the time, from its points (``share_out``); None: one each.

    Raises:
        SpecError: the spec is refused (before any work starts).
    """
    progress = progress or Progress()
    if points is None:
        notes: list[str] = []
        points = plan(spec, notes)
        for line in notes:
            progress.note(line)
    environment = Environment(**environment_info())
    groups = group_points(points)
    outcomes: dict[int, GroupOutcome] = {}
    noise: MachineNoise | None = None
    interrupted = False
    run_started = time.perf_counter()
    monitor = NoiseMonitor()
    kept: dict[int, tuple[Measurement, Measurement | None, Summary | None]] = {}

    def save(number: int | None = None, current: Sequence[Measurement] = ()) -> Result:
        ordered, ended = _in_order(outcomes, number, current), _ended(outcomes)
        result = Result(spec, environment, ordered, interrupted, noise, ended)
        if writer is not None:
            writer.save(result, summaries=summaries_kept(result.measurements, kept))
        return result

    def measure(number: int, time_s: float, resume: GroupOutcome | None) -> GroupOutcome:
        group = groups[number]
        outcome = measure_group(
            group,
            first_index=sum(len(g) for g in groups[:number]),
            time_s=time_s,
            precision=spec.precision,
            min_rounds=max(point.repeat for point in group),
            timeout_s=spec.timeout_s,
            between_rounds=monitor.between_rounds,
            on_start=progress.point_started,
            on_sample=progress.sample,
            on_round=_round_reporter(progress, group, number, len(groups), spec.precision, time_s, resume),
            on_measured=lambda current: save(number, current),
            retire_below=retire_below,
            deadline=deadline,
            memory_budget=memory_budget,
            waits=waits,
            resume=resume,
        )
        outcomes[number] = outcome
        return outcome

    try:
        monitor.start()
        left_s = _time_left(spec.max_time_s, run_started, deadline)
        parts = None if weigh is None else [weigh(group) for group in groups]
        interrupted = any(o.interrupted for o in share_out(len(groups), left_s, measure, weights=parts))
        # Past the deadline, the closing capacity probe (0.15 s idle, 0.85 s measured on this
        # busy 2-core machine) would only overrun the budget further.
        noise = monitor.finish(probe=deadline is None or time.perf_counter() < deadline)
    except KeyboardInterrupt:  # between groups, or while the monitor calibrated: what was measured stays
        interrupted = True
        end_unended_sessions()  # or while a group's workers were being closed, the signal cutting it short
    result = save()
    rounds_done, took_s = sum(r.rounds for r in result.rounds), time.perf_counter() - run_started
    progress.run_done(RunDone(len(result.rounds), len(groups), rounds_done, took_s, interrupted))
    return result


def _time_left(max_time_s: float, run_started: float, deadline: float | None) -> float:
    """The groups' time: what is left of ``max_time_s`` once the monitor has started, and within ``deadline``.

    The run's time counts from before the monitor's first capacity probe, and keeps as much again
    for the closing one, which ran past --max-time before (0.15-0.85 s here); no group goes on past
    the command's deadline (a fresh worker there would be cut short).
    """
    left_s = max_time_s - 2 * (time.perf_counter() - run_started)
    return left_s if deadline is None else min(left_s, deadline - time.perf_counter())


def _in_order(
    outcomes: dict[int, GroupOutcome], number: int | None, current: Sequence[Measurement]
) -> tuple[Measurement, ...]:
    """Every group's measurements so far, in the groups' order, group ``number``'s being ``current``:
    a group resumed for the time left (``share_out``) replaces its own, and the file keeps the points' order.
    """
    done: dict[int, Sequence[Measurement]] = {n: outcome.measurements for n, outcome in outcomes.items()}
    if number is not None:
        done[number] = current
    return tuple(m for n in sorted(done) for m in done[n])


def _ended(outcomes: dict[int, GroupOutcome]) -> tuple[Rounds, ...]:
    """The rounds of every group measured so far, in the groups' order."""
    return tuple(outcomes[n].rounds for n in sorted(outcomes))


def _round_reporter(
    progress: Progress,
    group: Sequence[Point],
    number: int,
    count: int,
    precision: float,
    time_s: float,
    resume: GroupOutcome | None,
) -> Callable[[int, float, float | None], None]:
    """``measure_group``'s ``on_round`` for group ``number`` of ``count``: a ``RoundProgress`` each round."""
    label = group[0].workload_label()
    time_s += 0.0 if resume is None else resume.spent_s  # a resumed group's whole time

    def report(done: int, elapsed: float, widest: float | None) -> None:
        progress.round_done(RoundProgress(label, number, count, done, elapsed, time_s, widest, precision))

    return report


def summaries_kept(
    measurements: Sequence[Measurement],
    kept: dict[int, tuple[Measurement, Measurement | None, Summary | None]],
) -> list[Summary | None]:
    """Each point's summary, computed again only where the point or its baseline changed since the
    last call with ``kept`` (which this updates): a save after every round then costs the same at
    point 1 and at point 200 (``benchmarks/bench_saving.py``), and the writer keeps the text of
    every point whose summary is the same object as before.
    """
    fresh: dict[int, tuple[Measurement, Measurement | None, Summary | None]] = {}
    for measurement, baseline in zip(measurements, baselines(measurements), strict=True):
        known = kept.get(id(measurement))
        if known is None or known[0] is not measurement or known[1] is not baseline:
            known = (measurement, baseline, summary(measurement, baseline))
        fresh[id(measurement)] = known
    kept.clear()
    kept.update(fresh)
    return [fresh[id(m)][2] for m in measurements]
