"""One point's worker process, from its warm-ups to its last sample, turned into data.

::

    WorkerSession(point)
      start()    Popen([python, -m, threadlab.worker], new session)      worker
                 ── request JSON line ──────────────────────────────────►  │ warm-ups
                 ◄── hello, warm-up samples, startup?, ready ───────────   │
      sample(r)  ── {"command": "sample", "round": r} ──────────────────►  │ one sample
                 ◄── sample ────────────────────────────────────────────   │ (idle between)
      close()    ── {"command": "stop"}, EOF ───────────────────────────►  │
                 ◄── done ──────────────────────────────────────────────   ▼
      measurement()

      a step past its deadline → kill the worker's process group   → status "timeout"
      exits, no "done"         → recorded with its exit code/signal → status "crashed"
      Ctrl-C                   → interrupt(): kill the group, keep the samples → "interrupted"
      always, at close: kill whatever is left of the point: the worker's process group,
                        its descendants and every process carrying the point's marker
                        (worker/_containment), then remove the worker's private TMPDIR

One class, ``WorkerSession``, holds most of this module: its steps share the
worker's pipes, the line buffer and the state of the protocol, and split
apart they would pass all of it around. The worker runs in a session of its
own, so Ctrl-C in the terminal reaches only the orchestrator, which then ends
it; a worker whose orchestrator dies sees its stdin end without a "stop" and
ends its group itself.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

from threadlab._errors import WorkerProtocolError
from threadlab._version import __version__
from threadlab.model import Interpreter, Measurement, NativeThreads, Point, PointError, Sample, Status
from threadlab.model._data import ErrorCause
from threadlab.model._json import native_from_json, sample_from_json
from threadlab.orchestrate._launch import end_group, killed_by, worker_command, worker_env
from threadlab.orchestrate._probe_target import sent_by_value
from threadlab.orchestrate._scratch import make_scratch, record_owners
from threadlab.orchestrate._strategies import module_of, shares_one_gil
from threadlab.worker._containment import MARKER_ENV, SCRATCH_ENV, end_point_processes
from threadlab.worker._protocol import PROTOCOL_VERSION

# What a task writes to stderr is kept only as a tail, for crash reports.
_STDERR_TAIL = 8192

# End-of-file on the worker's pipes is not enough to tell it has ended: pool
# children that outlive a worker killed by a signal hold them open, and the
# point would hang until its timeout. So the worker's exit is checked this
# often, and once it has exited what it wrote is read for at most _DRAIN_S.
_EXIT_POLL_S = 0.1
_DRAIN_S = 1.0
# How long a stopped worker may take to tear its point down (a server, a pool) before it is killed.
_CLOSE_S = 10.0
# Per-task records a point keeps, over all its samples: past this, a sample's spans are
# left out (its totals are kept). 200,000 records are about 10 MB of results file; the
# first sample always keeps them, so a timeline of every point can be drawn.
SPAN_RECORDS = 200_000

OnSample = Callable[[Point, Sample, bool], None]

# What a point's error says where the command's own deadline (advise's budget) stopped it
# (its cause is then "budget").
BUDGET_SPENT = "the time budget ran out"


# What a wait for the worker ended on.
_Waited = Literal["answered", "exited", "timeout"]


def _interpreter(seen: dict[str, Any]) -> Interpreter:
    return Interpreter(**{name: seen[name] for name in Interpreter.__dataclass_fields__ if name in seen})


def tree_rss(root: int) -> int:
    """Bytes of resident memory (``VmRSS``) of process ``root`` and its descendants; 0 where unknown.

    Linux's /proc, following each thread's ``children`` file: a few reads per
    process, where listing all of /proc would cost more with every live worker.
    Elsewhere 0, and the rounds are not bounded by memory.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
                rss = [line for line in status if line.startswith("VmRSS:")]
            total += int(rss[0].split()[1]) * 1024 if rss else 0
            for thread in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{thread}/children", encoding="ascii") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


# Every session whose point has not been ended yet. A signal that lands inside a close (or
# a loop of closes) cuts it short; whatever path the interpreter then exits by, these are
# ended at exit, so that no worker is left, stopped or running, and no TMPDIR.
_unended: set[WorkerSession] = set()


def end_unended_sessions() -> None:
    """End the processes and TMPDIR of every point this process started and has not ended."""
    for session in list(_unended):
        session._end()


atexit.register(end_unended_sessions)


def worker_request(point: Point, warmup: int, waits: bool = True) -> dict[str, Any]:
    """The request line that starts a worker on ``point`` (fields: ``worker/_schema.py`` REQUEST_FIELDS).

    ``waits`` False turns off the breakdown of where the threads' time went.
    """
    return {
        "protocol": PROTOCOL_VERSION,
        "workload": point.workload,
        "function": sent_by_value(point.workload),
        "strategy": point.strategy,
        "strategy_module": module_of(point.strategy),
        "workers": point.workers,
        "tasks": point.tasks,
        "params": dict(point.params),
        "strategy_params": dict(point.strategy_params),
        "warmup": warmup,
        "waits": waits,
    }


class WorkerSession:
    """One point's fresh worker process, kept alive between its samples.

    A step that fails (the worker hangs past ``timeout_s``, dies, or breaks
    the protocol) ends the session with the samples measured so far kept:
    ``alive`` turns False and ``measurement()`` says why. ``deadline`` (a
    ``time.perf_counter()`` reading) is the command's own end: no step runs
    past it, whatever ``timeout_s`` allows; a step it cuts is recorded as timed
    out ``BUDGET_SPENT``, and a session not started by then is not started.
    """

    def __init__(
        self,
        point: Point,
        *,
        timeout_s: float | None,
        warmup: int | None = None,
        on_sample: OnSample | None = None,
        deadline: float | None = None,
        waits: bool = True,
    ) -> None:
        self.point = point
        self.waits = waits
        self.timeout_s = timeout_s
        self.deadline = deadline
        self.warmup = point.warmup if warmup is None else warmup
        self.on_sample = on_sample
        self.interpreter: Interpreter | None = None
        self.native: NativeThreads | None = None
        self.samples: list[Sample] = []
        self.warmups: list[Sample] = []
        self.status: Status = "ok"
        self.errors: list[PointError] = []
        self.busy_s = 0.0
        self.startup_s: float | None = None
        self._failure: PointError | None = None
        self._ready = False
        self._done = False
        self._process: subprocess.Popen[bytes] | None = None
        self._selector: selectors.BaseSelector | None = None
        self._scratch: str | None = None
        self._marker = ""
        self._pending: list[bytes] = []
        self._stderr_tail = b""
        self._closed = False
        # A worker closed to make room for others (``park``) and started again when its point's
        # turn comes: how often, and the seconds its fresh start-ups and warm-ups took.
        self.parked = False
        self.restarts = 0
        self.restart_s = 0.0
        self._restarting = False
        self._launched_at: float | None = None  # set by ``launch`` until ``start`` has waited

    @property
    def pid(self) -> int | None:
        """The worker's process id; None before it started."""
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        """True while the worker is ready for another sample."""
        return self._process is not None and not self._closed and self.status == "ok" and self._ready

    def launch(self) -> None:
        """Launch the worker and send it its point, without waiting for its warm-ups (``start`` waits).

        A group launches a few workers before it waits for any of them, so that
        their start-ups overlap (``orchestrate._rounds``).

        Raises:
            OSError: the Python cannot be started at all.
        """
        self._launched_at = started = time.perf_counter()
        self._restarting = self.parked
        if self.parked:  # a fresh worker for a parked point: the samples so far are kept
            self.parked = False
            self.restarts += 1
            self._ready = self._done = self._closed = False
            self._process = self._selector = self._scratch = None
            self._pending = []
            self._stderr_tail = b""
        if self.deadline is not None and started >= self.deadline:
            self._fail(
                "timeout",
                PointError("timeout", f"not started: {BUDGET_SPENT} before its turn", cause="budget"),
            )
            self._closed = True
            return
        # The worker's TMPDIR: what it and its tasks leave there (file-io's files)
        # is removed with it after the point, even when the worker was killed.
        self._scratch = make_scratch()
        # The marker every process of the point inherits (worker/_containment): the scratch
        # directory's name is unique while the point runs.
        self._marker = f"{os.getpid()}-{os.path.basename(self._scratch)}"
        try:
            self._process = subprocess.Popen(
                worker_command(self.point.python or sys.executable, self.point.gil),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={
                    **worker_env(self.point.gil),
                    "TMPDIR": self._scratch,
                    SCRATCH_ENV: self._scratch,
                    MARKER_ENV: self._marker,
                },
                start_new_session=True,
            )
        except BaseException:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._closed = True
            raise
        _unended.add(self)
        # Kept while either lives: the worker removes it as it ends, this process after it.
        with contextlib.suppress(OSError):  # the worker may have ended and removed it already
            record_owners(self._scratch, (os.getpid(), self._process.pid))
        assert self._process.stdout is not None and self._process.stderr is not None
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._process.stdout, selectors.EVENT_READ)
        self._selector.register(self._process.stderr, selectors.EVENT_READ)
        self._send(worker_request(self.point, self.warmup, self.waits))

    def start(self) -> bool:
        """Launch the worker (where ``launch`` has not) and wait for its warm-ups; True when it is ready
        to sample.

        Raises:
            OSError: the Python cannot be started at all.
        """
        if self._launched_at is None:
            self.launch()
        started, self._launched_at = self._launched_at, None
        assert started is not None
        try:
            if self._process is not None and not self._closed:
                self._step(lambda: self._ready, "started and warmed up", started)
        finally:
            if self._restarting:
                self.restart_s += time.perf_counter() - started
        return self.alive

    def sample(self, round_number: int) -> Sample | None:
        """Take one timed sample in round ``round_number``; None when the session ended instead."""
        if not self.alive:
            return None
        started = time.perf_counter()
        if self.deadline is not None and started >= self.deadline:
            # Out of time before this sample: a point with samples keeps them and is done; one
            # without any was cut short.
            if not self.samples:
                self._fail(
                    "timeout",
                    PointError("timeout", f"no sample taken: {BUDGET_SPENT} before it", cause="budget"),
                )
            self.close()
            return None
        count = len(self.samples)
        kept = sum(len(s.spans) for s in self.samples)
        spans = not self.samples or kept + self.point.tasks <= SPAN_RECORDS
        self._send({"command": "sample", "round": round_number, "spans": spans})
        self._step(lambda: len(self.samples) > count, "running a sample", started)
        return self.samples[-1] if len(self.samples) > count else None

    def park(self) -> None:
        """Close a live worker to free its memory, keeping its samples; ``start`` makes a fresh one."""
        if not self.alive:
            return
        self.close()
        self.parked = self.status == "ok"

    def rss(self) -> int:
        """Bytes of resident memory of the worker and its descendants now; 0 when it is not running."""
        return 0 if self._process is None or self._closed else tree_rss(self._process.pid)

    def close(self) -> None:
        """Stop the worker, let it tear its point down, and end whatever is left of it."""
        self.parked = False
        if self._closed:
            self._end()  # a close that Ctrl-C cut short ends the point now
            return
        self._closed = True
        process = self._process
        if process is None:
            return
        try:
            if self.status == "ok" and not self._done and process.poll() is None:
                started = time.perf_counter()
                self._send({"command": "stop"})
                with contextlib.suppress(OSError):
                    assert process.stdin is not None
                    process.stdin.close()
                self._wait(lambda: self._done, started + _CLOSE_S)
                self.busy_s += time.perf_counter() - started
        except WorkerProtocolError as error:
            self._fail("failed", PointError("worker", str(error), self._tail()))
        finally:
            self._end()
        if self.status == "ok" and self._failure is not None:
            self.status = "crashed" if self._failure.kind == "crashed" else "failed"

    def _end(self) -> None:
        """End the worker and everything it started (its session or not), reap it, close the pipes,
        remove the TMPDIR; once, whatever calls it."""
        process = self._process
        if process is None or self not in _unended:
            return
        if process.poll() is None:  # stopped, so that it forks nothing while its descendants are found
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(process.pid, signal.SIGSTOP)
        end_point_processes(process.pid, self._marker)
        end_group(process)
        if self._selector is not None:
            self._selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        _unended.discard(self)

    def interrupt(self) -> None:
        """End the worker at once (Ctrl-C, SIGTERM); the samples measured so far are kept."""
        if self.status == "ok":
            why = "interrupted (Ctrl-C or a termination signal) while the point ran"
            self._fail("interrupted", PointError("worker", why))
        self.close()

    def measurement(self) -> Measurement:
        """What the session measured, with its status and errors."""
        errors: list[PointError] = []
        measured = (*self.warmups, *self.samples)
        failed = [s for s in measured if s.tasks_failed]
        if failed:
            count = sum(s.tasks_failed for s in failed)
            said = f"{count} of {sum(s.tasks for s in measured)} tasks raised"
            errors.append(PointError("task", said, failed[0].first_error, count))
        errors.extend(e for e in (self._failure, *self.errors) if e is not None)
        return Measurement(
            point=self.point,
            status="errors" if self.status == "ok" and failed else self.status,
            interpreter=self.interpreter,
            samples=tuple(self.samples),
            warmups=tuple(self.warmups),
            errors=tuple(errors),
            elapsed_s=self.busy_s,
            shares_one_gil=shares_one_gil(self.point.strategy),
            startup_s=self.startup_s,
            native=self.native,
        )

    # -- the protocol -------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the worker died; its exit status says why when the step waits for it

    def _step(self, answered: Callable[[], bool], doing: str, started: float) -> None:
        """Wait for ``answered``; on a timeout, an exit or a protocol error, end the session."""
        deadline = None if self.timeout_s is None else started + self.timeout_s
        budget_ends = self.deadline is not None and (deadline is None or self.deadline < deadline)
        if budget_ends:
            deadline = self.deadline
        try:
            waited = self._wait(answered, deadline)
        except WorkerProtocolError as error:
            self._fail("failed", PointError("worker", str(error), self._tail()))
            self.close()
            return
        finally:
            self.busy_s += time.perf_counter() - started
        if waited == "answered":
            return
        if waited == "timeout":
            why = (
                f"the point was still {doing} when {BUDGET_SPENT}, "
                f"{time.perf_counter() - started:.3g} s into it, and was stopped"
                if budget_ends
                else f"the point was still {doing} after {self.timeout_s:g} s and was killed"
            )
            cause: ErrorCause | None = "budget" if budget_ends else None
            self._fail("timeout", PointError("timeout", why, self._tail(), cause=cause))
        elif self._failure is None and not self._done:
            assert self._process is not None
            returncode = self._process.wait()
            why = f"exited with code {returncode} before finishing"
            why = f"was killed by {killed_by(returncode)}" if returncode < 0 else why
            self._fail("crashed", PointError("crashed", f"the worker process {why}", self._tail()))
        self.close()

    def _fail(self, status: Status, error: PointError) -> None:
        if self.status == "ok":
            self.status = status
            self.errors.append(error)

    def _wait(self, answered: Callable[[], bool], deadline: float | None) -> _Waited:
        """Read the worker's events until ``answered()``, its exit, or ``deadline``."""
        assert self._process is not None and self._selector is not None
        exited_at: float | None = None
        while not answered():
            if self._done or (self._failure is not None and self._failure.kind != "task"):
                return "exited"
            now = time.perf_counter()
            wait = None if deadline is None else deadline - now
            if wait is not None and wait <= 0:
                return "timeout"
            if exited_at is None and self._process.poll() is not None:
                exited_at = now
            if exited_at is None:
                wait = _EXIT_POLL_S if wait is None else min(wait, _EXIT_POLL_S)
            elif now - exited_at > _DRAIN_S:
                return "exited"
            else:
                wait = 0  # the worker is gone: read what it left in the pipes, wait for nothing
            if not self._selector.get_map():
                if exited_at is not None:
                    return "exited"
                time.sleep(wait or 0)
                continue
            ready = self._selector.select(wait)
            if not ready and exited_at is not None:
                return "exited"
            for key, _ in ready:
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    self._selector.unregister(key.fileobj)
                elif key.fileobj is self._process.stderr:
                    self._stderr_tail = (self._stderr_tail + chunk)[-_STDERR_TAIL:]
                else:
                    self._lines(chunk)
        return "answered"

    def _lines(self, chunk: bytes) -> None:
        # Join only when a line ends: a sample of 100,000 tasks is one line of
        # megabytes, and re-splitting the whole buffer per chunk is quadratic.
        if b"\n" not in chunk:
            self._pending.append(chunk)
            return
        *lines, rest = (b"".join(self._pending) + chunk).split(b"\n")
        self._pending = [rest] if rest else []
        for line in lines:
            self._handle(line)

    def _handle(self, line: bytes) -> None:
        try:
            event = json.loads(line)
            kind = event["event"]
        except (ValueError, KeyError, TypeError):
            raise WorkerProtocolError(f"worker wrote a line that is not an event: {line[:200]!r}") from None
        try:
            self._dispatch(kind, event)
        except (KeyError, TypeError, ValueError) as error:
            raise WorkerProtocolError(f"worker sent a malformed {kind!r} event: {error}") from None

    def _dispatch(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "hello":
            if event.get("protocol") != PROTOCOL_VERSION:
                raise WorkerProtocolError(f"worker speaks protocol {event.get('protocol')!r}")
            self.interpreter = _interpreter(event["interpreter"])
        elif kind == "sample":
            sample = sample_from_json(event["sample"], "sample")
            warmup = bool(event["warmup"])
            (self.warmups if warmup else self.samples).append(sample)
            if self.on_sample is not None:
                self.on_sample(self.point, sample, warmup)
        elif kind == "startup":  # once, where the strategy opened a session: out of every sample
            startup = event["startup_s"]
            if isinstance(startup, bool) or not isinstance(startup, (int, float)):
                raise TypeError(f"startup_s must be a number, not {startup!r}")
            self.startup_s = float(startup)
        elif kind == "ready":
            self._ready = True
            self.native = native_from_json(event.get("native"), "ready.native")
        elif kind == "failed":
            self._failure = PointError(event["kind"], event["message"], event.get("traceback"))
        elif kind == "done":
            self._done = True
            if event.get("interpreter"):  # as it ended: an import may have turned the GIL back on
                self.interpreter = _interpreter(event["interpreter"])
        else:
            raise WorkerProtocolError(f"worker sent an unknown event {kind!r}")

    def _tail(self) -> str | None:
        return self._stderr_tail.decode("utf-8", "replace").strip() or None


def measure_point(
    point: Point,
    *,
    repeat: int,
    warmup: int,
    timeout_s: float | None,
    on_sample: OnSample | None = None,
    deadline: float | None = None,
    waits: bool = True,
) -> Measurement:
    """Run one point alone in a fresh worker process (``WorkerSession``): warm-ups, then ``repeat`` samples.

    ``waits`` False leaves out the breakdown of where the threads' time went
    (its sidecar's start-up too): a probe that only times calls needs none.
    Points compared with each other are measured in rounds (``_rounds``).

    Raises:
        KeyboardInterrupt: on Ctrl-C, after the worker is ended.
    """
    session = WorkerSession(
        point, timeout_s=timeout_s, warmup=warmup, on_sample=on_sample, deadline=deadline, waits=waits
    )
    try:
        if session.start():
            for number in range(repeat):
                if session.sample(number) is None:
                    break
    except KeyboardInterrupt:
        session.interrupt()
        raise
    finally:
        session.close()
    return session.measurement()


def environment_info() -> dict[str, Any]:
    """The orchestrating Python and machine, for ``Result.environment``."""
    import datetime
    import platform
    import sysconfig

    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": bool(is_gil_enabled()) if is_gil_enabled is not None else True,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "threadlab_version": __version__,
        "time": datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds"),
    }
