"""The machine-noise monitor: how steady the machine was while a run measured.

The speedups threadlab reports are only as good as the machine under them:
on the shared 2-core machines it was built on, identical CPU work takes 1× to
2× as long from one minute to the next, and the host can take a whole core
away for seconds (shared/DESIGN.md, "Measurement principle"). So a
:class:`NoiseMonitor` watches every run and stores raw readings
(``MachineNoise``; what they mean is ``analysis``'s)::

    start()                 between_rounds() × R                  finish()
    capacity probe          calibration loop (CPU time)           capacity probe
      then: /proc/stat,     clock frequency                       after: /proc/stat,
      own CPU, clock,       ...                                   own CPU, clock,
      frequency                                                   frequency
              |<------------------- the run's span ------------------->|

* capacity: the same GIL-releasing C loop (sha256 over 1 MiB, repeated) timed
  on 1 thread and then on every core at once; ``cores × wall(1) / wall(all)``
  is how many cores really ran in parallel.
* calibration: a fixed pure-Python loop timed in CPU time: identical work,
  so its spread is the machine's speed variation.
* steal and other programs: ``/proc/stat`` jiffies over the span, less this
  process's own CPU and that of its reaped children (the run's workers); the
  readers of ``/proc`` and ``/sys`` are in ``_proc``.

The probes stay outside the span, so their own CPU is not counted as the
run's; the calibrations are inside it, but in this process's CPU time, so
they are subtracted with the rest. Where the platform offers no reading
(``/proc`` and ``/sys`` off Linux, ``resource`` on Windows) it is None, never 0.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import threading
import time

from threadlab.model import MachineNoise
from threadlab.orchestrate._proc import (
    clock_ticks,
    others_cores,
    own_cpu_s,
    read_cpu_mhz,
    read_proc_stat,
    steal_share,
)

# The capacity probe's buffer. One sha256 update over it took 0.7–1.1 ms here (2-core VM,
# CPython 3.11): long enough that the GIL, released for any update above 2 KiB, is off
# for all of it, and short enough to repeat into a probe of a chosen length.
_HASH_BUFFER_BYTES = 1 << 20
_HASH_BUFFER = bytes(_HASH_BUFFER_BYTES)
# Wall time the single-thread half of a probe aims for. The parallel half takes as long
# on an idle machine and twice as long when the host holds one of 2 cores, so one probe
# takes 0.12–0.18 s there: short against a run, long against the 1-4 ms scheduler slices.
_PROBE_TARGET_S = 0.06
# Updates timed to size the probe (3–4 ms here), after one untimed warm-up update.
_PROBE_SIZING_UPDATES = 4
# Bounds on the updates of one probe: never so few that the clock's resolution or thread
# start-up shows, never so many that a wildly slow sizing makes the probe last seconds.
_PROBE_MIN_UPDATES = 8
_PROBE_MAX_UPDATES = 2000

# Iterations of the calibration loop. A constant, never sized to the machine, so that
# timings of different runs and machines compare: 100_000 took 6.0–6.6 ms of CPU here,
# so 60_000 takes about 3.5–4 ms, cheap enough to run between every two rounds.
_CALIBRATION_ITERATIONS = 60_000


def usable_cores() -> int:
    """The logical CPUs this process may run on, at least 1: its affinity mask's (a container or
    ``taskset`` may allow fewer than the machine has) where the platform has one, else ``os.cpu_count()``."""
    with contextlib.suppress(AttributeError, OSError):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def capacity(cores: int, single_wall_s: float, parallel_wall_s: float) -> float:
    """How many cores ran in parallel, from one probe's two wall times: ``cores × single_wall_s /
    parallel_wall_s``, unclamped (a value a little above ``cores`` is what was measured).

    Raises:
        ValueError: ``cores`` below 1, or a wall time that is not a finite
            number above 0.
    """
    if cores < 1:
        raise ValueError(f"cores must be 1 or more, not {cores!r}")
    for name, value in (("single_wall_s", single_wall_s), ("parallel_wall_s", parallel_wall_s)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number above 0, not {value!r}")
    return cores * single_wall_s / parallel_wall_s


def _hash_updates(updates: int) -> None:
    digest = hashlib.sha256()
    for _ in range(updates):
        digest.update(_HASH_BUFFER)


def _hash_wall_s(threads: int, updates: int) -> float:
    """Wall time of ``threads`` threads each doing ``updates`` sha256 updates at once."""
    # Every thread is started and waiting before the clock starts, so thread
    # start-up is not timed; the clock stops when the last one is done.
    ready = threading.Barrier(threads + 1)

    def work() -> None:
        ready.wait()
        _hash_updates(updates)

    pool = [threading.Thread(target=work, name=f"threadlab-noise-{i}", daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    start = time.perf_counter()
    ready.wait()
    for thread in pool:
        thread.join()
    return time.perf_counter() - start


def probe_updates() -> int:
    """How many sha256 updates of 1 MiB take about ``_PROBE_TARGET_S`` on one thread here (8 to 2000)."""
    _hash_updates(1)  # untimed: the first pass over the buffer faults its pages in
    start = time.perf_counter()
    _hash_updates(_PROBE_SIZING_UPDATES)
    per_update_s = (time.perf_counter() - start) / _PROBE_SIZING_UPDATES
    if per_update_s <= 0:
        return _PROBE_MAX_UPDATES
    wanted = math.ceil(_PROBE_TARGET_S / per_update_s)
    return min(_PROBE_MAX_UPDATES, max(_PROBE_MIN_UPDATES, wanted))


def measure_capacity(cores: int, updates: int) -> float:
    """One capacity probe: ``updates`` sha256 updates on 1 thread, then on ``cores`` threads at once."""
    return capacity(cores, _hash_wall_s(1, updates), _hash_wall_s(cores, updates))


def time_calibration() -> float:
    """Seconds of ``time.thread_time`` for one pass of the fixed calibration loop: on-CPU time only, so
    a slower value means a slower CPU (clock, cache, a busy sibling hyperthread), not a descheduled one."""
    start = time.thread_time()
    total = 0
    for i in range(_CALIBRATION_ITERATIONS):
        total += i
    return max(0.0, time.thread_time() - start)


class NoiseMonitor:
    """Watches the machine beside a run and fills a :class:`MachineNoise`.

    Call :meth:`start` before the run's first round, :meth:`between_rounds`
    after each round, and :meth:`finish` once the run's workers are reaped
    (their CPU is then in this process's children's usage, and is not
    counted as other programs'). Call it from one thread. A finished
    monitor may be started again; each start forgets the previous run.
    """

    def __init__(self) -> None:
        self._cores = usable_cores()
        self._updates: int | None = None
        self._started = False
        self._start_s = 0.0
        self._stat: tuple[int, ...] | None = None
        self._own_cpu_s: float | None = None
        self._capacity: list[float] = []
        self._calibration: list[float] = []
        self._mhz: list[float] = []  # every core's clock frequency, at every reading

    def start(self) -> None:
        """Take the readings at the start of a run, a capacity probe first (about 0.15 s)."""
        if self._updates is None:
            self._updates = probe_updates()
        self._capacity = [measure_capacity(self._cores, self._updates)]
        self._calibration = []
        self._mhz = list(read_cpu_mhz())
        self._stat = read_proc_stat()
        self._own_cpu_s = own_cpu_s()
        self._start_s = time.perf_counter()
        self._started = True

    def between_rounds(self) -> None:
        """Time the calibration loop once and read the clock frequency (a few ms).

        Raises:
            RuntimeError: the monitor was not started.
        """
        self._require_started("between_rounds")
        self._calibration.append(time_calibration())
        self._mhz += read_cpu_mhz()

    def finish(self, probe: bool = True) -> MachineNoise:
        """The run's readings: those at its end, then a capacity probe unless ``probe`` is False (the run's
        deadline has passed: advise's budget).

        Raises:
            RuntimeError: the monitor was not started (or already finished).
        """
        self._require_started("finish")
        elapsed_s = time.perf_counter() - self._start_s
        own_s = own_cpu_s()
        stat = read_proc_stat()
        self._mhz += read_cpu_mhz()
        assert self._updates is not None  # set by start()
        if probe:
            self._capacity.append(measure_capacity(self._cores, self._updates))
        self._started = False

        steal: float | None = None
        others: float | None = None
        if self._stat is not None and stat is not None:
            steal = steal_share(self._stat, stat)
            ticks = clock_ticks()
            if self._own_cpu_s is not None and own_s is not None and ticks is not None:
                others = others_cores(
                    self._stat,
                    stat,
                    own_cpu_s=own_s - self._own_cpu_s,
                    elapsed_s=elapsed_s,
                    clock_ticks=ticks,
                )
        return MachineNoise(
            cores=self._cores,
            capacity_cores=tuple(value for value in self._capacity if math.isfinite(value) and value >= 0),
            calibration_cpu_s=tuple(self._calibration),
            steal_share=steal,
            others_cores=others,
            cpu_mhz=(min(self._mhz), max(self._mhz)) if self._mhz else None,
            elapsed_s=max(0.0, elapsed_s),
        )

    def _require_started(self, method: str) -> None:
        if not self._started:
            raise RuntimeError(f"NoiseMonitor.{method}() called before start()")
