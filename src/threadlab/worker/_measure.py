"""The one timing path every strategy goes through.

::

    workload.session (a server)  ─┐
      build the job, prepare      │
      strategy.session (a warm    │  ── opened ──┐
        pool, a cluster)          │              │ startup_s: to the first task done,
        warm-ups, then samples    │  first run ──┘ sent once as {"event": "startup"}
      strategy.session closed     │
    workload.session closed      ─┘

For each sample (warm-ups first, kept apart; then one per command from the
orchestrator): collect garbage, read the process's resource usage and the
clock, let the strategy run the tasks, read them again. The strategies only
run tasks; everything timed about a whole sample is here, written once.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, Optional, Tuple

from threadlab.worker import _native, _waits, strategies, workloads
from threadlab.worker._containment import stat_fields
from threadlab.worker._params import ParamValue, resolve
from threadlab.worker._schema import REQUEST_FIELDS, SAMPLE_FIELDS, SPAN_FIELDS
from threadlab.worker.strategies import Job, Outcome, Strategy
from threadlab.worker.workloads import Workload

# Defined beside the workloads, whose sessions raise it too; importable from here as before.
from threadlab.worker.workloads._base import PointRefused as PointRefused

try:
    import resource
except ImportError:  # Windows: CPU and context-switch figures are then absent, not zero
    resource = None  # type: ignore[assignment]  # checked before every use

# ru_maxrss is in kilobytes on Linux and in bytes on macOS.
_RSS_UNIT = 1 if sys.platform == "darwin" else 1024

Usage = Tuple[float, float, int, int, int]

# gilknocker's probe: try to take the GIL every 100 µs during 5 ms windows
# separated by 5 ms pauses. Probing costs the tasks: its thread competes for
# the GIL, and one thread counting took 0.24-0.35 s instead of 0.21 s here
# with it on, hence it runs only when asked for (THREADLAB_GILKNOCKER=1).
_KNOCK = {"polling_interval_micros": 100, "sampling_interval_micros": 5000, "sleeping_interval_micros": 5000}


def _live_children_cpu() -> Tuple[float, float]:
    """CPU user and system seconds so far of this process's live children (Linux; 0 elsewhere).

    A warm pool's processes (``start=warm``, a Dask LocalCluster) outlive the
    samples, and ``RUSAGE_CHILDREN`` counts a child only once it is reaped: one
    reaped between two readings is counted there in full, less what it had here.
    """
    user = system = 0.0
    children = multiprocessing.active_children()
    if not children or not os.path.isdir("/proc/self"):
        return user, system
    tick = os.sysconf("SC_CLK_TCK")
    for child in children:
        fields = stat_fields(child.pid)
        if fields is None:  # gone since it was listed
            continue
        # After "pid (comm)": field 3 is fields[0], so utime (14) and stime (15) are [11] and [12].
        user += int(fields[11]) / tick
        system += int(fields[12]) / tick
    return user, system


def _usage() -> Optional[Usage]:
    """CPU user/sys, voluntary/involuntary switches and peak RSS, self + children (live ones' CPU too)."""
    if resource is None:
        return None
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    live_user, live_system = _live_children_cpu()
    return (
        me.ru_utime + kids.ru_utime + live_user,
        me.ru_stime + kids.ru_stime + live_system,
        me.ru_nvcsw + kids.ru_nvcsw,
        me.ru_nivcsw + kids.ru_nivcsw,
        max(me.ru_maxrss, kids.ru_maxrss) * _RSS_UNIT,
    )


def _seconds(ns: int) -> float:
    # Spans are kept to 0.1 µs: finer than any task threadlab can time, and
    # it keeps a 100,000-task sample's JSON a few megabytes.
    return round(ns / 1e9, 7)


def sample_of(
    outcome: Outcome,
    start_ns: int,
    end_ns: int,
    before: Optional[Usage],
    after: Optional[Usage],
    gil_contention: Optional[float] = None,
    started_at: Optional[float] = None,
    round_number: Optional[int] = None,
    keep_spans: bool = True,
) -> Dict[str, Any]:
    """Turn one run of the tasks into the protocol's sample object (keys: ``_schema.SAMPLE_FIELDS``).

    With ``keep_spans`` False the per-task columns are left empty: the tasks
    were timed the same way, but a sample of 100,000 tasks need not travel
    and be stored again once a few of its kind have been.
    """
    records = sorted(outcome.records, key=lambda record: record.number)  # read once: a TaskLog builds them
    failed = [record for record in records if record.error is not None]
    spans: Dict[str, Any] = {name: [] for name in SPAN_FIELDS}
    if keep_spans:
        labels: Dict[str, int] = {}
        spans = {
            "start_s": [_seconds(r.start_ns - start_ns) for r in records],
            "end_s": [_seconds(r.end_ns - start_ns) for r in records],
            "cpu_s": [None if r.cpu_ns is None else _seconds(r.cpu_ns) for r in records],
            "worker": [labels.setdefault(r.worker, len(labels)) for r in records],
            "ok": [r.error is None for r in records],
            "workers": list(labels),
        }
        if any(r.io_s is not None for r in records):  # only where tasks reported their I/O wait
            spans["io_s"] = [None if r.io_s is None else round(r.io_s, 7) for r in records]
    sample: Dict[str, Any] = dict.fromkeys(SAMPLE_FIELDS)  # None where unmeasured
    sample.update(
        wall_s=(end_ns - start_ns) / 1e9,
        spawn_s=outcome.spawn_s,
        tasks_ok=len(records) - len(failed),
        tasks_failed=len(failed),
        first_error=failed[0].error if failed else None,
        spans=spans,
        gil_contention=gil_contention,
        round=round_number,
        started_at=started_at,
    )
    if before is not None and after is not None and outcome.usage_measured:
        sample["cpu_user_s"] = after[0] - before[0]
        sample["cpu_sys_s"] = after[1] - before[1]
        sample["ctx_voluntary"] = after[2] - before[2]
        sample["ctx_involuntary"] = after[3] - before[3]
        sample["max_rss_bytes"] = after[4]
    return sample


def _gil_probe(strategy: Strategy) -> Any:
    """A started ``gilknocker.KnockKnock`` (``Sample.gil_contention``), when asked for, installed,
    and able to see the tasks' GIL: the worker process's main interpreter's, not those of
    processes or subinterpreters."""
    if not strategy.shares_one_gil or os.environ.get("THREADLAB_GILKNOCKER") != "1":
        return None
    try:
        import gilknocker  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional, no stubs
    except ImportError:
        return None
    knocker = gilknocker.KnockKnock(**_KNOCK)
    knocker.start()
    return knocker


def one_sample(
    strategy: Strategy,
    job: Job,
    round_number: Optional[int] = None,
    keep_spans: bool = True,
    waits: Optional[_waits.WaitSampler] = None,
) -> Dict[str, Any]:
    """Time one run of all tasks of ``job`` under ``strategy``; ``round_number`` None for a warm-up.

    With ``waits``, the sample also says where its threads' time went (its
    ``waits`` key), read from just before the clock starts to just after it stops.
    """
    gc.collect()
    knocker = _gil_probe(strategy)
    # The breakdown's reading starts before the usage is read and is summed after it is
    # read again: only its stack thread's CPU (0.4-0.7% of a core at 20 Hz here) is the sample's.
    if waits is not None:
        waits.start()
    before = _usage()
    started_at = time.time()
    start = time.perf_counter_ns()
    try:
        outcome = strategy.run(job)
    finally:
        end = time.perf_counter_ns()
        if knocker is not None:
            knocker.stop()
        if waits is not None:
            waits.halt()
    after = _usage()
    breakdown = None if waits is None else waits.collect()
    contention = None if knocker is None else round(float(knocker.contention_metric), 4)
    if len(outcome.records) != job.tasks:
        raise RuntimeError(
            "strategy {} returned {} task records for {} tasks".format(
                strategy.name, len(outcome.records), job.tasks
            )
        )
    sample = sample_of(outcome, start, end, before, after, contention, started_at, round_number, keep_spans)
    if breakdown is not None:
        sample["waits"] = breakdown
    return sample


def build_job(request: Dict[str, Any]) -> Tuple[Strategy, Job, Workload, Dict[str, ParamValue]]:
    """Check a request's names and parameters and build its job, its tasks from those parameters.

    Returns:
        The strategy, the job, the workload and its parameters, for its session.

    Raises:
        PointRefused: the request names something unknown or unavailable, or a
            parameter is not accepted.
    """
    pickled = request.get("function")
    if pickled is not None and not isinstance(pickled, str):
        raise PointRefused("function must be base64 text or null, not {!r}".format(type(pickled).__name__))
    try:
        workload: Workload = workloads.get(request["workload"], pickled)
    except KeyError:
        raise PointRefused("unknown workload {!r}".format(request["workload"])) from None
    except workloads.TargetError as error:
        raise PointRefused(str(error)) from None
    module = request.get("strategy_module")
    if module is not None and not isinstance(module, str):
        raise PointRefused("strategy_module must be a module name or null, not {!r}".format(module))
    try:
        strategy = strategies.get(request["strategy"], module)
    except KeyError:
        where = "" if module is None else " in module {!r}".format(module)
        raise PointRefused("unknown strategy {!r}{}".format(request["strategy"], where)) from None
    except ImportError as error:
        raise PointRefused(
            "strategy {!r}: cannot import its module {!r}: {}".format(request["strategy"], module, error)
        ) from None
    for reason in (workload.unavailable_reason(), strategy.unavailable_reason()):
        if reason:
            raise PointRefused(reason)
    try:
        work_params: Dict[str, ParamValue] = resolve(workload.params, request.get("params", {}))
        own_params = resolve(strategy.params, request.get("strategy_params", {}))
        workload.check(work_params)
    except ValueError as error:
        raise PointRefused(str(error)) from None
    sync_task = workload.sync_task(work_params)
    async_task = workload.async_task(work_params)
    if (strategy.mode == "async" and async_task is None) or (strategy.mode == "sync" and sync_task is None):
        raise PointRefused(
            "workload {} has no {} form for strategy {}".format(workload.name, strategy.mode, strategy.name)
        )
    job = Job(
        tasks=int(request["tasks"]),
        workers=1 if strategy.single_worker else int(request["workers"]),
        params=own_params,
        sync_task=sync_task,
        async_task=async_task,
        prepare=functools.partial(workload.prepare, work_params),
    )
    reason = strategy.refusal(job)
    if reason:
        raise PointRefused(reason)
    return strategy, job, workload, work_params


def run_point(
    request: Dict[str, Any],
    emit: Callable[[Dict[str, Any]], None],
    commands: Callable[[], Optional[Dict[str, Any]]],
) -> None:
    """Run a point's warm-ups, then one sample per command, emitting each as it is measured.

    Everything is checked before the workload's session sets anything up (a
    server, a directory). ``commands`` gives the next command, waiting for it, or None when no more
    will come.

    Raises:
        PointRefused: the request or a command is not one this worker takes.
    """
    unknown = sorted(set(request) - set(REQUEST_FIELDS))
    if unknown:
        raise PointRefused("unknown request field(s): {}".format(", ".join(unknown)))
    try:
        inner = _native.requested(request.get("strategy_params", {}))
    except ValueError as error:
        raise PointRefused(str(error)) from None
    if not isinstance(request.get("waits", True), bool):
        raise PointRefused("waits must be true or false, not {!r}".format(request["waits"]))
    # The worker's own threads (its protocol's reader), which the breakdown of waits leaves out.
    machinery = [
        t.native_id for t in threading.enumerate() if t is not threading.main_thread() and t.native_id
    ]
    _native.limit_environment(inner)
    strategy, job, workload, params = build_job(request)
    with workload.session(params) as task_params:  # tasks again, with what it added (_port)
        job.sync_task, job.async_task = workload.sync_task(task_params), workload.async_task(task_params)
        job.prepare = functools.partial(workload.prepare, task_params)
        job.prepare()
        _native.limit_loaded(inner)
        opened = time.perf_counter()
        with strategy.session(job):
            after = _startup(time.perf_counter() - opened if job.shared is not None else None, emit)
            for _ in range(int(request.get("warmup", 1))):
                sample = one_sample(strategy, job)
                emit({"event": "sample", "warmup": True, "sample": sample})
                after(sample)
            # Started after the warm-ups, which it never reads, and before "ready", so
            # that its start-up (~70 ms, a Python process) falls in no sample.
            waits = (
                _waits.WaitSampler(strategy.tasks_in, machinery, strategy.shares_one_gil)
                if request.get("waits", True)
                else None
            )
            emit({"event": "ready", "native": _native.report()})
            try:
                while True:
                    command = commands()
                    if command is None or command.get("command") == "stop":
                        return
                    if command.get("command") != "sample":
                        raise PointRefused("unknown command {!r}".format(command.get("command")))
                    keep = bool(command.get("spans", True))
                    # A command's "waits": false skips the breakdown for that sample only, so
                    # that bench_waits.py can pair samples with and without it in one process.
                    reading = waits if command.get("waits", True) is not False else None
                    sample = one_sample(strategy, job, int(command.get("round", 0)), keep, reading)
                    emit({"event": "sample", "warmup": False, "sample": sample})
                    after(sample)
            finally:
                if waits is not None:
                    waits.close()


def _startup(
    opened_s: Optional[float], emit: Callable[[Dict[str, Any]], None]
) -> Callable[[Dict[str, Any]], None]:
    """Sends the point's start-up (``Measurement.startup_s``), where its strategy opened a session:
    the session's opening plus its first run's first task, sent once, after that run."""
    pending = [] if opened_s is None else [opened_s]

    def after(sample: Dict[str, Any]) -> None:
        if pending:
            ends = sample["spans"]["end_s"]
            first = min(ends) if ends else sample["wall_s"]
            emit({"event": "startup", "startup_s": round(pending.pop() + first, 7)})

    return after
