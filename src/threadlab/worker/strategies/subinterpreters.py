"""``interpreters``: one subinterpreter per worker, each with a GIL of its own.

::

    worker process, main interpreter             subinterpreter k (own GIL)
    ────────────────────────────────             ──────────────────────────
    pickle the task (refused if it cannot cross)
    host thread k (kept for the point): creates interpreter k on first use
    round 1, all hosts at once: bootstrap ────►  sys.path as in the main interpreter;
                                                 first time only: import threadlab,
                                                 unpickle the task, prepare
               ◄── "ready" (or the traceback) ─
    spawn_s = until the last one is ready
    round 2, all hosts at once: bootstrap ────►  tasks k, k+W, k+2W, …: returning_call each
               ◄── records and pickled values (marshal, through an unlinked temporary file)
    each value unpickled here, as InterpreterPoolExecutor hands it over
    at exit: each host destroys its interpreter

Each host thread switches into its subinterpreter for its whole share of
the tasks, so the subinterpreters run Python code at the same time, on as
many cores as there are workers (PEP 684, Python 3.12+); the second round
starts them together, as ``threads`` starts its threads. Spans are taken
inside the subinterpreter by ``returning_call`` (every strategy's timing,
with the task's return value pickled to come back), with the same
process-wide clocks (``perf_counter_ns``, ``thread_time_ns``), and travel
back as plain tuples of the shared ``TaskRecord`` shape, so the sample is
timed above, once, as for the others.

The interpreters are created by the first sample of a point (a warm-up,
unless ``--warmup 0``) and kept for the next ones, like the pool of an
``InterpreterPoolExecutor`` a program creates once. A new subinterpreter
imports everything again (threadlab, pickle, the task's module): 40–100 ms
here, which would otherwise be paid in every sample, where threads share the
main interpreter's modules and forked pool processes inherit them. ``spawn_s``
is the first round: creation and imports in the first sample, about a
millisecond after.

Only what can be imported by name can cross: the task and the workload's
preparation are pickled here and unpickled there (which imports their
modules in the subinterpreter). A closure or a lambda is refused with the
reason. Modules loaded from a file (``path/to/file.py:function``) are found
because the subinterpreter gets the main interpreter's ``sys.path``. An
extension module without support for subinterpreters (no multi-phase init)
fails to import there, and the sample fails with that module's error.

Which module creates the interpreters:

- Python 3.14+: ``concurrent.interpreters`` (``create``, ``prepare_main``,
  ``exec``, ``close``). ``InterpreterPoolExecutor`` is not used: it hands each
  task to whichever interpreter is free, one pickled call at a time, while
  this strategy gives each worker its share up front, as ``threads`` does, so
  that the two compare like with like; and 3.14 then runs the very code that
  3.12 and 3.13 run, but for those four calls.
- Python 3.13: ``_interpreters`` (``create("isolated")``, ``exec``, ``destroy``).
- Python 3.12: ``_xxsubinterpreters`` (``create(isolated=True)``,
  ``run_string``, ``destroy``). ``isolated=True``, its default, is what gives
  the new interpreter its own GIL: with ``isolated=False`` it shares the main
  interpreter's GIL, and two workers counting measured slower than one.

The task code always runs inside a function (``serve`` below, then the
workload's own function): the same loop run as top-level code of the
subinterpreter's ``__main__`` (module globals instead of fast locals)
measured about 2× slower.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import marshal
import os
import pickle
import sys
import threading
import time
import traceback
from typing import Any, Dict, List, Optional

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, returned, returning_call

# Runs as top-level code in the subinterpreter at every sample: set the path,
# then hand over to a function at once (module-level code runs markedly slower).
_BOOTSTRAP = """\
import marshal as _threadlab_marshal, sys as _threadlab_sys
_threadlab_spec = _threadlab_marshal.loads(_threadlab_request)
_threadlab_sys.path[:] = _threadlab_spec["path"]
from threadlab.worker.strategies.subinterpreters import serve as _threadlab_serve
_threadlab_serve(_threadlab_spec, _threadlab_out)
"""


class InterpreterFailed(Exception):
    """A subinterpreter could not run its share of the tasks (not a task's own error)."""


class _RemoteTraceback(Exception):
    """Carries a subinterpreter's formatted traceback as the cause of ``InterpreterFailed``.

    Like ``concurrent.futures.process._RemoteTraceback``: the traceback printed
    for the failure then shows where it happened inside the subinterpreter.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return '\n"""\n{}"""'.format(self.text)


class _Backend:
    """Create a subinterpreter with its own GIL, run code in it, destroy it."""

    module = ""

    def create(self) -> Any:
        raise NotImplementedError  # abstract: one subclass per module

    def run(self, interpreter: Any, code: str, shared: Dict[str, Any]) -> None:
        raise NotImplementedError  # abstract: one subclass per module

    def destroy(self, interpreter: Any) -> None:
        importlib.import_module(self.module).destroy(interpreter)


class _Concurrent(_Backend):
    module = "concurrent.interpreters"  # 3.14+

    def create(self) -> Any:
        return importlib.import_module(self.module).create()

    def run(self, interpreter: Any, code: str, shared: Dict[str, Any]) -> None:
        interpreter.prepare_main(shared)
        interpreter.exec(code)

    def destroy(self, interpreter: Any) -> None:
        interpreter.close()


class _Low313(_Backend):
    module = "_interpreters"  # 3.13

    def create(self) -> Any:
        return importlib.import_module(self.module).create("isolated")

    def run(self, interpreter: Any, code: str, shared: Dict[str, Any]) -> None:
        failure = importlib.import_module(self.module).exec(interpreter, code, shared)
        if failure is not None:
            raise InterpreterFailed(failure.errdisplay or failure.formatted or failure.msg)


class _Low312(_Backend):
    module = "_xxsubinterpreters"  # 3.12

    def create(self) -> Any:
        return importlib.import_module(self.module).create(isolated=True)

    def run(self, interpreter: Any, code: str, shared: Dict[str, Any]) -> None:
        importlib.import_module(self.module).run_string(interpreter, code, shared)


def _backend() -> Optional[_Backend]:
    """How this Python makes subinterpreters with their own GIL, if it can."""
    if sys.version_info < (3, 12):
        return None
    for backend in (_Concurrent(), _Low313(), _Low312()):
        try:
            importlib.import_module(backend.module)
        except ImportError:
            continue
        return backend
    return None


class _Host:
    """One subinterpreter and the thread that owns it.

    The interpreter is created, run and destroyed by this one thread, as the
    workers of ``InterpreterPoolExecutor`` do: 3.12's ``run_string`` runs code
    through the interpreter's first thread state, whichever thread calls it,
    so an interpreter is only ever entered from the thread that made it.
    """

    def __init__(self, backend: _Backend, slot: int) -> None:
        self.backend = backend
        self.shared: Optional[Dict[str, Any]] = None
        self.failure: Optional[str] = None
        self.go = threading.Event()
        self.done = threading.Event()
        # A daemon thread, stopped by ``_Pool.close`` at exit: threading joins
        # non-daemon threads before atexit handlers run, and this one waits for work.
        self.thread = threading.Thread(target=self._serve, name="threadlab-interp-host-{}".format(slot))
        self.thread.daemon = True
        self.thread.start()

    def _serve(self) -> None:
        interpreter = None
        try:
            while True:
                self.go.wait()
                self.go.clear()
                if self.shared is None:
                    return
                self.failure = None
                try:
                    if interpreter is None:
                        interpreter = self.backend.create()
                    self.backend.run(interpreter, _BOOTSTRAP, self.shared)
                except BaseException:  # noqa: BLE001 - raised in the main thread, with the others' answers
                    self.failure = traceback.format_exc()
                self.done.set()
        finally:
            if interpreter is not None:
                self.backend.destroy(interpreter)

    def start(self, shared: Dict[str, Any]) -> None:
        """Run the bootstrap with ``shared`` in this interpreter, in its thread."""
        self.shared = shared
        self.done.clear()
        self.go.set()

    def wait(self) -> Optional[str]:
        """Wait for the run to end; the traceback of its failure, or None."""
        self.done.wait()
        return self.failure

    def stop(self) -> None:
        """Destroy the interpreter and end the thread."""
        self.shared = None
        self.go.set()
        self.thread.join()


class _Pool:
    """The subinterpreters of this worker process: made on first use, destroyed at exit."""

    def __init__(self) -> None:
        self.hosts: List[_Host] = []

    def get(self, backend: _Backend, count: int) -> List[_Host]:
        """``count`` hosts, started now where there are fewer."""
        if not self.hosts:
            atexit.register(self.close)
        while len(self.hosts) < count:
            self.hosts.append(_Host(backend, len(self.hosts)))
        return self.hosts[:count]

    def close(self) -> None:
        """Destroy every interpreter, before the main interpreter finalizes."""
        hosts, self.hosts = self.hosts, []
        for host in hosts:
            host.stop()


_POOL = _Pool()

# Inside a subinterpreter: what its first sample unpickled and prepared, kept for the next ones.
_TASKS: Dict[bytes, Any] = {}
_PREPARED: Dict[bytes, bool] = {}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


def serve(spec: Dict[str, Any], out: int) -> None:
    """Set up, or run, one worker's share of the tasks; called inside its subinterpreter.

    Args:
        spec: ``phase`` ``"setup"``: unpickle ``task`` and run ``prepare``
            (both pickled; once per interpreter, kept for later samples).
            ``phase`` ``"run"``: run tasks ``range(first, tasks, step)`` of the
            task set up as ``task``. Either: ``name`` the worker's thread.
        out: file descriptor that receives the marshalled answer: ``error``
            (the traceback of a failed setup, or None) and ``records``
            (``TaskRecord`` fields as tuples, each with the task's pickled
            return value, as ``returning_call`` gives them).
    """
    records: List[Any] = []
    error: Optional[str] = None
    # Named at every round: 3.13 gives each run a thread state (and a thread object) of its own.
    threading.current_thread().name = spec["name"]
    if spec["phase"] == "setup":
        try:
            if spec["task"] not in _TASKS:
                _TASKS[spec["task"]] = pickle.loads(spec["task"])
            if spec["prepare"] not in _PREPARED:
                pickle.loads(spec["prepare"])()
                _PREPARED[spec["prepare"]] = True
        except BaseException:  # noqa: BLE001 - carried back whole and raised in the main interpreter
            error = traceback.format_exc()
    else:
        task = _TASKS[spec["task"]]
        for index in range(spec["first"], spec["tasks"], spec["step"]):
            record, value = returning_call(task, index)
            records.append((tuple(record), value))
    answer = memoryview(marshal.dumps({"error": error, "records": records}))
    while answer:
        answer = answer[os.write(out, answer) :]


class Subinterpreters(Strategy):
    name = "interpreters"
    summary = "one subinterpreter per worker, each with its own GIL (Python 3.12+), tasks dealt round-robin"
    # Each subinterpreter costs a few MB and tens of ms to start; hundreds are still fine.
    safe_workers = 256
    shares_one_gil = False
    hands_off = True

    def unavailable_reason(self) -> Optional[str]:
        if sys.version_info < (3, 12):
            return "subinterpreters with a GIL of their own need Python 3.12 or later; this is {}".format(
                ".".join(map(str, sys.version_info[:3]))
            )
        if _backend() is None:
            return "this Python has no subinterpreter module (concurrent.interpreters, _interpreters)"
        return None

    def refusal(self, job: Job) -> Optional[str]:
        for what, value in (("task", job.sync_task), ("workload's preparation", job.prepare)):
            try:
                pickle.dumps(value)
            except Exception as error:  # noqa: BLE001 - any failure to pickle is the reason to give
                return (
                    "the {} cannot cross into a subinterpreter, which imports it by name: it must be "
                    "a module-level function, not a closure or a lambda ({}: {})".format(
                        what, type(error).__name__, error
                    )
                )
        return None

    def run(self, job: Job) -> Outcome:
        backend = _backend()
        assert backend is not None and job.sync_task is not None
        task = pickle.dumps(job.sync_task)
        prepare = pickle.dumps(job.prepare)
        workers = min(job.workers, job.tasks)
        hosts = _POOL.get(backend, workers)
        base = {"path": list(sys.path), "task": task, "prepare": prepare}
        names = ["threadlab-interp-{}".format(k) for k in range(workers)]
        # Two rounds: every interpreter sets up (created, imports done: the
        # spawn), then all run their tasks, starting together.
        started = time.perf_counter_ns()
        _round(hosts, [dict(base, phase="setup", name=name) for name in names])
        ready = time.perf_counter_ns()
        run = [
            dict(base, phase="run", name=names[k], first=k, step=workers, tasks=job.tasks)
            for k in range(workers)
        ]
        answers = _round(hosts, run)
        # Each value comes back pickled and is loaded here, as an InterpreterPoolExecutor hands it over.
        records = [
            returned(TaskRecord(*fields), value) for answer in answers for fields, value in answer["records"]
        ]
        return Outcome(records, (ready - started) / 1e9)


def _round(hosts: List[_Host], requests: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Run the bootstrap with one request in each host's interpreter, at once; their answers.

    Raises:
        InterpreterFailed: an interpreter failed (to be created, to set up the
            task, to run); its traceback is the cause.
    """
    import tempfile  # here, not at the top: subinterpreters import this module, and need it not

    answers: List[Dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        outs = [stack.enter_context(tempfile.TemporaryFile()) for _ in requests]
        for worker, request in enumerate(requests):  # (zip(strict=) is 3.10+)
            shared = {"_threadlab_request": marshal.dumps(request), "_threadlab_out": outs[worker].fileno()}
            hosts[worker].start(shared)
        failures = [hosts[worker].wait() for worker in range(len(requests))]
        for worker, out in enumerate(outs):
            failure = failures[worker]
            if failure is None:
                out.seek(0)
                answer = marshal.loads(out.read())
                failure = answer["error"]
                answers.append(answer)
            if failure is not None:
                raise InterpreterFailed(
                    "subinterpreter {} could not run its tasks: {}".format(worker, _last_line(failure))
                ) from _RemoteTraceback(failure)
    return answers


STRATEGY = Subinterpreters()
