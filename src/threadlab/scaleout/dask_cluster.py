"""``dask``: tasks submitted to a Dask distributed cluster of W worker processes.

::

    threadlab worker (this process)                       Dask cluster
    ───────────────────────────────                       ────────────
    session (start=warm: once per point, before the warm-ups; cold: in each sample)
      embedded:    LocalCluster(W processes × threads) ─► scheduler in this process,
                                                          W worker processes, our children
      --scheduler: Client(ADDR), pick W of its workers ─► scheduler and workers run by someone else
      can the scheduler and each worker load the task?  ─► pickle.loads(task) there
      prepare() on each of the W workers                ─► the workload's input data
    each sample
      are the W workers still there?                    ─► client.nthreads()
      ── spawn_s ends here ──
      submit the tasks, in chunks of chunksize          ─► returning_call(task, i) per task, on a thread
      records (workers' clocks), values ◄───────────────  each value pickled there, loaded here
    session closed: the client; the LocalCluster too (embedded only; ADDR's cluster is left running)

W is the number of Dask worker processes, each with ``threads_per_worker``
threads (1 unless ``--param threads_per_worker=N``). Warm, the point's
``startup_s`` is the cluster's start (about 1.9 s for two embedded workers
here: each is a fresh ``spawn``-ed Python importing distributed); cold, each
sample's ``spawn_s``. A worker that left between samples (killed, restarted by
its nanny under another address) fails the point as crashed.

Tasks go to the scheduler in chunks of ``chunksize`` (``_base.chunk_size``
over W × threads_per_worker), one Dask task per chunk: every Dask task costs
the scheduler a round trip (about a millisecond here), which chunks pay once.

What is measured, and where:

- Per-task spans and CPU: ``returning_call`` runs on the Dask worker
  thread, as for every strategy whose tasks run elsewhere. The embedded
  cluster is on this machine, where ``perf_counter`` is one system-wide
  monotonic clock, so the spans need no correction. On an existing cluster
  each worker's clock is read once per sample: a reading that falls between
  two readings of ours is the same clock; otherwise the spans are shifted by
  the measured offset (good to half the round trip, a millisecond or less on
  a LAN) and kept within the time this sample ran. Labels gain ``@host``
  there, since pids repeat across machines.
- Sample CPU, context switches and peak RSS: the resource usage of this
  process and its reaped children. On the embedded cluster the Dask worker
  processes are children of this one (spawned by the in-process nannies):
  cold, they are reaped when the cluster closes, inside the sample, and their
  CPU, start-up included (about 1 CPU-second each), and their peak RSS are
  counted; warm, their CPU during the sample is read from ``/proc`` by
  ``worker/_measure.py`` (Linux), as for any live child. On an
  existing cluster the work happens in processes threadlab cannot see, so
  these figures are absent (None), not zero.
- A Dask worker that dies running a task fails the point as crashed
  (``WorkerLost``); the embedded cluster does not retry such a task
  (``allowed_failures=0``), an existing cluster retries it as its scheduler
  is configured (``distributed.scheduler.allowed-failures``, 3 by default).

Tasks travel by pickle, by reference: threadlab (for its built-in workloads)
and a user's module must be importable on the scheduler and on every worker.
The embedded cluster's workers get this process's ``sys.path``, so whatever
runs here runs there; on an existing cluster a task that cannot be loaded is
refused in one line before any task runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import pickle
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threadlab.worker._params import Param
from threadlab.worker.strategies._base import (
    WARM,
    Job,
    Outcome,
    Strategy,
    TaskRecord,
    WorkerLost,
    chunk_size,
    chunks,
    on_host,
    pool_params,
    returned,
    returning_chunk,
    warm_session,
)
from threadlab.worker.workloads._base import PointRefused

if TYPE_CHECKING:
    from distributed import Client

INSTALL_HINT = "pip install 'threadlab[dask]'"

# The environment variable ``threadlab run`` reads when --scheduler is not given.
SCHEDULER_ENV = "THREADLAB_DASK_SCHEDULER"

# An unreachable scheduler must cost one line within 10 s, never a hang: a
# plain TCP connection first (a refused one fails at once, a silent host after
# this long), then dask's own handshake with its connect timeout.
REACH_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5.0
# How long a point waits for an existing cluster to have its W workers.
WORKERS_TIMEOUT_S = 10.0
# Closing the embedded cluster takes ~0.3 s; one that hangs is left to the
# orchestrator, which kills the worker's process group at --timeout.
CLOSE_TIMEOUT_S = 10.0

# A task's record and its pickled return value (``returning_call``).
Sent = tuple[TaskRecord, bytes | None]
RunChunk = Callable[[range], tuple[list[Sent], str]]


def scheduler_address(text: str) -> str:
    """Check a scheduler address and write it in full: ``HOST:PORT`` means ``tcp://HOST:PORT``.

    Raises:
        ValueError: ``text`` is not ``tcp://HOST:PORT`` or ``tls://HOST:PORT``.
    """
    raw = text.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "tcp", raw
    host, colon, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not colon or not host.strip("[]") or not port.isdigit():
        raise ValueError(
            f"{text!r} is not a Dask scheduler address; expected tcp://HOST:PORT, like tcp://10.0.0.5:8786"
        )
    return f"{scheme}://{rest}"


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.partition("://")[2].rpartition(":")
    return host.strip("[]"), int(port)


def _unreachable(address: str, seconds: float, reason: str) -> str:
    return (
        f"cannot reach a Dask scheduler at {address} within {seconds:g} s ({reason}); "
        "start one with `dask scheduler`, or check the address"
    )


def connect(address: str) -> Client:
    """A client of the Dask scheduler at ``address`` (checked with :func:`scheduler_address`).

    Raises:
        ValueError: no Dask scheduler answered there within 8 s (3 s for a
            TCP connection, 5 s for dask's handshake); one line for the user.
    """
    try:
        with socket.create_connection(_host_port(address), timeout=REACH_TIMEOUT_S):
            pass
    except OSError as error:
        reason = "no answer" if isinstance(error, socket.timeout) else (error.strerror or str(error))
        raise ValueError(_unreachable(address, REACH_TIMEOUT_S, reason)) from None
    # Anything accepting TCP (a proxy, a worker, another server) gets this far,
    # so ask what answers before a Client is made: a Client that fails to
    # connect still blocks the interpreter's exit for 10 s, closing itself.
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(address), CONNECT_TIMEOUT_S))
    except Exception as error:  # noqa: BLE001 - what dask makes of a stranger's answer is no help to the user
        reason = (
            "no answer"
            if isinstance(error, asyncio.TimeoutError)
            else (str(error) if isinstance(error, OSError) else "what answered is not a Dask scheduler")
        )
        raise ValueError(_unreachable(address, CONNECT_TIMEOUT_S, reason)) from None
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind != "Scheduler":
        raise ValueError(
            f"{address} is a Dask {kind or 'peer'}, not a scheduler; give the address `dask scheduler` "
            "printed at its start"
        )
    from distributed import Client

    return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)


async def _identity(address: str) -> Any:
    """What the Dask server at ``address`` says it is (``{"type": "Scheduler", …}``)."""
    from distributed.comm.core import connect as open_comm
    from distributed.security import Security

    # tls:// needs the certificates dask's configuration names, as a Client would use.
    options = Security().get_connection_args("client")
    comm = await open_comm(address, timeout=CONNECT_TIMEOUT_S, **options)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def check_scheduler(address: str) -> None:
    """Check, before any work starts, that a Dask scheduler answers at ``address``.

    Raises:
        ValueError: the address is malformed or no scheduler answered (see :func:`connect`).
    """
    connect(scheduler_address(address)).close()


def _run_on_worker(call: Callable[[range], list[Sent]], numbers: range) -> tuple[list[Sent], str]:
    """Run one chunk of tasks on a Dask worker; their records and pickled values, and which worker it was."""
    from distributed import get_worker

    return call(numbers), get_worker().address


def _cannot_load(where: str, error: BaseException) -> str:
    missing = getattr(error, "name", None) or ""
    what = f"{type(error).__name__}: {error}"
    if missing.split(".")[0] == "threadlab":
        return f"{where} cannot import threadlab ({what}); install it there: {INSTALL_HINT}"
    return (
        f"{where} cannot load the task ({what}); a user function must be importable on the Dask "
        "scheduler and every Dask worker: install its module there, or start them with its directory "
        "on PYTHONPATH"
    )


@dataclass(frozen=True)
class _Opened:
    """A cluster ready for tasks: the client, the W workers chosen, and the scheduler's address."""

    client: Client
    chosen: list[str]
    address: str  # empty: the embedded LocalCluster


class DaskCluster(Strategy):
    name = "dask"
    summary = "tasks submitted to a Dask cluster of W worker processes (embedded, or --scheduler ADDR)"
    params = (
        *Strategy.params,
        Param("threads_per_worker", "int", 1, "threads in each Dask worker process", minimum=1, maximum=1024),
        Param(
            "scheduler",
            "text",
            "",
            "address of a running Dask scheduler, like tcp://10.0.0.5:8786; "
            "empty: a LocalCluster on this machine",
        ),
        # Warm by default: cluster users keep their cluster running, and what they ask is its
        # steady-state throughput; a cold start (~1.9 s for two workers) is recorded apart.
        *pool_params(WARM),
    )
    # Each Dask worker is a Python process with distributed imported: ~100 MB
    # and ~1 CPU-second to start. Past a few dozen on one machine it is a
    # memory hog; a real cluster that big is worth an explicit --max-workers.
    safe_workers = 64
    # Tasks run in the Dask worker processes, under their GILs, not this process's.
    shares_one_gil = False
    # Tasks are pickled to the Dask workers, through its scheduler.
    pool = True
    pickles_tasks = True
    hands_off = True
    tasks_in = "processes"

    def unavailable_reason(self) -> str | None:
        # find_spec does not import: listing strategies stays fast.
        if any(importlib.util.find_spec(name) is None for name in ("dask", "distributed")):
            return "needs dask.distributed, which is not installed in this Python; " + INSTALL_HINT
        return None

    def session(self, job: Job) -> contextlib.AbstractContextManager[None]:
        return warm_session(job, lambda stack: _open(stack, job))

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        threads = int(job.params["threads_per_worker"])
        entered = time.perf_counter_ns()
        with contextlib.ExitStack() as stack:
            if isinstance(job.shared, _Opened):
                opened = job.shared
                _check_alive(opened)
            else:
                opened = _open(stack, job)
            client, chosen, address = opened.client, opened.chosen, opened.address
            offsets = _clock_offsets(client, chosen) if address else {}
            ready = time.perf_counter_ns()
            # Restrict the tasks to the chosen workers only where the cluster has others.
            only = chosen if len(client.nthreads()) > len(chosen) else None
            size = chunk_size(job.params["chunksize"], job.tasks, len(chosen) * threads)
            run_chunk = functools.partial(_run_on_worker, functools.partial(returning_chunk, job.sync_task))
            results = _run_tasks(client, run_chunk, chunks(job.tasks, size), only)
            finished = time.perf_counter_ns()
        records = [
            _on_our_clock(returned(*sent), offsets.get(where, 0), entered, finished, where if address else "")
            for chunk, where in results
            for sent in chunk
        ]
        return Outcome(records, (ready - entered) / 1e9, usage_measured=not address)


def _open(stack: contextlib.ExitStack, job: Job) -> _Opened:
    """Start or reach the cluster, check it can run the tasks, prepare them; closed with ``stack``."""
    assert job.sync_task is not None
    address = str(job.params["scheduler"])
    threads = int(job.params["threads_per_worker"])
    if address:
        client, chosen = _existing_cluster(stack, address, job.workers, threads)
    else:
        client, chosen = _embedded_cluster(stack, job.workers, threads)
    _check_loadable(client, functools.partial(returning_chunk, job.sync_task), chosen, address)
    client.run(job.prepare, workers=chosen)
    return _Opened(client, chosen, address)


def _check_alive(opened: _Opened) -> None:
    """Fail the point as crashed (``WorkerLost``) where a chosen worker left since the last sample."""
    present = opened.client.nthreads()
    gone = [where for where in opened.chosen if where not in present]
    if gone:
        raise WorkerLost(
            f"the Dask worker {gone[0]} left the cluster between samples "
            f"({len(present)} worker(s) there now, {len(opened.chosen)} chosen for this point)"
        )


def _embedded_cluster(stack: contextlib.ExitStack, workers: int, threads: int) -> tuple[Client, list[str]]:
    """Start a LocalCluster of ``workers`` processes on loopback; closed when ``stack`` closes."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=threads,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # A worker that dies fails its task at once: retrying would kill
        # worker after worker (a task that ends its process) and measure the restarts.
        scheduler_kwargs={"allowed_failures": 0},
    )
    stack.callback(cluster.close, timeout=CLOSE_TIMEOUT_S)
    client = Client(cluster)
    stack.callback(client.close)
    client.wait_for_workers(workers)
    return client, sorted(client.nthreads())


def _existing_cluster(
    stack: contextlib.ExitStack, address: str, workers: int, threads: int
) -> tuple[Client, list[str]]:
    """Connect to the scheduler at ``address`` and pick ``workers`` of its workers with ``threads`` each.

    Raises:
        PointRefused: the scheduler cannot be reached, or has too few such workers.
    """
    try:
        address = scheduler_address(address)
        client = connect(address)
    except ValueError as error:
        raise PointRefused(str(error)) from None
    stack.callback(client.close)
    found: dict[str, int] = client.nthreads()
    if len(found) < workers:
        try:
            client.wait_for_workers(workers, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise PointRefused(
                f"the Dask cluster at {address} has {len(client.nthreads())} worker(s) after "
                f"{WORKERS_TIMEOUT_S:g} s; this point needs {workers}: start more with "
                f"`dask worker {address}`, or sweep fewer workers"
            ) from None
        found = client.nthreads()
    fitting = sorted(where for where, count in found.items() if count == threads)
    if len(fitting) < workers:
        counts = sorted(set(found.values()))
        theirs = " or ".join(str(count) for count in counts)
        raise PointRefused(
            f"the Dask cluster at {address} has {len(fitting)} worker(s) with {threads} thread(s) each "
            f"(its workers run {theirs}); this point needs {workers}: start workers with "
            f"`dask worker {address} --nthreads {threads}`, "
            f"or set the parameter threads_per_worker={counts[-1]}"
        )
    return client, fitting[:workers]


def _check_loadable(
    client: Client, call: Callable[[range], list[Sent]], workers: list[str], address: str
) -> None:
    """Refuse the point (``PointRefused``: where, the import error, what to do) where the task cannot load."""
    from distributed.protocol import pickle as dask_pickle

    payload = dask_pickle.dumps(call)  # as dask itself will send it
    if address:  # the embedded scheduler is this process
        try:
            client.run_on_scheduler(pickle.loads, payload)
        except Exception as error:  # noqa: BLE001 - whatever stops the load is the user's to see
            raise PointRefused(_cannot_load("the Dask scheduler at " + address, error)) from None
    answers: dict[str, Any] = client.run(pickle.loads, payload, workers=workers, on_error="return")
    for where in workers:
        if isinstance(answers.get(where), BaseException):
            raise PointRefused(_cannot_load("the Dask worker " + where, answers[where]))


def _clock_offsets(client: Client, workers: list[str]) -> dict[str, int]:
    """Each worker's ``perf_counter_ns`` minus ours, 0 where it is the same clock."""
    before = time.perf_counter_ns()
    readings: dict[str, int] = client.run(time.perf_counter_ns, workers=workers)
    after = time.perf_counter_ns()
    return {
        where: 0 if before <= reading <= after else reading - (before + after) // 2
        for where, reading in readings.items()
    }


def _run_tasks(
    client: Client, run_chunk: RunChunk, parts: list[range], only: list[str] | None
) -> list[tuple[list[Sent], str]]:
    """Submit every chunk, gather every record; a worker that died is ``WorkerLost``."""
    from distributed import KilledWorker

    futures = client.map(run_chunk, parts, pure=False, workers=only, allow_other_workers=False)
    numbers = {future.key: part for part, future in zip(parts, futures, strict=True)}
    try:
        results: list[tuple[list[Sent], str]] = client.gather(futures)
    except KilledWorker as error:
        died = error.allowed_failures + 1  # the scheduler gave up once one more died than it allows
        part = numbers.get(error.task)
        which = "task ?" if part is None else _tasks_named(part)
        raise WorkerLost(
            f"the Dask worker {error.last_worker.address} died while running {which}"
            + (f", the last of {died} that did" if died > 1 else "")
        ) from None
    return results


def _tasks_named(part: range) -> str:
    """``task 3``, or ``tasks 4–7`` for a chunk."""
    return f"task {part[0]}" if len(part) == 1 else f"tasks {part[0]}–{part[-1]}"


def _on_our_clock(record: TaskRecord, offset: int, earliest: int, latest: int, where: str) -> TaskRecord:
    """The record with its times on this process's clock and its worker named across hosts."""
    worker = record.worker
    if where:
        worker = on_host(worker, _host_port(where)[0])
    start, end = record.start_ns, record.end_ns
    if offset:
        # The task ran while this sample waited for it, so its true times lie
        # within that window; the offset's error (half a round trip) may not.
        start = min(max(start - offset, earliest), latest)
        end = min(max(end - offset, start), latest)
    return record._replace(start_ns=start, end_ns=end, worker=worker)


STRATEGY = DaskCluster()
