"""The data model, part two: a point's measurement, the spec, and the whole result.

See ``_data`` for the chain from ``Spec`` to ``Result``. Data only, like the
rest of the model: ``threadlab.analysis`` computes each ``Summary``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from threadlab.model._data import (
    DEFAULT_MAX_TIME_S,
    DEFAULT_PRECISION,
    Count,
    Gil,
    Interpreter,
    MaybeCount,
    MaybeSeconds,
    Params,
    Point,
    PointError,
    Positive,
    RoundsEnd,
    Sample,
    Seconds,
    Share,
    Status,
    _require,
)
from threadlab.model._schema import Checked, Range, check_fields
from threadlab.worker._native import LIBRARIES


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one point most people want, derived from its samples.

    Attributes:
        wall_median_s, wall_min_s, wall_max_s: wall time over the samples.
        throughput_median: median over samples of tasks done per second.
        cpu_per_wall: median over samples of CPU time / wall time (1.0 = one
            core busy; 0 = waiting; above 1 = parallel work), None if unmeasured.
        speedup_vs_sequential: throughput against the group's sequential
            point (``Point.group_key``; the same task count where there is
            one): the median of the per-round ratios, or without rounds the
            ratio of the median throughputs. None without a sequential point.
        speedup_vs_sequential_ci: its distribution-free 95% interval,
            ``(low, high)``: order statistics of the per-round ratios, or
            without rounds the conservative ratio of the two medians' intervals.
        speedup_rounds: how many rounds paired the point with its baseline
            (0: not paired).
        peak_rss_bytes: largest peak RSS over the samples.
        spawn_median_s: median worker start-up time, where measured.
        latency_p50_s, latency_p99_s: percentiles of task latency (end −
            start) over the tasks that returned, all samples pooled.
        io_p50_s, io_p99_s: percentiles of the I/O wait the tasks measured
            themselves (``TaskSpans.io_s``), where they reported one.
        waiting_share: median over samples of ``TaskSpans.waiting_share``;
            None where task CPU time is not measured (asyncio).
        thread_on_cpu_min, thread_on_cpu_max: the lowest and highest share
            of its task time one worker spent on a CPU (its tasks' CPU time
            over their wall time, samples pooled by worker label).
        gil_contention: median of the samples' gilknocker metric, where
            measured.
    """

    wall_median_s: float
    wall_min_s: float
    wall_max_s: float
    throughput_median: float
    cpu_per_wall: float | None
    speedup_vs_sequential: float | None
    peak_rss_bytes: int | None
    spawn_median_s: float | None
    latency_p50_s: float | None = None
    latency_p99_s: float | None = None
    io_p50_s: float | None = None
    io_p99_s: float | None = None
    waiting_share: float | None = None
    thread_on_cpu_min: float | None = None
    thread_on_cpu_max: float | None = None
    gil_contention: float | None = None
    speedup_vs_sequential_ci: tuple[float, float] | None = None
    speedup_rounds: int = 0


@dataclass(frozen=True, slots=True)
class NativePool(Checked):
    """One native thread pool a worker had loaded, as threadpoolctl's ``threadpool_info()`` said.

    Attributes:
        library: threadpoolctl's ``internal_api``: ``openblas``, ``mkl``, ``blis``, ``openmp``...
        api: its ``user_api``: ``blas`` or ``openmp``.
        threads: how many threads the pool runs a call on.
        version: the library's version, where it says.
    """

    library: str
    api: str
    threads: Count
    version: str | None = None

    @property
    def name(self) -> str:
        """``OpenBLAS``: the library as people write it."""
        return LIBRARIES.get(self.library, (self.library, ""))[0]

    @property
    def variable(self) -> str:
        """``OPENBLAS_NUM_THREADS``: the environment variable that sets its thread count."""
        return LIBRARIES.get(self.library, ("", "OMP_NUM_THREADS"))[1]


@dataclass(frozen=True, slots=True)
class NativeThreads(Checked):
    """What a point's worker saw of native thread pools (BLAS, OpenMP) after its warm-ups.

    Attributes:
        pools: each pool loaded in the worker process; None where threadpoolctl
            was not importable there (what was loaded is then unknown).
        variables: the thread-count variables set in the worker's environment
            (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``...: ``worker._native.THREAD_VARIABLES``),
            by name; ``inner_threads`` sets them all.
    """

    pools: tuple[NativePool, ...] | None
    variables: Mapping[str, str] = field(default_factory=dict)

    def most_threads(self) -> NativePool | None:
        """The pool with the most threads (BLAS before OpenMP at a tie), None without pools."""
        if not self.pools:
            return None
        return max(self.pools, key=lambda p: (p.threads, p.api == "blas"))


@dataclass(frozen=True, slots=True)
class Measurement(Checked):
    """All that was measured of one point.

    Attributes:
        point: what was measured.
        status: ``ok``; ``errors`` (some tasks raised); ``timeout``;
            ``crashed``; ``failed`` (refused or worker error); ``interrupted``
            (Ctrl-C). Samples measured before a failure are kept.
        interpreter: the Python that ran it, as the worker reported; None if
            the worker never started.
        samples: the timed repeats.
        warmups: the discarded warm-up runs, kept apart.
        errors: what went wrong, if anything.
        elapsed_s: the whole point from the orchestrator's side, worker
            start-up and protocol included.
        shares_one_gil: whether every worker of the point's strategy ran
            under one GIL (``Strategy.shares_one_gil``: threads yes,
            processes, subinterpreters and dask no), so that the analysis
            need not look it up; None where unknown (version-1 files, hand-built).
        startup_s: where the strategy opened what every sample shares (a
            warm pool, a Dask cluster: ``start=warm``), the seconds from
            starting it to the first task done, kept out of every sample and
            so of throughput; None where each sample starts its own, and in
            older files.
        native: the native thread pools the worker saw, and the variables
            that size them; None where not recorded (older files, a worker
            that never got ready).
    """

    point: Point
    status: Status
    interpreter: Interpreter | None = None
    samples: tuple[Sample, ...] = ()
    warmups: tuple[Sample, ...] = ()
    errors: tuple[PointError, ...] = ()
    elapsed_s: MaybeSeconds = None
    shares_one_gil: bool | None = None
    startup_s: MaybeSeconds = None
    native: NativeThreads | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """What to measure: workloads × strategies × worker counts, and how.

    Attributes:
        workloads: workload names.
        strategies: strategy names.
        workers: worker counts to sweep.
        tasks: total tasks per point; None gives each worker one task (T = W).
        repeat: the fewest rounds: every point gets at least this many timed
            samples, whatever the precision reached.
        warmup: discarded runs before them.
        params: ``--param`` values, by key; each applies to the workloads and
            strategies that declare it.
        timeout_s: a sample (or a point's start and warm-ups) still running
            after this long is killed, the point timed out; None: never.
        python: the executable workers run under (the first of ``pythons``).
        max_workers: raises the safe worker limit of every strategy to this.
        pythons: every executable to run the points under, each point once
            per Python; empty: ``python`` alone.
        gil: ``--gil``: ``off``/``on`` for free-threaded builds, ``default``
            for each build's own default.
        precision: the relative half-width every point's 95% speedup
            interval should reach (0.05: ±5%) before the rounds stop.
        max_time_s: seconds of measuring the whole run may take, shared out
            among its groups of points; rounds stop when it is spent (but
            never before ``repeat`` rounds).
        parts: where the points are not one cross product (the tour's
            lessons, ``advise`` under several Pythons), the specs that make
            them, in order, without parts of their own; this spec's
            workloads, strategies and workers are their union. Empty: the
            cross product.
    """

    workloads: tuple[str, ...]
    strategies: tuple[str, ...]
    workers: tuple[Positive, ...]
    tasks: Annotated[int | None, Range(1)] = None
    repeat: Positive = 5
    warmup: Count = 1
    params: Params = field(default_factory=dict)
    timeout_s: Annotated[float | None, Range(0, above=True)] = 600.0
    python: str = ""
    max_workers: Annotated[int | None, Range(1)] = None
    pythons: tuple[str, ...] = ()
    gil: Gil = "default"
    precision: Annotated[float, Range(0, 1, above=True)] = DEFAULT_PRECISION
    max_time_s: Annotated[float, Range(0, above=True)] = DEFAULT_MAX_TIME_S
    parts: tuple[Spec, ...] = ()

    def __post_init__(self) -> None:
        check_fields(self)
        _require(all(not part.parts for part in self.parts), "a spec's parts have no parts of their own")
        _require(bool(self.workloads), "a spec needs at least one workload")
        _require(bool(self.strategies), "a spec needs at least one strategy")
        _require(bool(self.workers), "a spec needs at least one worker count")


def composite(parts: tuple[Spec, ...], **shared: Any) -> Spec:
    """A spec made of ``parts`` (each planned on its own), their names and counts united.

    ``shared`` sets the run-wide fields: precision, max_time_s, timeout_s.
    """
    _require(bool(parts), "a composite spec needs at least one part")
    return Spec(
        workloads=tuple(dict.fromkeys(w for part in parts for w in part.workloads)),
        strategies=tuple(dict.fromkeys(s for part in parts for s in part.strategies)),
        workers=tuple(sorted({w for part in parts for w in part.workers})),
        repeat=min(part.repeat for part in parts),
        warmup=min(part.warmup for part in parts),
        python=parts[0].python,
        pythons=tuple(dict.fromkeys(p for part in parts for p in (part.pythons or (part.python,)))),
        parts=parts,
        **shared,
    )


@dataclass(frozen=True, slots=True)
class Environment(Checked):
    """Where a run happened: the orchestrating Python and the machine.

    Attributes:
        python_version, python_executable: the Python that ran threadlab.
        free_threaded: whether that Python is a free-threaded build.
        gil_enabled: whether its GIL was on.
        cpu_count: logical CPUs of the machine.
        platform: ``platform.platform()``.
        threadlab_version: the version that wrote the file.
        time: when the run started, ISO 8601 with time zone.
    """

    python_version: str
    python_executable: str
    free_threaded: bool
    gil_enabled: bool
    cpu_count: Annotated[int | None, Range(1)]
    platform: str
    threadlab_version: str
    time: str


@dataclass(frozen=True, slots=True)
class MachineNoise:
    """How much the machine itself moved while a run measured, as measured beside it.

    Raw readings, for ``threadlab.analysis.noise_report``; one the platform
    does not offer is None (or empty), never zero.

    Attributes:
        cores: logical CPUs the run could use.
        capacity_cores: each measurement of the parallel capacity the machine
            gave: the same C-level loop (hashlib, which releases the GIL) run
            once alone and once on every core at the same time; ``cores``
            times the ratio of the two wall times. 2.0 on an idle 2-core
            machine; lower when the host or other programs held cores.
        calibration_cpu_s: the CPU time a fixed pure-Python loop took, timed
            between rounds: identical work, so its spread is the machine's.
        steal_share: share of all CPU time the hypervisor stole over the run
            (``/proc/stat``); None off Linux.
        others_cores: cores' worth of CPU used by programs other than this
            run, on average over it; None where it cannot be told.
        cpu_mhz: the lowest and highest clock frequency seen on any core,
            where Linux exposes it; None elsewhere.
        elapsed_s: the span the readings cover.
    """

    cores: Positive
    capacity_cores: tuple[Seconds, ...] = ()
    calibration_cpu_s: tuple[Seconds, ...] = ()
    steal_share: Annotated[float | None, Range(0, 1)] = None
    others_cores: MaybeSeconds = None
    cpu_mhz: Annotated[tuple[float, float] | None, Range(0, above=True)] = None
    elapsed_s: Seconds = 0.0

    def __post_init__(self) -> None:
        check_fields(self)
        if self.cpu_mhz is not None:
            _require(
                len(self.cpu_mhz) == 2 and 0 < self.cpu_mhz[0] <= self.cpu_mhz[1],
                f"cpu_mhz must be (lowest, highest) above 0, not {self.cpu_mhz!r}",
            )


@dataclass(frozen=True, slots=True)
class Rounds(Checked):
    """How one group of compared points was measured in interleaved rounds.

    Attributes:
        points: the indices, in ``Result.measurements``, of the group's points.
        rounds: how many rounds ran (each took one sample of every point
            still running).
        elapsed_s: how long the rounds took, the workers' first start-ups
            and warm-ups aside (not those of workers started afresh within them).
        precision: the relative half-width the intervals were asked to reach.
        reached: the widest relative half-width among the group's points
            when the rounds ended (None when no interval could be computed).
        time_s: the seconds of measuring this group was given (where it went on
            with the time other groups left, what its first pass took and that).
        ended: why the rounds ended: ``precise`` (every interval tight
            enough), ``time`` (its time spent), ``interrupted`` (Ctrl-C) or
            ``failed`` (no point left running).
        most_live: the most workers kept alive at once, where a memory
            budget bounded them below the group's points (None: one
            worker per point, all alive).
        restarts: fresh workers started, each with its warm-ups, for points
            whose worker had been closed to stay within that budget (or
            whose group went on with the time other groups left).
    """

    points: tuple[Count, ...]
    rounds: Count
    elapsed_s: Seconds
    precision: Share
    reached: MaybeSeconds
    time_s: Seconds
    ended: RoundsEnd
    most_live: MaybeCount = None
    restarts: Count = 0


@dataclass(frozen=True, slots=True)
class Result:
    """A whole run: the spec, where it ran, and one measurement per point.

    Attributes:
        spec: what was asked.
        environment: where it ran.
        measurements: in the order their groups were measured.
        interrupted: True when Ctrl-C (or SIGTERM) stopped the run early.
        noise: how steady the machine was during the run; None in files
            written before rounds.
        rounds: how each group of points was measured; empty in files written
            before rounds.
    """

    spec: Spec
    environment: Environment
    measurements: tuple[Measurement, ...] = ()
    interrupted: bool = False
    noise: MachineNoise | None = None
    rounds: tuple[Rounds, ...] = ()

    def __post_init__(self) -> None:
        check_fields(self)
        count = len(self.measurements)
        _require(
            all(i < count for r in self.rounds for i in r.points),
            "rounds.points refers to a point missing from points",
        )
