"""How a worker is launched (its command line and environment, under any Python, GIL on or off) and ended.

Shared by the runner (which starts workers) and the interpreter probe (which
asks a Python what it can run): both start ``python -m threadlab.worker``-like
processes with threadlab's own source first on their path, and nothing needs
to be installed in the target Python.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

# Set in every process threadlab launches (workers, probes) and inherited by what they
# start: the API refuses to run inside one, where a user's script re-imported without an
# ``if __name__ == "__main__":`` guard would start a whole run again in each worker.
IN_WORKER_ENV = "THREADLAB_IN_WORKER"


def source_dir() -> Path:
    """The directory holding the ``threadlab`` package (``src/``, or site-packages)."""
    return Path(__file__).resolve().parent.parent.parent


def worker_command(python: str, gil: str = "default", module: str = "threadlab.worker") -> list[str]:
    """The command line that starts a worker under ``python``.

    ``gil`` is ``on`` or ``off`` only for a free-threaded build (the plan sees to it): ``-X gil=1`` /
    ``-X gil=0``. ``module`` is the worker, or the probe of a user's target (``_target_probe``).
    """
    return [python, *{"on": ["-X", "gil=1"], "off": ["-X", "gil=0"]}.get(gil, []), "-m", module]


def worker_env(gil: str = "default") -> dict[str, str]:
    """The worker's environment: threadlab's own source first on its path, ``IN_WORKER_ENV`` set, and
    ``PYTHON_GIL`` set to match ``gil`` (``on``/``off``), or removed (``default``).

    Removed, because ``PYTHON_GIL=0`` left in the environment makes a GIL
    build (3.13) refuse to start, and would turn a free-threaded build's
    default into something else than what the results file says.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"}
    if gil in ("on", "off"):
        env["PYTHON_GIL"] = "1" if gil == "on" else "0"
    env[IN_WORKER_ENV] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(source_dir()), env.get("PYTHONPATH")) if p)
    return env


def end_group(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process``'s process group (it leads a session of its own) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def killed_by(returncode: int) -> str:
    """The signal's name for a negative ``returncode`` (``SIGKILL``), or ``signal N`` for an unknown one."""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"
