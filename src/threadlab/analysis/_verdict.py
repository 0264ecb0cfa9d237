"""The analysis's verdicts as data: a speedup with its interval, and the facts behind an answer.

A classification's evidence and a recommendation's reasons are :class:`Fact`
values, a code with the figures it cites; ``render/_advice.py`` words them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from threadlab.model import NativePool, WaitLine
from threadlab.worker._kinds import Kind

# The one rule for "is this a gain", on a speedup's 95% interval (``gain``). A gain: the low
# end above 1.05. The interval is paired round by round, so it has already taken the
# machine's drift out; the bar only keeps out gains too small to be worth a strategy (5%).
CLEAR_GAIN = 1.05
# No gain worth having: the high end at or below 1.3. One run on these machines moves by
# ±10-20% (the noise lines of tests/data/kinds-*.json), so an interval that cannot reach 1.3×
# rules out a gain that would show; one that does may still hide one (more rounds would tell).
REAL_GAIN = 1.3


@dataclass(frozen=True, slots=True)
class Speedup:
    """A point's throughput against sequential, with its conservative 95% interval.

    Attributes:
        value: the median of the per-round ratios, or the ratio of the median throughputs.
        low, high: the interval's ends.
        rounds: how many per-round ratios were paired; 0 where the ratio is of the medians.
    """

    value: float
    low: float
    high: float
    rounds: int = 0

    @classmethod
    def of(cls, value: float, bounds: tuple[float, float] | None, rounds: int = 0) -> Speedup:
        """A speedup and its interval; one without an interval is its own (``value``–``value``)."""
        low, high = bounds if bounds is not None else (value, value)
        return cls(value, low, high, rounds)


def gain(speedup: Speedup) -> bool | None:
    """Whether a speedup is a gain: True where clearly (low end above ``CLEAR_GAIN``), False
    where none worth having (high end at or below ``REAL_GAIN``), None where its interval
    cannot tell (it spans both)."""
    if speedup.low > CLEAR_GAIN:
        return True
    if speedup.high <= REAL_GAIN:
        return False
    return None


class FactCode(enum.StrEnum):
    """What a :class:`Fact` says; the figures it carries are named on each member.

    Members:
        NO_SEQUENTIAL: no sequential point with CPU time measured.
        SEQUENTIAL_CPU: ``value``, the sequential CPU/wall.
        THREADS: the best shared-GIL point (``point``, ``workers``):
            ``value`` its speedup, ``other`` its CPU/wall.
        OWN_GIL: the best point with a GIL per worker: ``value`` its speedup.
        BUSY_INSIDE: a one-worker point whose call keeps ``value`` cores
            busy, ``other`` its CPU/wall, ``pool`` its busiest native pool.
        NO_THREADS: no thread point with 2+ workers.
        ONE_CPU: the machine has one CPU.
        GAIN_WITHOUT_PARALLEL: threads gained yet kept only ``value`` cores busy.
        PARALLEL_WITHOUT_GAIN: threads kept ``value`` cores busy without a gain.
        CAPACITY_LOW: the machine gave ``value`` of its ``workers`` cores in parallel.
        NO_OWN_GIL: nothing with a GIL per worker was measured.
        ONE_CALL_BUSY: one call of a one-worker point keeps ``value`` cores
            busy; ``pool`` its busiest native pool.
        NO_WORKERS: no strategy was measured with 2 or more workers.
        NO_BASELINE: no sequential baseline was measured.
        MEASURED: the chosen point and its ``speedup``.
        CLASSIFIED: the work's ``kind``.
        NO_GIL: the work's ``kind`` (cpu-bound, releases the GIL), and it ran in parallel on
            threads because the build has no GIL (a free-threaded build with its GIL off).
        GIL_ON: a free-threaded build ``python`` ran with its GIL on, for the ``cause``
            the worker recorded (None: not recorded).
        FEWER_WORKERS: ``workers`` gave ``value`` times the chosen point's
            speedup, within ``other`` (a share): the fewer workers win.
        SHORT_TASKS: the median task takes ``value`` seconds.
        LEFT_OUT: a point (``speedup``) run on top of native pools that use the cores.
        WAITS_LOCK: the threads point (``point``, ``workers``) spent ``value`` of its threads'
            time waiting on a lock, most at ``line``: the dominant wait.
        WAITS_GIL: the threads point (``point``, ``workers``) spent ``value`` of its threads'
            time waiting for the GIL, most at ``line``: the dominant wait.
        LOCK_HELD: the chosen point (``point``) gives each worker a lock of its own: it helps
            only where the lock guards nothing the workers share.
        CPU_PER_TASK: on a build without a GIL, the threads point (``point``, ``workers``)
            spent ``value`` CPU seconds per task, against ``other`` on one worker: contention
            there shows as CPU per task that grows with the workers, not as GIL waits.
        SPLIT: the chosen split, ``workers`` × ``inner`` native threads, ``speedup``
            against one worker with all its native threads.
    """

    NO_SEQUENTIAL = "no-sequential"
    SEQUENTIAL_CPU = "sequential-cpu"
    THREADS = "threads"
    OWN_GIL = "own-gil"
    BUSY_INSIDE = "busy-inside"
    NO_THREADS = "no-threads"
    ONE_CPU = "one-cpu"
    GAIN_WITHOUT_PARALLEL = "gain-without-parallel"
    PARALLEL_WITHOUT_GAIN = "parallel-without-gain"
    CAPACITY_LOW = "capacity-low"
    NO_OWN_GIL = "no-own-gil"
    ONE_CALL_BUSY = "one-call-busy"
    NO_WORKERS = "no-workers"
    NO_BASELINE = "no-baseline"
    MEASURED = "measured"
    CLASSIFIED = "classified"
    NO_GIL = "no-gil"
    GIL_ON = "gil-on"
    FEWER_WORKERS = "fewer-workers"
    SHORT_TASKS = "short-tasks"
    LEFT_OUT = "left-out"
    SPLIT = "split"
    WAITS_LOCK = "waits-lock"
    WAITS_GIL = "waits-gil"
    LOCK_HELD = "lock-held"
    CPU_PER_TASK = "cpu-per-task"


@dataclass(frozen=True, slots=True)
class Fact:
    """One measured fact behind a classification or a recommendation, as data.

    Attributes:
        code: what it says.
        point: the point it is about (``threads``, ``dask (threads_per_worker=2)``); empty if none.
        workers: that point's workers (a core count for ``CAPACITY_LOW``).
        value, other: the figures it cites (see :class:`FactCode`).
        speedup: the point's speedup, where it cites one.
        kind: the kind of work (``CLASSIFIED``).
        inner: native threads per worker (``SPLIT``).
        pool: the busiest native pool (``BUSY_INSIDE``, ``ONE_CALL_BUSY``), where one is known.
        python: the Python's version (``GIL_ON``).
        cause: why a free-threaded build had its GIL on (``GIL_ON``); None where not recorded.
        line: the line holding most of the wait (``WAITS_LOCK``, ``WAITS_GIL``), where one was found.
    """

    code: FactCode
    point: str = ""
    workers: int = 0
    value: float | None = None
    other: float | None = None
    speedup: Speedup | None = None
    kind: Kind | None = None
    inner: int = 0
    pool: NativePool | None = None
    python: str = ""
    cause: str | None = None
    line: WaitLine | None = None
