"""What a strategy is: one way of running T tasks on W workers.

Like ``concurrent.futures._base`` beneath ``thread.py`` and ``process.py``,
this module holds the small abstraction every strategy module implements,
and the one timed task wrapper they all use. The timing of whole samples
(wall, CPU, context switches, memory) is done once, above the strategies, in
``threadlab.worker._measure``.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Any, Awaitable, Callable, Dict, List, NamedTuple, Optional, Tuple

from threadlab.worker._params import Param, ParamValue
from threadlab.worker.workloads._base import IOWait


class TaskRecord(NamedTuple):
    """What one task did: when it ran, where, its CPU time and its error."""

    number: int  # the task's number, 0 to T-1
    start_ns: int
    end_ns: int
    cpu_ns: Optional[int]  # None where the task shares its thread (asyncio)
    worker: str  # "pid:thread" or "pid:slot-k": who ran it
    error: Optional[str]  # the formatted traceback when the task raised
    io_s: Optional[float] = None  # the I/O wait the task reported (an ``IOWait`` it returned)


def reported_io(value: Any) -> Optional[float]:
    """The seconds of I/O wait a task reported by returning an ``IOWait``, else None."""
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
    return TaskRecord(index, start, end, cpu1 - cpu0, worker_label(), error, reported_io(value))


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

    records: List[TaskRecord]
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
        params: the strategy's own ``--param`` options.
        safe_workers: the most workers allowed without ``--max-workers``.
        single_worker: True when the strategy always uses one worker.
        shares_one_gil: True when every task runs under the worker process's
            one GIL (threads of its main interpreter); False where tasks run
            under GILs of their own (processes, subinterpreters).
    """

    name = ""
    summary = ""
    mode = "sync"
    params: Tuple[Param, ...] = ()
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
