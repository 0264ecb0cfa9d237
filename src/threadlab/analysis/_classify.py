"""What kind of work a group measured, judged from its CPU/wall and its speedups.

A sequential CPU/wall clearly above 1 says that one task alone keeps several
cores busy: native code (BLAS, OpenMP) runs a pool of threads inside each
call, and the work is already parallel inside. Below that, the sequential
CPU/wall says whether the tasks mostly wait or mostly compute; for computing
work, whether threads gained (and kept more than one core busy) says whether
it releases the GIL, and a gain on a strategy with a GIL per worker
(``Strategy.shares_one_gil`` false) confirms that it holds it. Where the
threads' waits were measured (``Sample.waits``), their dominant wait decides
before any ratio: threads queueing on a lock are lock-bound whatever their
CPU/wall says (a lock around a sleep reads as waiting work), and threads
waiting for the GIL hold it. Where the measurements cannot tell, the kind is
``Kind.UNKNOWN``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from threadlab.analysis._group import Group, Measured
from threadlab.analysis._noise import NoiseReport
from threadlab.analysis._remedy import Remedy
from threadlab.analysis._verdict import REAL_GAIN, Fact, FactCode
from threadlab.analysis._waits import observed_waits
from threadlab.model import Measurement
from threadlab.worker import strategies as strategy_registry
from threadlab.worker._kinds import Kind

# Sequential CPU/wall below this: the tasks mostly wait (I/O-bound); above
# _CPU_BOUND they mostly compute. In between: mixed.
_IO_BOUND = 0.3
_CPU_BOUND = 0.7
# Threads whose CPU/wall is above this did compute in parallel (one GIL-bound
# thread at a time gives at most 1.0, plus a little for the interpreter's own threads).
_PARALLEL_CPU = 1.15
# One worker whose call keeps more cores than this busy (the median over its samples of the
# worker's CPU over its task thread's, else its CPU/wall) runs each call on several cores.
# One thread gives at most 1.0 plus the little of the interpreter's own threads (1.03-1.06
# measured with one BLAS thread), and CPU times are exact to a few ms: 1.3 leaves a margin
# over _PARALLEL_CPU. A 600×600 NumPy product measured 2.04 here (OpenBLAS, 2 threads).
PARALLEL_INSIDE_CPU = 1.3


@dataclass(frozen=True, slots=True)
class Classification:
    """What kind of work a workload is, judged from its measurements.

    Attributes:
        workload: the workload's label.
        python: the interpreter's label.
        kind: the kind of work; ``Kind.UNKNOWN`` where the measurements
            cannot tell. A ``str`` (``"cpu-holds-gil"``); ``kind.words`` is
            how people read it (``cpu-bound, holds the GIL``).
        evidence: the measured facts behind it, or what is missing to settle it, as
            data (``render/`` words them).
        remedies: what would settle or confirm it, as data (empty when nothing is missing).
    """

    workload: str
    python: str
    kind: Kind
    evidence: tuple[Fact, ...]
    remedies: tuple[Remedy, ...]


def own_gil(measurement: Measurement) -> bool | None:
    """Whether each worker ran under a GIL of its own: ``not Measurement.shares_one_gil``.

    The analysis may not import the orchestrator's registry, which knows every strategy. A file
    written before it was recorded is answered by the worker's registry, which knows its own;
    for any other (dask there) it is unknown (None), and the point is compared on neither side.
    """
    if measurement.shares_one_gil is not None:
        return not measurement.shares_one_gil
    try:
        return not strategy_registry.get(measurement.point.strategy).shares_one_gil
    except (KeyError, ImportError):
        return None


def parallel_inside(group: Group) -> tuple[Measured, float] | None:
    """The sequential point whose call kept most cores busy, and how many, if above ``PARALLEL_INSIDE_CPU``.

    The cores are ``cores_per_call``, which holds where other programs held the cores (CPU/wall then
    falls below what the call used while it ran); CPU/wall stands in where the tasks' own CPU time
    was not measured.
    """
    found = [
        (m, busy)
        for m in group.members
        if m.strategy == "sequential"
        for busy in (m.cores_per_call if m.cores_per_call is not None else m.cpu_per_wall,)
        if busy is not None
    ]
    busiest = max(found, key=lambda pair: pair[1], default=None)
    if busiest is None or busiest[1] <= PARALLEL_INSIDE_CPU:
        return None
    return busiest


def _parallel(group: Group, own: bool) -> list[Measured]:
    """The points with 2+ workers whose strategy does (or does not) give each worker a GIL of its own."""
    return [
        m
        for m in group.members
        if m.strategy != "sequential" and m.workers >= 2 and own_gil(m.measurement) is own
    ]


def _best_parallel(group: Group, own: bool) -> tuple[Measured, float] | None:
    """Of ``_parallel(group, own)``, the point with the best speedup, and that speedup."""
    found = [(m, m.speedup) for m in _parallel(group, own) if m.speedup is not None]
    return max(found, key=lambda pair: pair[1], default=None)


def _cpu_per_task(measured: Measured) -> float | None:
    """The median over a point's samples of its CPU time per task; None where not measured."""
    found = [s.cpu_s / s.tasks for s in measured.measurement.samples if s.cpu_s is not None and s.tasks > 0]
    return statistics.median(found) if found else None


def _free_threaded_cpu(group: Group) -> Fact | None:
    """On a build without a GIL: CPU per task of sequential and of its widest threads point.

    No GIL means no GIL waits: threads that contend (on a lock, on memory, on reference counts
    of shared objects) show it as CPU per task that grows with the workers.
    """
    base = group.baseline()
    threads = [m for m in _parallel(group, own=False) if without_gil(m.measurement)]
    if base is None or not threads:
        return None
    widest = max(threads, key=lambda m: m.workers)
    alone, many = _cpu_per_task(base), _cpu_per_task(widest)
    if alone is None or many is None:
        return None
    return Fact(FactCode.CPU_PER_TASK, widest.name, widest.workers, many, alone)


def without_gil(measurement: Measurement) -> bool:
    """Whether the point ran on a free-threaded build with its GIL off."""
    interpreter = measurement.interpreter
    return interpreter is not None and interpreter.free_threaded and not interpreter.gil_enabled


def _wait_fact(group: Group) -> Fact | None:
    """The threads' dominant wait where it is a lock or the GIL, as a fact citing its share and line.

    A lock: at any count of threads, the first where it dominates. W threads queueing on a
    lock around a sleep wait (W-1)/W of their time on it; at 2 it ties with the sleep (lock
    41%, sleep 55% on waits_tasks.locked_sleep, 3.11, advise --budget 30), at 4 it dominates
    (59%). The GIL: only at the fewest threads. Work that releases the GIL still queues to take
    it back between calls when many threads share it: sha256 of 4 MB waited 15-32% for it on
    8-32 threads, 0.6% on 2 (same run).
    """
    found = sorted(
        (
            (m, waits)
            for m in _parallel(group, own=False)
            for waits in (observed_waits(m.measurement),)
            if waits is not None
        ),
        # ``threads`` before ``thread-pool`` at the same count: the plain threads are what people read.
        key=lambda pair: (pair[0].workers, pair[0].strategy != "threads"),
    )
    for point, waits in found:
        line = waits.top_line("lock")
        # Where the waiting threads were in no frame of the user's code (file ""), the lock is
        # the pool's own: its idle workers waiting for their next task (concurrent.futures'
        # _worker, 16% of thread-pool x4's time on sha256 of 4 MB at load 2), not the user's.
        if waits.dominant == "lock" and (line is None or line.file):
            return Fact(FactCode.WAITS_LOCK, point.name, point.workers, waits.share("lock"), line=line)
    if found and found[0][1].dominant == "gil":
        point, waits = found[0]
        return Fact(
            FactCode.WAITS_GIL, point.name, point.workers, waits.share("gil"), line=waits.top_line("gil")
        )
    return None


def classify(group: Group, cpu_count: int | None, noise: NoiseReport | None = None) -> Classification:
    """Judge the kind of work from the measured CPU/wall and speedups.

    Where the machine gave clearly fewer cores in parallel than it has
    (``noise.capacity_low``), computing work that did not gain on threads is
    not called GIL-bound unless something with a GIL per worker gained.
    """

    def judged(kind: Kind, evidence: Sequence[Fact], *remedies: Remedy) -> Classification:
        return Classification(group.label, group.python, kind, tuple(evidence), remedies)

    base = group.baseline()
    if base is None or base.cpu_per_wall is None:
        return judged(Kind.UNKNOWN, [Fact(FactCode.NO_SEQUENTIAL)], Remedy.ADD_SEQUENTIAL)
    cpu = base.cpu_per_wall
    evidence = [Fact(FactCode.SEQUENTIAL_CPU, value=cpu)]
    threads = _best_parallel(group, own=False)
    separate = _best_parallel(group, own=True)
    if threads:
        point, gain = threads
        evidence.append(Fact(FactCode.THREADS, point.name, point.workers, gain, point.cpu_per_wall))
    if separate:
        evidence.append(Fact(FactCode.OWN_GIL, separate[0].name, separate[0].workers, separate[1]))
    free = _free_threaded_cpu(group)
    if free is not None:
        evidence.append(free)
    found = parallel_inside(group)
    if found is not None:
        inside, busy = found
        native = inside.measurement.native
        pool = None if native is None else native.most_threads()
        evidence[0] = Fact(FactCode.BUSY_INSIDE, inside.name, 1, busy, inside.cpu_per_wall, pool=pool)
        return judged(Kind.PARALLEL_INSIDE, evidence)
    waited = _wait_fact(group)
    if waited is not None and waited.code is FactCode.WAITS_LOCK:
        return judged(Kind.LOCK, [*evidence, waited])
    if waited is not None:
        evidence.append(waited)
    parallel = threads is not None and (threads[0].cpu_per_wall or 0.0) > _PARALLEL_CPU
    if waited is not None and threads is not None and not parallel and cpu_count != 1:
        # Threads that queued for the GIL and did not compute in parallel hold it (a "gain"
        # without parallel work is the machine's noise: count_loop's threads ×4 read 1.43× at
        # CPU/wall 0.89 on a loaded 2-core machine, its ×2 waiting 32% for the GIL): they wanted to compute,
        # whatever CPU/wall a loaded machine gave sequential (0.41 for count_loop beside other
        # runs, its threads runnable 59% of the time), and no loaded machine nor a missing point
        # with a GIL per worker leaves it unsettled: the wait was seen.
        return judged(Kind.CPU_HOLDS_GIL, evidence)
    if cpu < _IO_BOUND:
        return judged(Kind.IO, evidence)
    if cpu < _CPU_BOUND:
        return judged(Kind.MIXED, evidence)
    if threads is None:
        return judged(Kind.UNKNOWN, [*evidence, Fact(FactCode.NO_THREADS)], Remedy.ADD_THREADS)
    return _computing(evidence, threads, separate, cpu_count, noise, judged)


def _computing(
    evidence: list[Fact],
    threads: tuple[Measured, float],
    separate: tuple[Measured, float] | None,
    cpu_count: int | None,
    noise: NoiseReport | None,
    judged: Callable[..., Classification],
) -> Classification:
    """Computing work with a thread point measured: does it release the GIL, hold it, or is it unclear."""
    if cpu_count is not None and cpu_count < 2:
        return judged(Kind.UNKNOWN, [*evidence, Fact(FactCode.ONE_CPU)], Remedy.MORE_CORES)
    thread_cpu = threads[0].cpu_per_wall
    # A gain is the median speedup alone reaching ``REAL_GAIN``, not ``gain`` on its interval: a
    # kind is judged from what the work did at the median. On its interval, compress on threads
    # in tests/data/kinds-here.json (1.58×, 95% CI 1.04–2.03×, 1.75 cores busy) would be no clear
    # gain, and a kind unknown, where its physics (zlib releases the GIL) is plain.
    gained = threads[1] >= REAL_GAIN
    if gained and (thread_cpu is None or thread_cpu > _PARALLEL_CPU):
        return judged(Kind.CPU_RELEASES_GIL, evidence)
    if gained:
        fact = Fact(FactCode.GAIN_WITHOUT_PARALLEL, value=thread_cpu)
        return judged(Kind.UNKNOWN, [*evidence, fact], Remedy.QUIETER_MACHINE)
    if thread_cpu is not None and thread_cpu > _PARALLEL_CPU:
        fact = Fact(FactCode.PARALLEL_WITHOUT_GAIN, value=thread_cpu)
        return judged(Kind.UNKNOWN, [*evidence, fact], Remedy.QUIETER_MACHINE)
    if noise is not None and noise.capacity_low and (separate is None or separate[1] < REAL_GAIN):
        fact = Fact(FactCode.CAPACITY_LOW, workers=noise.cores, value=noise.capacity)
        return judged(Kind.UNKNOWN, [*evidence, fact], Remedy.QUIETER_MACHINE)
    if separate is None:
        return judged(Kind.CPU_HOLDS_GIL, [*evidence, Fact(FactCode.NO_OWN_GIL)], Remedy.ADD_GIL_PER_WORKER)
    return judged(Kind.CPU_HOLDS_GIL, evidence)
