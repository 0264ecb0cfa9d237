"""Runs each point in a fresh worker process and turns its answer into data.

::

    measure_point(point)
      │ Popen([python, -m, threadlab.worker], new session)   worker
      │ ── request JSON on stdin, then EOF ───────────────────►  │
      │ ◄── hello / sample / failed / done, one JSON per line ──  │
      │     each sample kept as it arrives
      │ deadline passed  → kill the worker's process group   → status "timeout"
      │ exits, no "done" → recorded with its exit code/signal → status "crashed"
      │ Ctrl-C           → kill the group, keep the samples   → status "interrupted"
      ▼ finally: kill whatever is left in the worker's process group,
    Measurement  remove the worker's private TMPDIR

The worker runs in a session of its own, so Ctrl-C in the terminal reaches
only the orchestrator, which then ends the worker and everything it started
(pool processes included) by killing that process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import threadlab
from threadlab._errors import WorkerProtocolError
from threadlab._model import Interpreter, Measurement, Point, PointError, Sample, Status
from threadlab._serialize import sample_from_json
from threadlab.orchestrate._interpreters import gil_args, gil_env
from threadlab.worker._protocol import PROTOCOL_VERSION

# What a task writes to stderr is kept only as a tail, for crash reports.
_STDERR_TAIL = 8192

# End-of-file on the worker's pipes is not enough to tell it has ended: pool
# children that outlive a worker killed by a signal hold them open, and the
# point would hang until its timeout. So the worker's exit is checked this
# often, and once it has exited what it wrote is read for at most _DRAIN_S.
_EXIT_POLL_S = 0.1
_DRAIN_S = 1.0

OnSample = Callable[[Point, Sample, bool], None]


class PointInterrupted(Exception):
    """Ctrl-C arrived while a point ran; carries what it had measured."""

    def __init__(self, measurement: Measurement) -> None:
        super().__init__("interrupted")
        self.measurement = measurement


def worker_command(python: str, gil: str = "default") -> list[str]:
    """The command line that starts a worker under ``python``.

    ``gil`` is ``on`` or ``off`` only for a free-threaded build (the plan
    sees to it): ``-X gil=1`` / ``-X gil=0``; ``default`` adds nothing.
    """
    return [python, *gil_args(gil), "-m", "threadlab.worker"]


def worker_env(gil: str = "default") -> dict[str, str]:
    """The worker's environment: threadlab's own source put first on its path.

    The worker needs nothing installed in the target interpreter: the
    directory holding the ``threadlab`` package is enough. ``PYTHON_GIL`` is
    set to match ``gil`` (``on``/``off``), or removed (``default``: the
    build's own default, whatever the shell has).
    """
    env = gil_env(os.environ, gil)
    source = str(Path(threadlab.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    return env


@dataclass
class _Session:
    """What has come back from one worker so far."""

    point: Point
    on_sample: OnSample | None
    interpreter: Interpreter | None = None
    samples: list[Sample] = field(default_factory=list)
    warmups: list[Sample] = field(default_factory=list)
    failure: PointError | None = None
    done: bool = False

    def handle(self, line: bytes) -> None:
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
            self.interpreter = self._interpreter(event["interpreter"])
        elif kind == "sample":
            sample = sample_from_json(event["sample"], "sample")
            (self.warmups if event["warmup"] else self.samples).append(sample)
            if self.on_sample is not None:
                self.on_sample(self.point, sample, bool(event["warmup"]))
        elif kind == "failed":
            self.failure = PointError(event["kind"], event["message"], event.get("traceback"))
        elif kind == "done":
            self.done = True
            if event.get("interpreter"):  # as it ended: an import may have turned the GIL back on
                self.interpreter = self._interpreter(event["interpreter"])
        else:
            raise WorkerProtocolError(f"worker sent an unknown event {kind!r}")

    @staticmethod
    def _interpreter(seen: dict[str, Any]) -> Interpreter:
        return Interpreter(**{name: seen[name] for name in Interpreter.__dataclass_fields__ if name in seen})

    def measurement(self, status: Status, extra: PointError | None, elapsed: float) -> Measurement:
        errors: list[PointError] = []
        failed = [s for s in (*self.warmups, *self.samples) if s.tasks_failed]
        if failed:
            count = sum(s.tasks_failed for s in failed)
            errors.append(
                PointError(
                    "task",
                    f"{count} of {sum(s.tasks for s in (*self.warmups, *self.samples))} tasks raised",
                    failed[0].first_error,
                    count,
                )
            )
        errors.extend(e for e in (self.failure, extra) if e is not None)
        if status == "ok" and self.failure is not None:
            status = "crashed" if self.failure.kind == "crashed" else "failed"
        if status == "ok" and failed:
            status = "errors"
        return Measurement(
            point=self.point,
            status=status,
            interpreter=self.interpreter,
            samples=tuple(self.samples),
            warmups=tuple(self.warmups),
            errors=tuple(errors),
            elapsed_s=elapsed,
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """End the worker and everything it started; reap the worker."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the worker process was killed by {name}"
    return f"the worker process exited with code {returncode} before finishing"


def measure_point(
    point: Point,
    *,
    repeat: int,
    warmup: int,
    timeout_s: float | None,
    on_sample: OnSample | None = None,
) -> Measurement:
    """Run one point in a fresh worker process and return what it measured.

    A task that raises, a hung task (killed at ``timeout_s``) and a worker
    that dies are recorded in the measurement's status and errors; the
    samples measured before are kept.

    Raises:
        PointInterrupted: on Ctrl-C, after the worker is ended; it carries the
            partial measurement.
    """
    request = {
        "protocol": PROTOCOL_VERSION,
        "workload": point.workload,
        "strategy": point.strategy,
        "workers": point.workers,
        "tasks": point.tasks,
        "params": dict(point.params),
        "strategy_params": dict(point.strategy_params),
        "repeat": repeat,
        "warmup": warmup,
    }
    session = _Session(point, on_sample)
    started = time.perf_counter()
    # The worker's TMPDIR: what it and its tasks leave there (file-io's files)
    # is removed with it after the point, even when the worker was killed.
    scratch = tempfile.mkdtemp(prefix="threadlab-point-")
    try:
        process = subprocess.Popen(
            worker_command(point.python or sys.executable, point.gil),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**worker_env(point.gil), "TMPDIR": scratch},
            start_new_session=True,
        )
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    except KeyboardInterrupt:
        shutil.rmtree(scratch, ignore_errors=True)
        raise PointInterrupted(
            session.measurement(
                "interrupted", PointError("worker", "interrupted by Ctrl-C as the worker started"), 0.0
            )
        ) from None
    stderr_tail = b""
    try:
        assert process.stdin is not None and process.stdout is not None
        assert process.stderr is not None
        try:
            process.stdin.write(json.dumps(request).encode())
            process.stdin.close()
        except BrokenPipeError:
            pass  # the worker died at once; its exit status says why below
        deadline = None if timeout_s is None else started + timeout_s
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        pending: list[bytes] = []  # a line's chunks until its newline arrives
        timed_out = False
        exited_at: float | None = None
        while selector.get_map():
            now = time.perf_counter()
            wait = None if deadline is None else deadline - now
            if wait is not None and wait <= 0:
                timed_out = True
                break
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if exited_at is None:
                wait = _EXIT_POLL_S if wait is None else min(wait, _EXIT_POLL_S)
            elif now - exited_at > _DRAIN_S:
                break
            else:
                wait = 0  # the worker is gone: read what it left in the pipes, wait for nothing
            ready = selector.select(wait)
            if not ready and exited_at is not None:
                break
            for key, _ in ready:
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is process.stderr:
                    stderr_tail = (stderr_tail + chunk)[-_STDERR_TAIL:]
                else:
                    # Join only when a line ends: a sample of 100,000 tasks is one line of
                    # megabytes, and re-splitting the whole buffer per chunk is quadratic.
                    if b"\n" not in chunk:
                        pending.append(chunk)
                        continue
                    *lines, rest = (b"".join(pending) + chunk).split(b"\n")
                    pending = [rest] if rest else []
                    for line in lines:
                        session.handle(line)
        selector.close()
        elapsed = time.perf_counter() - started
        if timed_out:
            _kill_group(process)
            return session.measurement(
                "timeout",
                PointError(
                    "timeout",
                    f"the point was still running after {timeout_s:g} s (--timeout) and was killed",
                    _tail(stderr_tail),
                ),
                elapsed,
            )
        returncode = process.wait()
        if not session.done:
            return session.measurement(
                "crashed", PointError("crashed", _exit_reason(returncode), _tail(stderr_tail)), elapsed
            )
        return session.measurement("ok", None, elapsed)
    except WorkerProtocolError as error:
        return session.measurement(
            "failed", PointError("worker", str(error), _tail(stderr_tail)), time.perf_counter() - started
        )
    except KeyboardInterrupt:
        _kill_group(process)
        raise PointInterrupted(
            session.measurement(
                "interrupted",
                PointError("worker", "interrupted by Ctrl-C while the point ran"),
                time.perf_counter() - started,
            )
        ) from None
    finally:
        _kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _tail(stderr: bytes) -> str | None:
    text = stderr.decode("utf-8", "replace").strip()
    return text or None


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
        "threadlab_version": threadlab.__version__,
        "time": datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds"),
    }
