"""What a strategy is: one way of running T tasks on W workers.

Like ``concurrent.futures._base`` beneath ``thread.py`` and ``process.py``,
this module holds the small abstraction every strategy module implements,
and the one timed task wrapper they all use. The timing of whole samples
(wall, CPU, context switches, memory) is done once, above the strategies, in
``threadlab.worker._measure``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import pickle
import threading
import time
import traceback
from array import array
from typing import (
    Any,
    Awaitable,
    Callable,
    ContextManager,
    Dict,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from threadlab.worker._native import INNER_THREADS
from threadlab.worker._params import AUTO, Param, ParamValue
from threadlab.worker.workloads._base import WAITED_THROUGHOUT, IOWait


class TaskRecord(NamedTuple):
    """What one task did: when it ran, where, its CPU time and its error."""

    number: int  # the task's number, 0 to T-1
    start_ns: int
    end_ns: int
    cpu_ns: Optional[int]  # None where the task shares its thread (asyncio)
    worker: str  # "pid:thread" or "pid:slot-k": who ran it ("pid:thread@host" on another machine)
    error: Optional[str]  # the formatted traceback when the task raised
    io_s: Optional[float] = None  # the I/O wait the task reported (an ``IOWait`` it returned)


def reported_io(value: Any, span_ns: int) -> Optional[float]:
    """The seconds of I/O wait a task reported by returning an ``IOWait``, else None.

    ``WAITED_THROUGHOUT`` reports the task's whole span, ``span_ns``, as its wait.
    """
    if value is WAITED_THROUGHOUT:
        return span_ns / 1e9
    return float(value.seconds) if isinstance(value, IOWait) else None


def on_host(label: str, host: str) -> str:
    """The label of a worker on another machine: ``pid:thread@host``, since pids repeat across machines."""
    return "{}@{}".format(label, host)


def label_parts(label: str) -> Tuple[str, str, str]:
    """A worker label's process, thread (or slot) and host: ``("41", "MainThread", "10.0.0.7")``.

    The host is what follows the last ``@`` (an IPv6 address keeps its
    colons), "" where the label has none: the worker ran on this machine.
    """
    pid, _, rest = label.partition(":")
    thread, at, host = rest.rpartition("@")
    return (pid, thread, host) if at else (pid, rest, "")


def timed_call(task: Callable[[int], Any], index: int) -> Tuple[TaskRecord, Any]:
    """Run one task: its record and the value it returned; an exception becomes data (None), not a crash."""
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
    worker = "{}:{}".format(os.getpid(), threading.current_thread().name)
    return TaskRecord(index, start, end, cpu1 - cpu0, worker, error, reported_io(value, end - start)), value


def returning_call(task: Callable[[int], Any], index: int) -> Tuple[TaskRecord, Optional[bytes]]:
    """``timed_call`` where the task runs in another process or interpreter: its value comes back too.

    The value is pickled here, as a ``pool.map`` child pickles it, so that
    sending results back is part of what a sample measures; a value that
    cannot be pickled fails the task, as it would fail ``pool.map``.
    """
    record, value = timed_call(task, index)
    if record.error is not None:
        return record, None
    try:
        return record, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the pickling failure is the task's, measured and carried back
        return record._replace(error=_not_sent("pickled", traceback.format_exc())), None


def returned(record: TaskRecord, value: Optional[bytes]) -> TaskRecord:
    """The record of a ``returning_call``, once its value is unpickled here, as a pool's caller gets it."""
    if value is None:
        return record
    try:
        pickle.loads(value)
    except BaseException:  # noqa: BLE001 - as in returning_call: the task's failure, carried back
        return record._replace(error=_not_sent("unpickled", traceback.format_exc()))
    return record


def _not_sent(what: str, text: str) -> str:
    # Said on the traceback's last line: the error, as reports quote it.
    return (
        "{} (the task's return value could not be {} to be sent back, as a process pool sends it)\n".format(
            text.rstrip(), what
        )
    )


def timed_chunk(task: Callable[[int], Any], numbers: range) -> List[TaskRecord]:
    """Tasks ``numbers``, one submission to a pool worker (as ``pool.map`` sends a chunk), each timed."""
    return [timed_call(task, number)[0] for number in numbers]


def returning_chunk(task: Callable[[int], Any], numbers: range) -> List[Tuple[TaskRecord, Optional[bytes]]]:
    """``timed_chunk`` where the chunk runs in another process: each value comes back (``returning_call``)."""
    return [returning_call(task, number) for number in numbers]


# --- pools: warm or cold, chunked -----------------------------------------------------------------

COLD = "cold"
WARM = "warm"


def pool_params(start: str) -> Tuple[Param, ...]:
    """The ``start`` and ``chunksize`` parameters of every pool strategy, ``start`` by default ``start``."""
    return (
        Param(
            "start",
            "choice",
            start,
            "cold: the pool starts inside each sample and its start-up counts; "
            "warm: it starts once per point, its start-up recorded apart",
            choices=(COLD, WARM),
        ),
        Param(
            "chunksize",
            "int",
            AUTO,
            "tasks sent to a worker at once; auto: tasks / (4 x workers), rounded up, "
            "as multiprocessing.Pool.map chooses",
            minimum=1,
            maximum=10_000_000,  # as many as the most tasks a point may run
            words={AUTO: AUTO},
        ),
    )


def _nothing() -> None:
    """Submitted once per worker to start a warm pool's workers (module-level, so that it pickles)."""


@contextlib.contextmanager
def warm_session(job: Job, open_shared: Callable[[contextlib.ExitStack], Any]) -> Iterator[None]:
    """The session of a pool strategy (``Strategy.session``): with ``start=warm``, what ``open_shared``
    opens (closed with the stack it is given) is ``job.shared`` for every sample; cold, nothing is."""
    if job.params["start"] != WARM:
        yield
        return
    with contextlib.ExitStack() as stack:
        job.shared = open_shared(stack)
        try:
            yield
        finally:
            job.shared = None


def chunk_size(chosen: ParamValue, tasks: int, slots: int) -> int:
    """How many tasks go to a worker at once: ``chosen``, or for ``auto`` multiprocessing's rule.

    ``auto`` is ``ceil(tasks / (4 x slots))``, what ``multiprocessing.Pool.map``
    picks: four chunks per worker thread, enough to balance uneven tasks
    and few enough that per-submission costs (a pickle, a pipe, a scheduler
    round trip) are paid a quarter as many times per worker as there are
    tasks. One task per worker (T = W, the classic demo) stays one task per
    submission. A rule on the task count and not on measured task times (as
    joblib's ``batch_size="auto"``): every sample of a point then submits
    the same chunks, and samples stay comparable.
    """
    if chosen != AUTO:
        return max(1, int(chosen))
    return max(1, -(-tasks // (4 * max(1, slots))))


def chunks(tasks: int, size: int) -> List[range]:
    """Task numbers 0 … ``tasks`` − 1 in consecutive chunks of ``size`` (the last may be shorter)."""
    return [range(first, min(first + size, tasks)) for first in range(0, tasks, size)]


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

    Task ``number`` is entry ``number`` of each column (``worker``: the
    worker's number); ``errors`` holds the tracebacks of tasks that raised,
    and ``io_s`` NaN where a task reported no I/O wait.

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
        io = reported_io(value, span_ns)
        if io is not None:
            self.io_s[number] = io

    def __len__(self) -> int:
        return len(self.start_ns)

    def __getitem__(self, number: Any) -> Any:
        return list(self)[number]  # a TaskLog is read whole, by __iter__; an index costs as much

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

    Attributes:
        shared: what the strategy's ``session`` opened for every sample of
            the point (a warm pool, a cluster's client); None where it opened
            nothing, and the strategy starts what it needs inside each sample.
    """

    __slots__ = ("async_task", "params", "prepare", "shared", "sync_task", "tasks", "workers")

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
        self.shared: Any = None


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
        pool: True when its tasks go through a pool or a scheduler that
            takes ``start`` and ``chunksize`` (``pool_params``): it may start
            once per point, and its per-task overhead is worth reporting.
        pickles_tasks: True when each task is pickled to reach its worker
            (another process): a function that cannot be pickled cannot run.
        hands_off: True when each task is handed to another process or
            interpreter (pickled or copied, a pipe, a wake-up): a cost per
            task beyond the call itself.
        splits_native_work: True when work already parallel inside (native
            threads) is worth splitting over its workers, one native thread
            each: threads (native code releases the GIL) and processes; not
            thread-pool (it would repeat threads), nor subinterpreters (most
            native extensions cannot load there).
        tasks_in: where the tasks run, which says whose threads the
            breakdown of waits reads (``worker/_waits.py``): ``"caller"``,
            the thread that calls ``run`` (asyncio's loop); ``"threads"``,
            other threads of the worker process (sequential runs its tasks
            in one); ``"processes"``, its child processes.
    """

    name = ""
    summary = ""
    mode = "sync"
    params: Tuple[Param, ...] = (INNER_THREADS,)
    safe_workers = 1
    single_worker = False
    shares_one_gil = True
    pool = False
    pickles_tasks = False
    hands_off = False
    splits_native_work = False
    tasks_in = "threads"

    def unavailable_reason(self) -> Optional[str]:
        """Why this strategy cannot run in this interpreter, or None if it can."""
        return None

    def refusal(self, job: Job) -> Optional[str]:
        """Why it cannot run this job's tasks (say, they cannot cross to its workers), or None; asked once."""
        return None

    def session(self, job: Job) -> ContextManager[None]:
        """Open what every sample of the point shares, and close it after the last.

        Entered once per point by ``worker/_measure.py``, after the job is
        prepared and before the warm-ups; left after the last sample, also
        when one raises (a timeout or Ctrl-C ends the worker's whole process
        group, children included). A strategy that opens something (a warm pool, a Dask
        cluster) sets ``job.shared`` to it, and its ``run`` then uses it: the
        time from entering the session to the first task done is recorded
        apart, as the point's ``startup_s``. The base class opens nothing.
        """
        return contextlib.nullcontext()

    def run(self, job: Job) -> Outcome:
        """Run ``job.tasks`` tasks on ``job.workers`` workers; return their records."""
        raise NotImplementedError  # abstract: every strategy module overrides it


class PoolStrategy(Strategy):
    """A strategy whose tasks go to a ``concurrent.futures`` pool (``thread-pool``, ``processes``).

    Its pool is warm (made once per point by ``session``) or cold (made
    inside each sample, and shut down with it); its tasks go in chunks of
    ``chunksize`` (``chunk_size``), each task timed on its own. A subclass
    says how its pool is made (``open_pool``).
    """

    params: Tuple[Param, ...] = (*Strategy.params, *pool_params(COLD))
    pool = True

    def open_pool(self, job: Job) -> ContextManager[Any]:
        """A new pool of ``job.workers`` workers: a ``concurrent.futures`` executor."""
        raise NotImplementedError  # abstract: every pool strategy overrides it

    def session(self, job: Job) -> ContextManager[None]:
        def open_warm(stack: contextlib.ExitStack) -> Any:
            # Executors start workers as tasks arrive: started here, no sample pays for them.
            pool = stack.enter_context(self.open_pool(job))
            for future in [pool.submit(_nothing) for _ in range(job.workers)]:
                future.result()
            return pool

        return warm_session(job, open_warm)

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        run_chunk = functools.partial(returning_chunk if self.pickles_tasks else timed_chunk, job.sync_task)
        size = chunk_size(job.params["chunksize"], job.tasks, job.workers)
        with contextlib.ExitStack() as stack:
            pool = job.shared if job.shared is not None else stack.enter_context(self.open_pool(job))
            futures = [pool.submit(run_chunk, numbers) for numbers in chunks(job.tasks, size)]
            done = [each for future in futures for each in future.result()]
            # Each value comes back pickled and is loaded here, as pool.map would hand it over.
            return Outcome([returned(*sent) for sent in done] if self.pickles_tasks else done, None)
