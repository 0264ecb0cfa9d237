"""The worker's end of the protocol: one point in, its samples out.

::

    orchestrator                                 worker (this process)
    ────────────                                 ─────────────────────
    request JSON  ──── stdin (then closed) ────►  read, check
                                                  {"event": "hello", interpreter}
                  ◄──── JSON lines, fd 1 ──────   {"event": "sample", warmup, sample} × n
                                                  {"event": "failed", kind, message, traceback}?
                                                  {"event": "done", interpreter}  (interpreter: after a hello)

Samples are sent as soon as each is measured, so a point that later hangs
or crashes keeps what it measured. What tasks print goes to stderr: the
protocol keeps its own copy of the original stdout, and file descriptor 1 is
pointed at stderr before any task runs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import sysconfig
import traceback
from typing import IO, Any, Dict

from threadlab.worker._measure import PointRefused, run_point
from threadlab.worker.strategies import WorkerLost

PROTOCOL_VERSION = 1


def interpreter_info() -> Dict[str, Any]:
    """What this interpreter is, as the worker sees it at run time."""
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": bool(is_gil_enabled()) if is_gil_enabled is not None else True,
    }


def _claim_stdout() -> IO[str]:
    """Keep fd 1 for the protocol and send everything else written there to stderr."""
    sys.stdout.flush()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def main() -> None:
    """Read one request from stdin, run it, write events; never raises."""
    channel = _claim_stdout()

    def emit(event: Dict[str, Any]) -> None:
        channel.write(json.dumps(event, separators=(",", ":")) + "\n")
        channel.flush()

    done: Dict[str, Any] = {"event": "done"}
    try:
        request = json.loads(sys.stdin.read())
        if request.get("protocol") != PROTOCOL_VERSION:
            raise PointRefused(
                "protocol {!r} is not {} (orchestrator and worker differ)".format(
                    request.get("protocol"), PROTOCOL_VERSION
                )
            )
        emit({"event": "hello", "protocol": PROTOCOL_VERSION, "interpreter": interpreter_info()})
        # After a hello, "done" says the interpreter again, as it ends: importing an extension
        # module that does not support free-threading turns the GIL back on mid-run.
        done["interpreter"] = None
        run_point(request, emit)
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
    emit(done)
    channel.close()
