"""Each point's summary, and its speedup paired round by round with its baseline.

The speedup of a point is measured against the sequential point of its group
(same workload, parameters, Python and GIL mode). Where the group was
measured in interleaved rounds (one sample of every point per round, in an
order that rotates), the two samples of one round saw the same phase of the
machine, so their ratio is free of the machine's drift::

    round r:  point sample  X_p(r) tasks/s      sequential sample  X_s(r) tasks/s
              ratio(r) = X_p(r) / X_s(r)        (throughputs: task counts may differ)

    speedup  = median over rounds of ratio(r)
    interval = order statistics of the ratios: a distribution-free 95% interval
               for their median (analysis._stats.describe)

Files written before rounds (schema 1) have no round numbers: their speedup
is the ratio of the two median throughputs, and its interval the
conservative ratio of the two medians' intervals.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence

from threadlab.analysis._stats import describe
from threadlab.model import Measurement, Result, Sample, Summary

# Rounds this close in time saw the same phase of the machine: on our 2-core VM its speed
# changes in phases of a few seconds (shared/DESIGN.md), so a block of consecutive rounds
# counts as one observation in a speedup's interval.
_BLOCK_S = 2.0
# Blocks are at most an eighth of the rounds' span, so a short run still has blocks to count...
_FEWEST_BLOCKS = 8
# ...and from 6 blocks on, order statistics give a 95% interval (analysis._stats.describe).
_FEWEST_EXACT_BLOCKS = 6
# Two halves of at least 2 blocks each: one odd block in a half then moves its median by little.
_FEWEST_DRIFT_BLOCKS = 4

# A worker whose tasks took less wall time than this in all, summed over the
# samples, has no on-CPU share worth showing: thread_time ticks are coarser
# than that on many systems, and a 20 µs task can read 80 µs of CPU.
_RESOLVABLE_TASK_S = 1e-3
# An on-CPU share above this is the clock's resolution showing, not a measurement.
_MOST_ON_CPU = 1.05


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of ``values``, None when there are none.

    Linear interpolation between the two nearest order statistics (numpy's
    default): with 2 values the p99 is 99% of the way from the lower to the
    higher, not the higher itself.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cpu_per_wall(samples: Sequence[Sample]) -> float | None:
    """The median over ``samples`` of CPU time / wall time; None where no CPU time was measured.

    1.0 is one core busy all along; below 1 the tasks waited, above 1 they
    computed on several cores at once.
    """
    ratios = [s.cpu_s / s.wall_s for s in samples if s.cpu_s is not None]
    return statistics.median(ratios) if ratios else None


# Tasks whose own threads took less CPU than this in a sample say nothing of the cores
# around them: the ratio would divide by the clock's resolution.
_LEAST_TASK_CPU_S = 1e-3
# Nor do tasks that computed for less than this share of the sample's wall time: calls that
# mostly wait leave the worker's own bookkeeping (its command thread, the timing) as large
# as their computing, which would read as a second core busy inside each call.
_LEAST_TASK_CPU_SHARE = 0.15
# Nor do calls that fill less than this share of the sample's wall time: the worker's timing
# of each call then outweighs the calls, and its CPU reads as cores busy inside them (a 1 µs
# function read 2.13 cores busy here, its 20,000 calls filling 4.3 ms of a 42 ms sample).
_LEAST_CALLS_SHARE = 0.5


def cores_per_call(samples: Sequence[Sample]) -> float | None:
    """How many cores one call keeps busy while it runs: the median over ``samples`` of the
    worker's CPU time over the CPU time of the threads that ran the tasks.

    For tasks run one at a time in the worker's own thread (``sequential``):
    1.0 where each call runs on that thread alone, about N where native code
    (BLAS, OpenMP) runs it on N threads. Unlike CPU/wall it does not fall
    when other programs hold the cores: a 600×600 NumPy product measured
    2.04 here while its CPU/wall read 0.34 on a loaded machine, and 1.05
    with one BLAS thread. None where the tasks' CPU time is not measured, or
    where they mostly waited (a call that computes for less than 15% of its time
    says nothing of the cores its computing keeps busy), or where the calls
    filled less than half the sample (calls of a few µs: the timing around
    them is most of the CPU).
    """
    ratios = []
    for sample in samples:
        own = sum(cpu for cpu in sample.spans.cpu_s if cpu is not None)
        computing = own >= _LEAST_TASK_CPU_S and own >= _LEAST_TASK_CPU_SHARE * sample.wall_s
        filled = sum(sample.spans.durations()) >= _LEAST_CALLS_SHARE * sample.wall_s
        if sample.cpu_s is not None and computing and filled:
            ratios.append(sample.cpu_s / own)
    return statistics.median(ratios) if ratios else None


def python_label(measurement: Measurement) -> str:
    """``3.13.0t``: the interpreter as the worker reported it, else the executable asked for."""
    return measurement.interpreter.label() if measurement.interpreter else measurement.point.python


def baseline_of(result: Result, measurement: Measurement) -> Measurement | None:
    """The sequential measurement ``measurement``'s speedup is computed against, in ``result``."""
    return baseline_among(result.measurements, measurement)


def baseline_among(measurements: Sequence[Measurement], measurement: Measurement) -> Measurement | None:
    """The sequential measurement ``measurement``'s speedup is computed against.

    The one baseline rule: a sequential point of the same group, with the
    same task count where there is one, else the one with the most tasks
    (speedups compare throughputs, so task counts may differ); among equals,
    ``_choose``'s. Points that measured nothing are passed over.
    """
    return _choose(_sequential(measurements).get(measurement.point.group_key(), []), measurement.point.tasks)


def group_baseline(measurements: Sequence[Measurement]) -> Measurement | None:
    """The sequential point that stands for a whole group, where no one point is compared.

    For what belongs to the group rather than to one of its points (the
    sequential CPU/wall of the work, a strategy's scaling table):
    ``baseline_among``'s rule for no task count in particular, the
    sequential point with the most tasks. ``measurements`` are one group's.
    """
    return _choose([m for m in measurements if m.point.strategy == "sequential" and m.samples], None)


def baselines(measurements: Sequence[Measurement]) -> list[Measurement | None]:
    """The baseline of every measurement (``baseline_among``'s rule), found in one pass."""
    sequential = _sequential(measurements)
    return [_choose(sequential.get(m.point.group_key(), []), m.point.tasks) for m in measurements]


def _sequential(measurements: Sequence[Measurement]) -> dict[tuple[object, ...], list[Measurement]]:
    """The sequential points that measured something, by ``Point.group_key()``."""
    found: dict[tuple[object, ...], list[Measurement]] = {}
    for m in measurements:
        if m.point.strategy == "sequential" and m.samples:
            found.setdefault(m.point.group_key(), []).append(m)
    return found


def _choose(sequential: Sequence[Measurement], tasks: int | None) -> Measurement | None:
    """``baseline_among``'s rule; among equals, the one whose native pools were left as they are.

    Else the most inner threads: one worker as it runs unless told otherwise, so that N workers ×
    1 native thread are compared with one worker using every core, not with one native thread.
    """
    if not sequential:
        return None
    same = [m for m in sequential if m.point.tasks == tasks]
    return sorted(same or sequential, key=lambda m: (m.point.tasks, inner_threads(m) or math.inf))[-1]


def inner_threads(measurement: Measurement) -> int:
    """The point's ``inner_threads``: native threads per worker it was limited to; 0: left as they were."""
    value = measurement.point.strategy_params.get("inner_threads", 0)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _pairs(samples: Sequence[Sample], baseline: Sequence[Sample]) -> list[tuple[Sample, float]]:
    """Each round's baseline sample and the throughput ratio against it, in round order."""
    by_round = {s.round: s for s in baseline if s.round is not None and s.throughput > 0}
    return [
        (by_round[s.round], s.throughput / by_round[s.round].throughput)
        for s in sorted(samples, key=lambda s: s.round if s.round is not None else -1)
        if s.round is not None and s.round in by_round
    ]


def paired_ratios(samples: Sequence[Sample], baseline: Sequence[Sample]) -> list[float]:
    """Per-round throughput ratios of ``samples`` against ``baseline``, in round order (see ``_pairs``)."""
    return [ratio for _, ratio in _pairs(samples, baseline)]


def median_interval(values: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """The median of ``values`` and a distribution-free 95% interval for it.

    Below 6 values no pair of order statistics reaches 95%, and the interval
    is the whole range (``analysis._stats.describe``).
    """
    stats = describe(values)
    return stats.median, (stats.ci_low, stats.ci_high)


def paired_blocks(samples: Sequence[Sample], baseline: Sequence[Sample]) -> list[list[float]]:
    """The per-round ratios (``paired_ratios``), in blocks of consecutive rounds that share a phase.

    Rounds are cut into blocks of at most ``_BLOCK_S`` seconds by their
    baseline sample's start time (and at most an eighth of the rounds'
    whole span, so that a short run still has blocks to count). Without
    start times (files written before rounds had them), each round is a
    block of its own.

    The span is the rounds' own: a pause between two rounds longer than a
    block (a group that went on after the other groups had their turn,
    ``orchestrate.share_out``) counts as one block's length. It still parts
    the rounds on each side of it, and it no longer widens their blocks: in
    a full tour here, the CPU lesson's 15 rounds (10, then 5 after a pause
    of 30 s) made 5 blocks of 2 s, too few for an interval (the range of
    every ratio, ±37%), where the same rounds without the pause make 8.
    """
    pairs = _pairs(samples, baseline)
    starts = [base.started_at for base, _ in pairs]
    known = [start for start in starts if start is not None]
    if not pairs or len(known) < len(starts):
        return [[ratio] for _, ratio in pairs]
    at = [0.0]
    for earlier, later in itertools.pairwise(known):
        at.append(at[-1] + min(max(later - earlier, 0.0), _BLOCK_S))
    width = min(_BLOCK_S, at[-1] / _FEWEST_BLOCKS)
    blocks: dict[int, list[float]] = {}
    for offset, (_, ratio) in zip(at, pairs, strict=True):
        blocks.setdefault(int(offset // width) if width > 0 else 0, []).append(ratio)
    return [blocks[key] for key in sorted(blocks)]


def drift(blocks: Sequence[Sequence[float]]) -> float | None:
    """How far the ratios moved over the rounds: the relative gap between the two halves' medians.

    The blocks (``paired_blocks``, in round order) are split into an earlier
    and a later half; the gap between the medians of each half's block
    medians, over the median of every ratio, is 0.0 where the machine's
    phases left the ratio alone and grows where a phase moved it (the count
    loop on 2 processes read 1.92 in one phase and 1.70 in another here).
    None below ``_FEWEST_DRIFT_BLOCKS`` blocks: too few to tell a drift from noise.
    """
    if len(blocks) < _FEWEST_DRIFT_BLOCKS:
        return None
    medians = [statistics.median(block) for block in blocks]
    half = len(medians) // 2
    centre = statistics.median([ratio for block in blocks for ratio in block])
    if centre <= 0:
        return math.inf
    return abs(statistics.median(medians[:half]) - statistics.median(medians[-half:])) / centre


def block_interval(blocks: Sequence[Sequence[float]]) -> tuple[float, tuple[float, float]]:
    """The median of all the ratios, and a 95% interval that accounts for the machine's phases.

    The interval is the distribution-free one (``median_interval``) over the
    blocks' medians, each block one observation: rounds a second apart saw
    the same phase of the machine and are not independent, so counting them
    one by one makes an interval too narrow. Measured here: six default
    runs of the count loop on 2 processes gave per-round intervals of
    [1.79, 1.96] and [1.61, 1.78], which exclude each other. Below 6 blocks
    no pair of order statistics reaches 95%, and the interval is the range
    of every ratio. It always holds the median it is reported with.
    """
    ratios = [ratio for block in blocks for ratio in block]
    centre = statistics.median(ratios)
    if len(blocks) < _FEWEST_EXACT_BLOCKS:
        low, high = min(ratios), max(ratios)
    else:
        _, (low, high) = median_interval([statistics.median(block) for block in blocks])
    return centre, (min(low, centre), max(high, centre))


def relative_half_width(centre: float, interval: tuple[float, float]) -> float:
    """Half the interval's width, relative to its centre: 0.05 is ±5%."""
    if centre <= 0:
        return math.inf
    return (interval[1] - interval[0]) / 2 / centre


def speedup(measurement: Measurement, baseline: Measurement) -> tuple[float, tuple[float, float], int] | None:
    """The speedup of ``measurement`` over ``baseline``, its 95% interval, and the rounds paired.

    Paired round by round where both were measured in rounds, else the
    ratio of their medians (rounds paired: 0). None when a throughput is 0.
    """
    if measurement is baseline:
        return 1.0, (1.0, 1.0), len(measurement.samples)
    blocks = paired_blocks(measurement.samples, baseline.samples)
    if blocks:
        centre, interval = block_interval(blocks)
        return centre, interval, sum(len(block) for block in blocks)
    if not measurement.samples or not baseline.samples:
        return None
    mine = describe([s.throughput for s in measurement.samples])
    base = describe([s.throughput for s in baseline.samples])
    if base.median <= 0 or base.ci_low <= 0:
        return None
    return mine.median / base.median, (mine.ci_low / base.ci_high, mine.ci_high / base.ci_low), 0


def summary(measurement: Measurement, baseline: Measurement | None = None) -> Summary | None:
    """Summarise a point's samples, its speedup against ``baseline`` (a sequential point) if given.

    Returns:
        None when the point has no samples (it failed before any).
    """
    samples = measurement.samples
    if not samples:
        return None
    walls = [s.wall_s for s in samples]
    rss = [s.max_rss_bytes for s in samples if s.max_rss_bytes is not None]
    spawn = [s.spawn_s for s in samples if s.spawn_s is not None]
    paired = speedup(measurement, baseline) if baseline is not None else None
    spans = [s.spans for s in samples]
    latencies = [d for sp in spans for d, ok in zip(sp.durations(), sp.ok, strict=True) if ok]
    io = [w for sp in spans for w in sp.io_waits() if w is not None]
    waiting = [w for w in (sp.waiting_share() for sp in spans) if w is not None]
    gil = [s.gil_contention for s in samples if s.gil_contention is not None]
    by_worker: dict[str, tuple[float, float]] = {}
    for sp in spans:
        for label, (task_wall, task_cpu) in sp.per_worker().items():
            total = by_worker.get(label, (0.0, 0.0))
            by_worker[label] = (total[0] + task_wall, total[1] + task_cpu)
    on_cpu = [busy / wall for wall, busy in by_worker.values() if wall >= _RESOLVABLE_TASK_S]
    if any(share > _MOST_ON_CPU for share in on_cpu):
        on_cpu = []  # the thread clock could not resolve these tasks: no share to show
    return Summary(
        wall_median_s=statistics.median(walls),
        wall_min_s=min(walls),
        wall_max_s=max(walls),
        throughput_median=statistics.median(s.throughput for s in samples),
        cpu_per_wall=cpu_per_wall(samples),
        speedup_vs_sequential=None if paired is None else paired[0],
        peak_rss_bytes=max(rss) if rss else None,
        spawn_median_s=statistics.median(spawn) if spawn else None,
        latency_p50_s=percentile(latencies, 50),
        latency_p99_s=percentile(latencies, 99),
        io_p50_s=percentile(io, 50),
        io_p99_s=percentile(io, 99),
        waiting_share=statistics.median(waiting) if waiting else None,
        thread_on_cpu_min=min(on_cpu) if on_cpu else None,
        thread_on_cpu_max=max(on_cpu) if on_cpu else None,
        gil_contention=statistics.median(gil) if gil else None,
        speedup_vs_sequential_ci=None if paired is None else paired[1],
        speedup_rounds=0 if paired is None else paired[2],
    )


def summarise(result: Result) -> tuple[tuple[Measurement, Summary | None], ...]:
    """Every measurement of ``result`` with its summary, speedups computed within it."""
    found = baselines(result.measurements)
    return tuple((m, summary(m, base)) for m, base in zip(result.measurements, found, strict=True))
