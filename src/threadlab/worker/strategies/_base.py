"""What a strategy is: one way of running T tasks on W workers.

Like ``concurrent.futures._base`` beneath ``thread.py`` and ``process.py``,
this module holds the small abstraction every strategy module implements,
and the one timed task wrapper they all use. The timing of whole samples
(wall, CPU, context switches, memory) is done once, above the strategies, in
``threadlab.worker._measure``.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import traceback
from array import array
from typing import Any, Awaitable, Callable, Dict, Iterator, NamedTuple, Optional, Sequence, Tuple, overload

from threadlab.worker._native import INNER_THREADS
from threadlab.worker._params import Param, ParamValue
from threadlab.worker.workloads._base import WAITED_THROUGHOUT, IOWait


class TaskRecord(NamedTuple):
    """What one task did: when it ran, where, its CPU time and its error."""

    number: int  # the task's number, 0 to T-1
    start_ns: int
    end_ns: int
    cpu_ns: Optional[int]  # None where the task shares its thread (asyncio)
    worker: str  # "pid:thread" or "pid:slot-k": who ran it
    error: Optional[str]  # the formatted traceback when the task raised
    io_s: Optional[float] = None  # the I/O wait the task reported (an ``IOWait`` it returned)


def reported_io(value: Any, span_ns: int = 0) -> Optional[float]:
    """The seconds of I/O wait a task reported by returning an ``IOWait``, else None.

    ``WAITED_THROUGHOUT`` reports the task's whole span, ``span_ns``, as its wait.
    """
    if value is WAITED_THROUGHOUT:
        return span_ns / 1e9
    return float(value.seconds) if isinstance(value, IOWait) else None


def worker_label(slot: Optional[str] = None) -> str:
    """Name the worker running the caller: its process and thread (or slot)."""
    return "{}:{}".format(os.getpid(), slot or threading.current_thread().name)


def timed_call(task: Callable[[int], Any], index: int) -> TaskRecord:
    """Run one task and record its span; an exception becomes data, not a crash.

    Module-level so that ``functools.partial(timed_call, task)`` pickles and
    runs inside process-pool children as well as threads.
    """
    cpu0 = time.thread_time_ns()
    start = time.perf_counter_ns()
    error = None
    value = None
    try:
        value = task(index)
    except BaseException:  # noqa: BLE001 - a task's failure is measured data; carried back whole
        error = traceback.format_exc()
    end = time.perf_counter_ns()
    cpu1 = time.thread_time_ns()
    return TaskRecord(index, start, end, cpu1 - cpu0, worker_label(), error, reported_io(value, end - start))


_NOT_REPORTED = float("nan")


class TaskLog(Sequence[TaskRecord]):
    """The records of one sample's tasks, kept as columns of machine numbers.

    Recording a task must not change what is measured. A ``TaskRecord`` made
    as each task ends is an object the cyclic garbage collector counts, and
    with 100,000 tasks alive at once, every object made per task counts toward
    the collector's next pass, and each full pass walks every live task:
    collections were most of what a record per task (with a worker label and
    a growing list) cost 100,000 asyncio sleeps (see ``event_loop.py``).
    Here a task writes its numbers into arrays sized before the tasks start,
    which makes no object the collector sees; the records are built only
    when read, once the sample's clock has stopped.

    Task ``number`` is entry ``number`` of each column; ``worker_names(k)``
    names worker ``k`` (``"pid:thread"`` or ``"pid:slot-k"``). Reading it
    gives ``TaskRecord`` s in task order; a task that raised has its
    traceback in ``errors``, and ``io_s`` holds NaN where a task reported no
    I/O wait.

    Args:
        tasks: T, how many tasks will be recorded.
        worker_names: the label of worker ``k``, asked for only when read.
        cpu: whether the tasks' CPU time is recorded (not where they share a
            thread, as on an event loop).
    """

    __slots__ = ("_names", "cpu_ns", "end_ns", "errors", "io_s", "start_ns", "worker")

    def __init__(self, tasks: int, worker_names: Callable[[int], str], cpu: bool = True) -> None:
        zeros = bytes(8 * tasks)
        self.start_ns = array("q", zeros)
        self.end_ns = array("q", zeros)
        self.cpu_ns: Optional[array[int]] = array("q", zeros) if cpu else None
        self.io_s = array("d", [_NOT_REPORTED]) * tasks
        self.worker = array("q", zeros)
        self.errors: Dict[int, str] = {}
        self._names = worker_names

    def note_io(self, number: int, value: Any, span_ns: int) -> None:
        """Keep the I/O wait task ``number`` reported by returning ``value`` (see ``reported_io``)."""
        if value is WAITED_THROUGHOUT:
            self.io_s[number] = span_ns / 1e9
        elif isinstance(value, IOWait):
            self.io_s[number] = float(value.seconds)

    def __len__(self) -> int:
        return len(self.start_ns)

    @overload
    def __getitem__(self, number: int) -> TaskRecord: ...

    @overload
    def __getitem__(self, number: slice) -> Sequence[TaskRecord]: ...

    def __getitem__(self, number: Any) -> Any:
        if isinstance(number, slice):
            return [self[k] for k in range(*number.indices(len(self)))]
        if number < 0:
            number += len(self)
        return self._record(number, self._names(self.worker[number]))

    def __iter__(self) -> Iterator[TaskRecord]:
        # Column by column, with no Python-level call per record.
        tasks = len(self)
        names = {worker: self._names(worker) for worker in set(self.worker)}
        columns = zip(  # noqa: B905 - zip(strict=) needs Python 3.10; every column has `tasks` entries
            range(tasks),
            self.start_ns,
            self.end_ns,
            itertools.repeat(None, tasks) if self.cpu_ns is None else self.cpu_ns,
            map(names.__getitem__, self.worker),
            map(self.errors.get, range(tasks)),
            [None if io != io else io for io in self.io_s],  # NaN: none reported
        )
        return map(TaskRecord._make, columns)

    def _record(self, number: int, worker: str) -> TaskRecord:
        io = self.io_s[number]
        return TaskRecord(
            number,
            self.start_ns[number],
            self.end_ns[number],
            None if self.cpu_ns is None else self.cpu_ns[number],
            worker,
            self.errors.get(number),
            None if io != io else io,  # NaN: none reported
        )


def logged_call(task: Callable[[int], Any], number: int, log: TaskLog, worker: int) -> None:
    """Run task ``number`` on this thread as worker ``worker``, writing its record into ``log``.

    ``timed_call`` without the record object: for strategies whose tasks run
    in this process, so that each task allocates nothing to be recorded.
    """
    cpu0 = time.thread_time_ns()
    start = time.perf_counter_ns()
    value = None
    try:
        value = task(number)
    except BaseException:  # noqa: BLE001 - as in timed_call: a task's failure is measured data
        log.errors[number] = traceback.format_exc()
    end = time.perf_counter_ns()
    cpu1 = time.thread_time_ns()
    log.start_ns[number] = start
    log.end_ns[number] = end
    if log.cpu_ns is not None:
        log.cpu_ns[number] = cpu1 - cpu0
    log.worker[number] = worker
    if value is not None:
        log.note_io(number, value, end - start)


class Job:
    """The tasks of one sample: how many, on how many workers, doing what.

    Args:
        tasks: T, how many tasks to run.
        workers: W, how many workers run them.
        params: the strategy's own parameters, resolved.
        sync_task: the workload's blocking task (None if it has none).
        async_task: the workload's coroutine function (None if it has none).
        prepare: builds the workload's input data; process pools run it in
            each child before any task.
    """

    __slots__ = ("async_task", "params", "prepare", "sync_task", "tasks", "workers")

    def __init__(
        self,
        tasks: int,
        workers: int,
        params: Dict[str, ParamValue],
        sync_task: Optional[Callable[[int], Any]],
        async_task: Optional[Callable[[int], Awaitable[Any]]],
        prepare: Callable[[], None],
    ) -> None:
        self.tasks = tasks
        self.workers = workers
        self.params = params
        self.sync_task = sync_task
        self.async_task = async_task
        self.prepare = prepare


class Outcome(NamedTuple):
    """What a strategy hands back: one record per task, and its start-up cost."""

    records: Sequence[TaskRecord]  # a TaskLog, or any sequence of records
    spawn_s: Optional[float]  # time spent starting workers; None where not separable
    # False where the tasks ran in processes this one's resource usage cannot
    # see (another machine's): the sample's CPU, switches and RSS are then absent.
    usage_measured: bool = True


class WorkerLost(Exception):
    """A worker process died while it ran tasks; the point is recorded as crashed."""


class Strategy:
    """Base class of the strategies; one module each defines ``STRATEGY``.

    Attributes:
        name: the name users type.
        summary: one line saying what it does.
        mode: ``"sync"`` runs blocking tasks, ``"async"`` runs coroutines,
            ``"any"`` runs either (blocking tasks where a workload has both).
        params: the strategy's ``--param`` options: ``inner_threads``, which
            every strategy takes (the worker limits native pools with it,
            ``worker/_native.py``), then its own (``Strategy.params + (...)``).
        safe_workers: the most workers allowed without ``--max-workers``.
        single_worker: True when the strategy always uses one worker.
        shares_one_gil: True when every task runs under the worker process's
            one GIL (threads of its main interpreter); False where tasks run
            under GILs of their own (processes, subinterpreters).
    """

    name = ""
    summary = ""
    mode = "sync"
    params: Tuple[Param, ...] = (INNER_THREADS,)
    safe_workers = 1
    single_worker = False
    shares_one_gil = True

    def unavailable_reason(self) -> Optional[str]:
        """Why this strategy cannot run in this interpreter, or None if it can."""
        return None

    def refusal(self, job: Job) -> Optional[str]:
        """Why this strategy cannot run this job's tasks (say, they cannot cross to
        where it runs them), or None if it can. Checked once, before any sample."""
        return None

    def run(self, job: Job) -> Outcome:
        """Run ``job.tasks`` tasks on ``job.workers`` workers; return their records."""
        raise NotImplementedError  # abstract: every strategy module overrides it
