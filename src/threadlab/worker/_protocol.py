"""The worker's end of the protocol: one point in, its samples out, one per command.

::

    orchestrator                                 worker (this process)
    ────────────                                 ─────────────────────
    request JSON line ──── stdin ──────────────►  read, check
                  ◄──── JSON lines, fd 1 ──────   {"event": "hello", interpreter}
                                                  {"event": "sample", warmup: true, sample} × warm-ups
                                                  {"event": "startup", startup_s}  (a warm pool's, once)
                                                  {"event": "ready"}
    {"command": "sample", "round": r} ─────────►  one timed sample
                  ◄────────────────────────────   {"event": "sample", warmup: false, sample}
         ... as many times as the rounds need; the worker idles in between ...
    {"command": "stop"}, then EOF ─────────────►
                  ◄────────────────────────────   {"event": "failed", kind, message, traceback}?
                                                  {"event": "done", interpreter}  (interpreter: after a hello)

The worker stays alive between its samples, so that the orchestrator can
take one sample of every point of a group per round (``orchestrate/_rounds``)
with each point's warm-ups done once, in its own fresh process.

Samples are sent as soon as each is measured, so a point that later hangs
or crashes keeps what it measured. Where standard input ends without a
"stop", the orchestrator is gone, and the worker ends its own process group,
pool children and all (``_orphaned``), so that no timeout can be lost with
the process that kept it.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import re
import signal
import sys
import sysconfig
import threading
import traceback
import warnings
from typing import IO, Any, Dict, List, Optional

from threadlab.worker._containment import (
    MARKER_ENV,
    SCRATCH_ENV,
    end_point_processes,
    hold_descendants,
    remove_scratch,
)
from threadlab.worker._measure import PointRefused, run_point
from threadlab.worker.strategies import WorkerLost

# The point's scratch folder, which this worker removes on every way out it controls: its
# normal end, its input's end, the parent-death signal and SIGTERM (None: not started so).
_scratch: Optional[str] = None

# 1: one request, all samples at once. 2: samples on command, for interleaved rounds, and
# the request's strategy_module, where a strategy outside the worker package lives.
PROTOCOL_VERSION = 2


# CPython 3.13t/3.14t, on importing an extension module that has no Py_mod_gil slot saying it
# supports free-threading, turns the GIL on and warns (Python/import.c, _PyImport_CheckGILForModule):
# "The global interpreter lock (GIL) has been enabled to load module '_gilful', which has not
# declared that it can run safely without the GIL. ..." The module's name is only there.
_GIL_WARNING = re.compile(r"GIL\) has been enabled to load module '([^']+)'")
# The modules named so far by that warning, in order (the first is the cause).
_gil_modules: List[str] = []


def watch_gil_warnings() -> None:
    """Note each module CPython names as turning the GIL back on, then show the warning as before."""
    shown = warnings.showwarning

    def showwarning(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Optional[str] = None
    ) -> None:
        found = _GIL_WARNING.search(str(message))
        if found:
            _gil_modules.append(found.group(1))
        shown(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning
    # The "default" action shows a warning once per place; an "ignore" filter (PYTHONWARNINGS,
    # -W) would hide this one from showwarning, and with it the cause.
    warnings.filterwarnings("default", message=r".*GIL\) has been enabled", category=RuntimeWarning)


def gil_cause(gil_enabled: bool, free_threaded: bool) -> Optional[str]:
    """Why a free-threaded build's GIL is on: ``-X gil=1``, ``PYTHON_GIL=1``, or the module imported.

    None where the GIL is off, or where the build has one anyway. ``-X gil``
    wins over ``PYTHON_GIL`` in CPython, so it is named first.
    """
    if not (free_threaded and gil_enabled):
        return None
    option = sys._xoptions.get("gil")
    if option == "1":
        return "-X gil=1"
    if option is None and os.environ.get("PYTHON_GIL") == "1":
        return "PYTHON_GIL=1"
    if _gil_modules:
        return "module {!r} imported without free-threading support".format(_gil_modules[0])
    return "an extension module imported without free-threading support (CPython's warning was not seen)"


def interpreter_info() -> Dict[str, Any]:
    """What this interpreter is, as the worker sees it at run time, and why its GIL is on."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil_enabled = bool(getattr(sys, "_is_gil_enabled", lambda: True)())
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded": free_threaded,
        "gil_enabled": gil_enabled,
        "gil_cause": gil_cause(gil_enabled, free_threaded),
    }


def _claim_stdout() -> IO[str]:
    """Keep fd 1 for the protocol and send everything else written there to stderr."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def _orphaned() -> None:
    """The orchestrator died without a word: end everything this point started, then this worker.

    The group is the worker's own only where it leads it (the orchestrator
    starts it in a session of its own); a worker started by hand ends itself
    alone, never the group of the shell or script that started it.
    """
    if os.getpgrp() == os.getpid():
        end_point_processes(os.getpid(), os.environ.get(MARKER_ENV))
        # Its processes ended, nothing writes to the scratch folder any more; the orchestrator,
        # gone, cannot remove it.
        remove_scratch(_scratch)
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _on_parent_death(worker: int) -> None:
    """End the point on SIGTERM (the parent-death signal) as on the end of standard input.

    Only in the worker itself: a pool child forked from it inherits the
    handler, and a SIGTERM there (a pool's shutdown) keeps its usual meaning.
    """

    def handler(signum: int, frame: object) -> None:
        if os.getpid() == worker:
            _orphaned()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)


class Commands:
    """The orchestrator's commands after the request, read by a thread of their own.

    Reading in a thread (from a private copy of fd 0, with ``os.read``, so
    that no buffered object's lock can be held across a ``fork``) lets the
    worker notice its orchestrator's death even while a sample runs.
    """

    def __init__(self, fd: int, pending: bytes) -> None:
        self._fd = fd
        self._queue: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue()
        self._stopping = False
        threading.Thread(target=self._read, args=(pending,), name="threadlab-commands", daemon=True).start()

    def _read(self, buffer: bytes) -> None:
        while True:
            while b"\n" in buffer:
                line, _, buffer = buffer.partition(b"\n")
                self._put(line)
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
        if buffer.strip():
            self._put(buffer)
        if not self._stopping:
            _orphaned()
        self._queue.put(None)

    def _put(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            command = json.loads(line)
        except ValueError:
            command = {"command": "unreadable", "line": line[:200].decode("utf-8", "replace")}
        if not isinstance(command, dict):
            command = {"command": "unreadable", "line": repr(command)[:200]}
        if command.get("command") == "stop":
            self._stopping = True
        self._queue.put(command)

    def next(self) -> Optional[Dict[str, Any]]:
        """The next command, waiting for it; None once the orchestrator has closed the pipe."""
        return self._queue.get()


def _read_request() -> "tuple[Dict[str, Any], int, bytes]":
    """The request line, a private copy of fd 0 for the commands, and what was read past the line;
    tasks get /dev/null as their standard input."""
    fd = os.dup(0)
    buffer = b""
    while b"\n" not in buffer:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return json.loads(line), fd, rest


def main() -> None:
    """Read one request from stdin, run it, write events; never raises."""
    global _scratch
    channel = _claim_stdout()
    watch_gil_warnings()
    marker = os.environ.get(MARKER_ENV)
    if marker is not None:  # started by the orchestrator (a worker started by hand is left as it is)
        # Taken out of the environment: the point's other processes (pool children) must not
        # remove it as they end.
        _scratch = os.environ.pop(SCRATCH_ENV, None)
        _on_parent_death(os.getpid())
        hold_descendants()

    def emit(event: Dict[str, Any]) -> None:
        channel.write(json.dumps(event, separators=(",", ":")) + "\n")
        channel.flush()

    done: Dict[str, Any] = {"event": "done"}
    try:
        request, fd, rest = _read_request()
        if not isinstance(request, dict) or request.get("protocol") != PROTOCOL_VERSION:
            raise PointRefused(
                "protocol {!r} is not {} (orchestrator and worker differ)".format(
                    request.get("protocol") if isinstance(request, dict) else None, PROTOCOL_VERSION
                )
            )
        emit({"event": "hello", "protocol": PROTOCOL_VERSION, "interpreter": interpreter_info()})
        # After a hello, "done" says the interpreter again, as it ends: importing an extension
        # module that does not support free-threading turns the GIL back on mid-run.
        done["interpreter"] = None
        run_point(request, emit, Commands(fd, rest).next)
    except PointRefused as error:
        emit({"event": "failed", "kind": "refused", "message": str(error), "traceback": None})
    except BaseException as error:  # noqa: BLE001 - reported whole to the orchestrator
        emit(
            {
                "event": "failed",
                "kind": "crashed"
                if isinstance(error, WorkerLost) or type(error).__name__ == "BrokenProcessPool"
                else "worker",
                "message": "{}: {}".format(type(error).__name__, error),
                "traceback": traceback.format_exc(),
            }
        )
    if "interpreter" in done:
        done["interpreter"] = interpreter_info()
    if marker is not None:
        # What the point's tasks started and left running ends with the point, even a
        # process in a session of its own: the orchestrator ends it too, but only after.
        end_point_processes(os.getpid(), marker)
        remove_scratch(_scratch)
    emit(done)
    channel.close()
