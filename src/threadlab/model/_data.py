"""The data model, part one: a point and what one run of its tasks gives.

``Spec`` (what the user asked) → ``Point`` (one combination) → ``Sample`` (one
timed run of a point's tasks, with its ``TaskSpans``) → ``Measurement`` (all
samples of a point, its warm-ups kept apart, its errors) → ``Result`` (the
whole run with its ``Environment``, the ``MachineNoise`` seen during it and
the ``Rounds`` its points were measured in). This module holds the point and
its samples, with the schema version and the checks every object uses;
``_result`` holds the rest. Every object validates itself when built, so a
results file that loads is a results file that makes sense.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

from threadlab.model._schema import PARAMS, Checked, Range, check_fields
from threadlab.model._waits import Waits
from threadlab.worker._params import ParamValue

# The results file's schema version. History:
#   1 - first version: environment, points with samples, warm-ups, errors, summary.
#   2 - interleaved rounds: each sample's round and start time, the spec's precision,
#       max_time_s and parts, the machine's noise, the rounds of each group, speedup
#       intervals, whether a point's workers share one GIL (shares_one_gil, optional);
#       the analysis block is written once, at the end of a command, not on every save.
#       Added since, optional (files written before load without it, so no bump): each
#       point's native thread pools and thread-count variables (native); each sample's
#       breakdown of where its threads' time went (waits); an error's cause (cause).
SCHEMA_VERSION = 2

Status = Literal["ok", "errors", "timeout", "crashed", "failed", "interrupted"]
STATUSES: tuple[Status, ...] = get_args(Status)
ErrorKind = Literal["task", "timeout", "crashed", "refused", "worker"]
# Why an error happened, where its kind does not say it: "budget", the command's own deadline
# (advise's budget) stopped the point, so that the advice's notes find the points cut short.
ErrorCause = Literal["budget"]
# What a worker is told about the GIL: off/on (-X gil=0/1, free-threaded builds only) or nothing.
Gil = Literal["on", "off", "default"]
GIL_MODES: tuple[Gil, ...] = get_args(Gil)
ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)
# Why a group's rounds ended: every interval was tight enough; the time was spent; Ctrl-C;
# no point of the group was left running (all failed, timed out or crashed).
RoundsEnd = Literal["precise", "time", "interrupted", "failed"]
ROUNDS_ENDS: tuple[RoundsEnd, ...] = get_args(RoundsEnd)

# Relative half-width of the 95% speedup intervals asked for by default: ±5%.
DEFAULT_PRECISION = 0.05
# Seconds of measuring a run may take by default, its workers' start-ups and warm-ups counted:
# `threadlab run` answers within 30 s, the interpreter's start and imports (0.3 s here) and the
# last round (0.45 s on the count loop) coming on top. The rounds reach ±5% on the count loop in
# 11-34 s here where the machine is calm; where it is not, 40 s gave no tighter intervals:
# median half-widths ±7.7% against ±4.4% at 30 s, ±8.3% against ±6.7% at 28 s, and calm
# ±3.7% against ±4.5% at 28 s (four runs each, interleaved; 2026-12-07). What it costs: points
# that settle later. Interpreters under 3.13 on the count loop ended precise at 40 s in 25-34 s,
# ±4.1-4.9%; at 28 s, two of three ran out of time at ±10.0% and ±17.1% (three runs each,
# interleaved). The output says so, with the --max-time that would reach the precision.
DEFAULT_MAX_TIME_S = 28.0


# A sample's wall time is at least a nanosecond, the clocks' resolution: tasks per second
# are divided by it.
MIN_WALL_S = 1e-9

# The annotations every field of the model declares its type and range with (``_schema``).
Seconds = Annotated[float, Range(0)]
MaybeSeconds = Annotated[float | None, Range(0)]
Count = Annotated[int, Range(0)]
MaybeCount = Annotated[int | None, Range(0)]
Positive = Annotated[int, Range(1)]
Share = Annotated[float, Range(0, 1)]
Params = Annotated[Mapping[str, ParamValue], PARAMS]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class Interpreter(Checked):
    """A Python that ran a worker, as the worker saw itself.

    Attributes:
        executable: path of the Python executable.
        version: e.g. ``"3.13.0"``.
        implementation: e.g. ``"CPython"``.
        free_threaded: built with ``Py_GIL_DISABLED`` (3.13t, 3.14t).
        gil_enabled: whether the GIL was on while the point ran (as the worker
            saw it at its end: an import can turn it back on mid-run).
        gil_cause: why a free-threaded build had its GIL on: ``-X gil=1``,
            ``PYTHON_GIL=1``, or ``module '_x' imported without free-threading
            support`` (from CPython's RuntimeWarning); None where it was off,
            or the build has a GIL anyway.
    """

    executable: str
    version: str
    implementation: str = "CPython"
    free_threaded: bool = False
    gil_enabled: bool = True
    gil_cause: str | None = None

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
        repeat: the fewest timed samples to take (rounds, when the point is
            measured in interleaved rounds with the others of its group).
        warmup: discarded runs before them.
        gil: ``off``/``on`` to run a free-threaded build without or with its
            GIL (``-X gil=0/1``); ``default`` passes nothing (any GIL build).
    """

    workload: str
    strategy: str
    workers: Positive
    tasks: Positive
    params: Params = field(default_factory=dict)
    strategy_params: Params = field(default_factory=dict)
    python: str = ""
    repeat: Positive = 5
    warmup: Count = 1
    gil: Gil = "default"

    def __post_init__(self) -> None:
        check_fields(self)
        _require(bool(self.workload), "workload must be named")
        _require(bool(self.strategy), "strategy must be named")

    def label(self) -> str:
        """``count · threads ×2``, ``count · sequential ×1 (2 tasks)``: how every view names the point."""
        return Swept.among((self,)).point_label(self)

    def workload_label(self) -> str:
        """The workload's name, a user's ``dir/file.py:function`` shortened to ``file.py:function``."""
        where, colon, name = self.workload.rpartition(":")
        if colon and ("/" in where or "\\" in where):
            return f"{where.replace(chr(92), '/').rsplit('/', 1)[-1]}:{name}"
        return self.workload

    @property
    def warm_pool(self) -> bool:
        """Whether the point's pool (or cluster) is kept warm across its samples (``start=warm``):
        opened once, its start-up measured apart (``Measurement.startup_s``), not in a sample."""
        return self.strategy_params.get("start") == "warm"

    def group_key(self) -> tuple[Any, ...]:
        """What a point shares with the sequential points its speedup is against: the same work,
        Python and GIL mode."""
        return (self.workload, tuple(sorted(self.params.items())), self.python, self.gil)

    def rounds_key(self) -> tuple[Any, ...]:
        """What the points measured in the same interleaved rounds share: the same work, under
        every Python and GIL mode, so that comparing Pythons is as free of the machine's drift
        as a speedup."""
        return (self.workload, tuple(sorted(self.params.items())))


def _shown(params: Mapping[str, ParamValue], keys: Iterable[str]) -> str:
    return ", ".join(f"{key}={params[key]}" for key in keys if key in params)


@dataclass(frozen=True, slots=True)
class Swept:
    """The parameters that take several values among some points: what their names must show.

    A parameter given as a list (``-p threads_per_worker=1,2``) makes a point
    per value, and every name of them carries it:
    ``count · dask ×2 (threads_per_worker=2)``. Strategy parameters are counted
    among the points of one workload, across its strategies, so that
    ``sequential (inner_threads=0)`` stands beside ``threads (inner_threads=1)``
    and a lesson's sweep does not rename another's points.

    Attributes:
        workload: per workload, the keys of its parameters that vary.
        strategy: per workload, then per strategy, the keys of the strategy's
            parameters that vary.
    """

    workload: Mapping[str, tuple[str, ...]]
    strategy: Mapping[str, Mapping[str, tuple[str, ...]]]

    @classmethod
    def among(cls, points: Iterable[Point]) -> Swept:
        """What varies among ``points``, each workload's and, per workload, each strategy's parameters."""
        work: dict[str, dict[str, set[Any]]] = {}
        ways: dict[str, dict[str, set[str]]] = {}
        across: dict[str, dict[str, set[Any]]] = {}
        for point in points:
            for key, value in point.params.items():
                work.setdefault(point.workload, {}).setdefault(key, set()).add(value)
            for key, value in point.strategy_params.items():
                ways.setdefault(point.workload, {}).setdefault(point.strategy, set()).add(key)
                across.setdefault(point.workload, {}).setdefault(key, set()).add(value)
        workload = {
            name: tuple(key for key, values in sorted(keys.items()) if len(values) > 1)
            for name, keys in work.items()
        }
        strategy = {
            name: {
                way: tuple(key for key in sorted(keys) if len(across[name][key]) > 1)
                for way, keys in by_strategy.items()
            }
            for name, by_strategy in ways.items()
        }
        return cls(workload, strategy)

    def workload_label(self, point: Point, *, as_given: bool = False) -> str:
        """``count (iterations=1000)``: the workload's label, with its swept parameters.

        ``as_given`` keeps the workload as the user named it (``dir/file.py:function``
        in full), for the analysis's data, where it identifies the work.
        """
        shown = _shown(point.params, self.workload.get(point.workload, ()))
        name = point.workload if as_given else point.workload_label()
        return f"{name} ({shown})" if shown else name

    def strategy_label(self, point: Point) -> str:
        """``dask (threads_per_worker=2)``: the strategy, with its swept parameters."""
        shown = _shown(point.strategy_params, self.strategy.get(point.workload, {}).get(point.strategy, ()))
        return f"{point.strategy} ({shown})" if shown else point.strategy

    def point_label(self, point: Point, *, workload: bool = True) -> str:
        """How every view names the point: ``count · dask (threads_per_worker=2) ×2``.

        The one naming of a point, for the progress bar, the tables and the
        analysis alike: swept parameters named, the tasks only where they are
        not one per worker (``sleep · sequential ×1 (4 tasks)``), and the
        workload left out where a table is grouped by it (``workload=False``).
        """
        label = f"{self.strategy_label(point)} ×{point.workers}"
        if workload:
            label = f"{self.workload_label(point)} · {label}"
        return label if point.tasks == point.workers else f"{label} ({point.tasks} tasks)"


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

    start_s: tuple[Seconds, ...] = ()
    end_s: tuple[Seconds, ...] = ()
    cpu_s: tuple[MaybeSeconds, ...] = ()
    worker: tuple[Count, ...] = ()
    ok: tuple[bool, ...] = ()
    workers: tuple[str, ...] = ()
    io_s: tuple[MaybeSeconds, ...] = ()

    def __post_init__(self) -> None:
        check_fields(self)
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
class Sample(Checked):
    """One timed run of all the tasks of a point.

    Attributes:
        wall_s: wall time of the whole run, worker start-up included.
        cpu_user_s, cpu_sys_s: CPU time of the worker and its children.
        ctx_voluntary, ctx_involuntary: context switches during the run.
        max_rss_bytes: peak resident memory of the worker process (or of its
            largest child) so far.
        spawn_s: time spent starting workers where it can be told apart
            (``threads``; ``interpreters``: until each has set up its task;
            ``dask``: until its cluster's workers are ready).
        tasks_ok, tasks_failed: how many tasks returned and raised.
        first_error: traceback of the first task that raised, if any.
        spans: per-task start, end, worker and CPU time.
        gil_contention: gilknocker's contention metric over the sample (0 to
            1, the share of time its probe thread waited for the GIL of the
            worker process), where ``THREADLAB_GILKNOCKER=1`` was set,
            gilknocker is installed in the target Python and the tasks ran
            under its GIL.
        round: the interleaved round the sample was taken in (0 first): one
            sample of every point of a group per round. None for warm-ups.
        started_at: when the sample started, in seconds since the Unix epoch
            by the worker's clock, so that the order of samples across points
            can be read back.
        waits: where the worker threads' time went (``Waits``), where it was
            asked for.

    A figure not measured is None, never zero: elsewhere than said above, in
    files written before it (``SCHEMA_VERSION``), and CPU, context-switch and
    memory figures where the platform has no ``resource`` module or the tasks
    ran on a cluster threadlab does not own (``dask --scheduler``).
    """

    wall_s: Annotated[float, Range(MIN_WALL_S)]
    cpu_user_s: MaybeSeconds = None
    cpu_sys_s: MaybeSeconds = None
    ctx_voluntary: MaybeCount = None
    ctx_involuntary: MaybeCount = None
    max_rss_bytes: MaybeCount = None
    spawn_s: MaybeSeconds = None
    tasks_ok: Count = 0
    tasks_failed: Count = 0
    first_error: str | None = None
    spans: TaskSpans = field(default_factory=TaskSpans)
    gil_contention: Annotated[float | None, Range(0, 1)] = None
    round: MaybeCount = None
    started_at: MaybeSeconds = None
    waits: Waits | None = None

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
class PointError(Checked):
    """Something that went wrong in a point, with its traceback.

    Attributes:
        kind: ``task`` (tasks raised), ``timeout`` (killed at --timeout),
            ``crashed`` (the worker process or a pool child died), ``refused``
            (the worker could not run the point here), ``worker`` (the worker
            itself failed).
        message: one line saying what happened.
        traceback: the first traceback, where there is one.
        count: how many times it happened (tasks that raised, over all samples).
        cause: ``budget`` where the command's own deadline (advise's budget)
            stopped the point, before its turn or mid-step; else None.
    """

    kind: ErrorKind
    message: str
    traceback: str | None = None
    count: Positive = 1
    cause: ErrorCause | None = None
