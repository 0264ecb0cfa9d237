"""The data model: frozen dataclasses from the experiment's spec to its result.

``Spec`` (what the user asked) → ``Point`` (one combination) → ``Sample`` (one
timed run of a point's tasks, with its ``TaskSpans``) → ``Measurement`` (all
samples of a point, its warm-ups kept apart, its errors) → ``Result`` (the
whole run with its ``Environment``). ``Result.to_json()`` / ``Result.from_json()``
are the results file, a public format: see README "The results file".

Every object validates itself when built, so a results file that loads is a
results file that makes sense.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from threadlab.worker._params import ParamValue

# The results file's schema version. History:
#   1 - first version: environment, points with samples, warm-ups, errors, summary.
SCHEMA_VERSION = 1

Status = Literal["ok", "errors", "timeout", "crashed", "failed", "interrupted"]
STATUSES: tuple[Status, ...] = ("ok", "errors", "timeout", "crashed", "failed", "interrupted")
ErrorKind = Literal["task", "timeout", "crashed", "refused", "worker"]
# What a worker is told about the GIL: off/on (-X gil=0/1, free-threaded builds only) or nothing.
Gil = Literal["on", "off", "default"]
GIL_MODES: tuple[Gil, ...] = ("on", "off", "default")
ERROR_KINDS: tuple[ErrorKind, ...] = ("task", "timeout", "crashed", "refused", "worker")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _non_negative(name: str, value: float | None) -> None:
    _require(
        value is None or (math.isfinite(value) and value >= 0),
        f"{name} must be a finite number of 0 or more, not {value!r}",
    )


def percentile(values: list[float], q: float) -> float | None:
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


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A Python that ran a worker, as the worker saw itself.

    Attributes:
        executable: path of the Python executable.
        version: e.g. ``"3.13.0"``.
        implementation: e.g. ``"CPython"``.
        free_threaded: built with ``Py_GIL_DISABLED`` (3.13t, 3.14t).
        gil_enabled: whether the GIL was on while the point ran (as the worker
            saw it at its end: an import can turn it back on mid-run).
    """

    executable: str
    version: str
    implementation: str = "CPython"
    free_threaded: bool = False
    gil_enabled: bool = True

    def label(self) -> str:
        """Short name for tables: ``3.13.0``, ``3.14.0t``, ``3.14.0t (GIL on)``."""
        name = self.version + ("t" if self.free_threaded else "")
        if self.free_threaded and self.gil_enabled:
            name += " (GIL on)"
        return name


@dataclass(frozen=True, slots=True)
class Point:
    """One combination to measure: a workload under a strategy with W workers.

    Attributes:
        workload: workload name.
        strategy: strategy name.
        workers: W, the number of workers (1 for ``sequential``).
        tasks: T, the total number of tasks.
        params: the workload's parameters, defaults filled in.
        strategy_params: the strategy's own parameters, defaults filled in.
        python: the executable the point's worker runs under.
        repeat: timed samples to take.
        warmup: discarded runs before them.
        gil: ``off``/``on`` to run a free-threaded build without or with its
            GIL (``-X gil=0/1``); ``default`` passes nothing (any GIL build).
    """

    workload: str
    strategy: str
    workers: int
    tasks: int
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    strategy_params: Mapping[str, ParamValue] = field(default_factory=dict)
    python: str = ""
    repeat: int = 5
    warmup: int = 1
    gil: Gil = "default"

    def __post_init__(self) -> None:
        _require(bool(self.workload), "workload must be named")
        _require(bool(self.strategy), "strategy must be named")
        _require(self.workers >= 1, f"workers must be 1 or more, not {self.workers}")
        _require(self.tasks >= 1, f"tasks must be 1 or more, not {self.tasks}")
        _require(self.repeat >= 1, f"repeat must be 1 or more, not {self.repeat}")
        _require(self.warmup >= 0, f"warmup must be 0 or more, not {self.warmup}")
        _require(self.gil in GIL_MODES, f"gil must be one of {GIL_MODES}, not {self.gil!r}")

    def label(self) -> str:
        """``count · threads ×2 (2 tasks)``: how tables name the point."""
        return f"{self.workload_label()} · {self.strategy} ×{self.workers} ({self.tasks} tasks)"

    def workload_label(self) -> str:
        """The workload's name, a user's ``dir/file.py:function`` shortened to ``file.py:function``."""
        where, colon, name = self.workload.rpartition(":")
        if colon and ("/" in where or "\\" in where):
            return f"{where.replace(chr(92), '/').rsplit('/', 1)[-1]}:{name}"
        return self.workload

    def baseline_key(self) -> tuple[Any, ...]:
        """What a point shares with its sequential baseline: same work, same Python, same GIL."""
        return (self.workload, self.tasks, tuple(sorted(self.params.items())), self.python, self.gil)


@dataclass(frozen=True, slots=True)
class TaskSpans:
    """Per-task records of one sample, stored column by column.

    Times are seconds from the start of the sample. ``worker[i]`` indexes
    ``workers``, the labels (``"pid:thread"``) of who ran each task. ``cpu_s``
    is the on-CPU time of the task's own thread (``time.thread_time``, user
    plus system), None where a task's CPU time cannot be told apart (asyncio).
    ``io_s`` is the I/O wait each task measured and reported itself (see
    ``threadlab.worker.workloads.IOWait``): empty when no task of the sample
    reported one, else one entry per task, None for a task that did not.
    """

    start_s: tuple[float, ...] = ()
    end_s: tuple[float, ...] = ()
    cpu_s: tuple[float | None, ...] = ()
    worker: tuple[int, ...] = ()
    ok: tuple[bool, ...] = ()
    workers: tuple[str, ...] = ()
    io_s: tuple[float | None, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.start_s)
        for name in ("end_s", "cpu_s", "worker", "ok"):
            _require(
                len(getattr(self, name)) == n,
                f"spans.{name} has {len(getattr(self, name))} entries, spans.start_s has {n}",
            )
        _require(len(self.io_s) in (0, n), f"spans.io_s has {len(self.io_s)} entries, spans.start_s has {n}")
        _require(
            all(0 <= w < len(self.workers) for w in self.worker),
            "spans.worker refers to a worker missing from spans.workers",
        )

    def __len__(self) -> int:
        return len(self.start_s)

    def durations(self) -> tuple[float, ...]:
        """Each task's latency, end minus start, in seconds."""
        return tuple(end - start for start, end in zip(self.start_s, self.end_s, strict=True))

    def io_waits(self) -> tuple[float | None, ...]:
        """Each task's reported I/O wait, None where it reported none."""
        return self.io_s or (None,) * len(self)

    def per_worker(self) -> dict[str, tuple[float, float]]:
        """Per worker label: its tasks' summed wall time and on-CPU time, in seconds.

        Only tasks whose CPU time was measured count; a worker with none is
        left out (all of them on asyncio).
        """
        found: dict[str, tuple[float, float]] = {}
        for start, end, cpu, who in zip(self.start_s, self.end_s, self.cpu_s, self.worker, strict=True):
            if cpu is not None:
                wall, busy = found.get(self.workers[who], (0.0, 0.0))
                found[self.workers[who]] = (wall + end - start, busy + cpu)
        return found

    def waiting_share(self) -> float | None:
        """The share of task time spent waiting: off-CPU, and not in an I/O wait the task declared.

        Defined over the tasks whose CPU time was measured, with ``wall_i``
        the task's end minus start, ``cpu_i`` its thread's on-CPU time and
        ``io_i`` the I/O wait it reported (0 where it reported none)::

            waiting_share = sum(max(0, wall_i - cpu_i - io_i)) / sum(wall_i)

        It is the time a task's thread was runnable but not running, or
        blocked, outside the waits the workload itself declared. For
        pure-Python CPU-bound tasks on threads under the GIL that is mostly
        waiting for the GIL: two threads counting share one GIL and show
        about 0.5; one thread alone, or sleeping threads (whose sleep is a
        declared wait), about 0.

        Limits: two clocks cannot tell a GIL wait from an I/O wait the task
        did not declare (a user's function doing I/O), from the OS running
        other threads or programs on the cores (more runnable threads than
        CPUs), or from page faults and lock waits. A declared wait is timed
        until the thread runs Python again, so a GIL wait right after the
        I/O (the convoy effect) counts in ``io_s``, not here. The system
        time spent inside an I/O call counts in both ``cpu_i`` and ``io_i``,
        hence the clamp at 0.

        Returns:
            None when no task's CPU time was measured (asyncio) or the tasks
            took no time.
        """
        wall_sum = waiting = 0.0
        for wall, cpu, io in zip(self.durations(), self.cpu_s, self.io_waits(), strict=True):
            if cpu is not None:
                wall_sum += wall
                waiting += max(0.0, wall - cpu - (io or 0.0))
        return waiting / wall_sum if wall_sum > 0 else None


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed run of all the tasks of a point.

    Attributes:
        wall_s: wall time of the whole run, worker start-up included.
        cpu_user_s, cpu_sys_s: CPU time of the worker and its children.
        ctx_voluntary, ctx_involuntary: context switches during the run.
        max_rss_bytes: peak resident memory of the worker process (or of its
            largest child) so far.
        spawn_s: time spent starting workers where it can be told apart
            (``threads``; ``interpreters``: until each has set up its task;
            ``dask``: until its cluster's workers are ready); None elsewhere.
        tasks_ok, tasks_failed: how many tasks returned and raised.
        first_error: traceback of the first task that raised, if any.
        spans: per-task start, end, worker and CPU time.
        gil_contention: gilknocker's contention metric over the sample (0 to
            1, the share of time its probe thread waited for the GIL of the
            worker process); None unless ``THREADLAB_GILKNOCKER=1`` was set
            and gilknocker is installed in the target Python, and where the
            tasks ran under other GILs (processes).

    CPU, context-switch and memory figures are None where the platform has no
    ``resource`` module, or where the tasks ran on a cluster threadlab does not
    own (``dask --scheduler``): absent, never zero.
    """

    wall_s: float
    cpu_user_s: float | None = None
    cpu_sys_s: float | None = None
    ctx_voluntary: int | None = None
    ctx_involuntary: int | None = None
    max_rss_bytes: int | None = None
    spawn_s: float | None = None
    tasks_ok: int = 0
    tasks_failed: int = 0
    first_error: str | None = None
    spans: TaskSpans = field(default_factory=TaskSpans)
    gil_contention: float | None = None

    def __post_init__(self) -> None:
        _require(
            math.isfinite(self.wall_s) and self.wall_s > 0,
            f"wall_s must be above 0, not {self.wall_s!r}",
        )
        _require(
            self.gil_contention is None or 0 <= self.gil_contention <= 1,
            f"gil_contention must be from 0 to 1, not {self.gil_contention!r}",
        )
        for name in ("cpu_user_s", "cpu_sys_s", "spawn_s"):
            _non_negative(name, getattr(self, name))
        _require(self.tasks_ok >= 0 and self.tasks_failed >= 0, "task counts must be 0 or more")

    @property
    def tasks(self) -> int:
        """How many tasks ran, whether they returned or raised."""
        return self.tasks_ok + self.tasks_failed

    @property
    def cpu_s(self) -> float | None:
        """User plus system CPU time, or None where it was not measured."""
        if self.cpu_user_s is None or self.cpu_sys_s is None:
            return None
        return self.cpu_user_s + self.cpu_sys_s

    @property
    def throughput(self) -> float:
        """Tasks that returned, per second of wall time."""
        return self.tasks_ok / self.wall_s


@dataclass(frozen=True, slots=True)
class PointError:
    """Something that went wrong in a point, with its traceback.

    Attributes:
        kind: ``task`` (tasks raised), ``timeout`` (killed at --timeout),
            ``crashed`` (the worker process or a pool child died), ``refused``
            (the worker could not run the point here), ``worker`` (the worker
            itself failed).
        message: one line saying what happened.
        traceback: the first traceback, where there is one.
        count: how many times it happened (tasks that raised, over all samples).
    """

    kind: ErrorKind
    message: str
    traceback: str | None = None
    count: int = 1

    def __post_init__(self) -> None:
        _require(self.kind in ERROR_KINDS, f"error kind must be one of {ERROR_KINDS}")
        _require(self.count >= 1, f"error count must be 1 or more, not {self.count}")


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one point most people want, derived from its samples.

    Attributes:
        wall_median_s, wall_min_s, wall_max_s: wall time over the samples.
        throughput_median: median over samples of tasks done per second.
        cpu_per_wall: median over samples of CPU time / wall time (1.0 = one
            core busy; 0 = waiting; above 1 = parallel work), None if unmeasured.
        speedup_vs_sequential: throughput against the sequential point of the
            same workload, tasks, parameters and Python; None where there is none.
        peak_rss_bytes: largest peak RSS over the samples.
        spawn_median_s: median worker start-up time, where measured.
        latency_p50_s, latency_p99_s: percentiles of task latency (end −
            start) over the tasks that returned, all samples pooled.
        io_p50_s, io_p99_s: percentiles of the I/O wait the tasks measured
            themselves (``TaskSpans.io_s``), where they reported one.
        waiting_share: median over samples of ``TaskSpans.waiting_share``:
            the share of task time off-CPU outside declared I/O waits (for
            CPU-bound threads under the GIL, mostly waiting for it); None
            where task CPU time is not measured (asyncio).
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


@dataclass(frozen=True, slots=True)
class Measurement:
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
    """

    point: Point
    status: Status
    interpreter: Interpreter | None = None
    samples: tuple[Sample, ...] = ()
    warmups: tuple[Sample, ...] = ()
    errors: tuple[PointError, ...] = ()
    elapsed_s: float | None = None

    def __post_init__(self) -> None:
        _require(self.status in STATUSES, f"status must be one of {STATUSES}, not {self.status!r}")
        _non_negative("elapsed_s", self.elapsed_s)

    def summary(self, baseline: Measurement | None = None) -> Summary | None:
        """Summarise the samples, against ``baseline`` (a sequential point) if given.

        Returns:
            None when the point has no samples (it failed before any).
        """
        if not self.samples:
            return None
        walls = [s.wall_s for s in self.samples]
        throughput = statistics.median(s.throughput for s in self.samples)
        cpu = [s.cpu_s / s.wall_s for s in self.samples if s.cpu_s is not None]
        rss = [s.max_rss_bytes for s in self.samples if s.max_rss_bytes is not None]
        spawn = [s.spawn_s for s in self.samples if s.spawn_s is not None]
        speedup = None
        if baseline is not None and baseline.samples:
            base = statistics.median(s.throughput for s in baseline.samples)
            speedup = throughput / base if base > 0 else None
        spans = [s.spans for s in self.samples]
        latencies = [d for sp in spans for d, ok in zip(sp.durations(), sp.ok, strict=True) if ok]
        io = [w for sp in spans for w in sp.io_waits() if w is not None]
        waiting = [w for w in (sp.waiting_share() for sp in spans) if w is not None]
        gil = [s.gil_contention for s in self.samples if s.gil_contention is not None]
        by_worker: dict[str, tuple[float, float]] = {}
        for sp in spans:
            for label, (task_wall, task_cpu) in sp.per_worker().items():
                total = by_worker.get(label, (0.0, 0.0))
                by_worker[label] = (total[0] + task_wall, total[1] + task_cpu)
        on_cpu = [busy / wall for wall, busy in by_worker.values() if wall > 0]
        return Summary(
            wall_median_s=statistics.median(walls),
            wall_min_s=min(walls),
            wall_max_s=max(walls),
            throughput_median=throughput,
            cpu_per_wall=statistics.median(cpu) if cpu else None,
            speedup_vs_sequential=speedup,
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
        )


@dataclass(frozen=True, slots=True)
class Spec:
    """What to measure: workloads × strategies × worker counts, and how.

    Attributes:
        workloads: workload names.
        strategies: strategy names.
        workers: worker counts to sweep.
        tasks: total tasks per point; None gives each worker one task (T = W).
        repeat: timed samples per point.
        warmup: discarded runs before them.
        params: ``--param`` values, by key; each applies to the workloads and
            strategies that declare it.
        timeout_s: a point still running after this long is killed; None: never.
        python: the executable workers run under (the first of ``pythons``).
        max_workers: raises the safe worker limit of every strategy to this.
        pythons: every executable to run the points under, each point once
            per Python; empty: ``python`` alone.
        gil: ``--gil``: ``off``/``on`` for free-threaded builds, ``default``
            for each build's own default.
    """

    workloads: tuple[str, ...]
    strategies: tuple[str, ...]
    workers: tuple[int, ...]
    tasks: int | None = None
    repeat: int = 5
    warmup: int = 1
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    timeout_s: float | None = 600.0
    python: str = ""
    max_workers: int | None = None
    pythons: tuple[str, ...] = ()
    gil: Gil = "default"

    def __post_init__(self) -> None:
        _require(bool(self.workloads), "a spec needs at least one workload")
        _require(bool(self.strategies), "a spec needs at least one strategy")
        _require(bool(self.workers), "a spec needs at least one worker count")
        _require(all(w >= 1 for w in self.workers), "worker counts must be 1 or more")
        _require(self.tasks is None or self.tasks >= 1, "tasks must be 1 or more")
        _require(self.repeat >= 1, f"repeat must be 1 or more, not {self.repeat}")
        _require(self.warmup >= 0, f"warmup must be 0 or more, not {self.warmup}")
        _require(self.timeout_s is None or self.timeout_s > 0, "timeout must be above 0")
        _require(self.gil in GIL_MODES, f"gil must be one of {GIL_MODES}, not {self.gil!r}")


@dataclass(frozen=True, slots=True)
class Environment:
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
    cpu_count: int | None
    platform: str
    threadlab_version: str
    time: str


@dataclass(frozen=True, slots=True)
class Result:
    """A whole run: the spec, where it ran, and one measurement per point.

    Attributes:
        spec: what was asked.
        environment: where it ran.
        measurements: in the order they were measured.
        interrupted: True when Ctrl-C stopped the run early.
    """

    spec: Spec
    environment: Environment
    measurements: tuple[Measurement, ...] = ()
    interrupted: bool = False

    def baseline_of(self, measurement: Measurement) -> Measurement | None:
        """The sequential measurement ``measurement``'s speedup is computed against."""
        key = measurement.point.baseline_key()
        for other in self.measurements:
            if other.point.strategy == "sequential" and other.point.baseline_key() == key:
                return other
        return None

    def summaries(self) -> list[tuple[Measurement, Summary | None]]:
        """Every measurement with its summary, speedups computed within this result."""
        return [(m, m.summary(self.baseline_of(m))) for m in self.measurements]

    def to_json(self) -> dict[str, Any]:
        """The results file's content: plain JSON types, summaries included."""
        from threadlab._serialize import result_to_json

        return result_to_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from a results file's content.

        Raises:
            ResultsFileError: the content is not a results file this version
                of threadlab can read.
        """
        from threadlab._serialize import result_from_json

        return result_from_json(data)
