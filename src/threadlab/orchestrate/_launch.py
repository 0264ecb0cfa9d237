"""How a worker is launched: its command line and environment, under any Python, GIL on or off.

Shared by the runner (which starts workers) and the interpreter probe (which
asks a Python what it can run): both start ``python -m threadlab.worker``-like
processes with threadlab's own source first on their path, and nothing needs
to be installed in the target Python.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Set in every process threadlab launches (workers, probes) and inherited by what they
# start: the API refuses to run inside one, where a user's script re-imported without an
# ``if __name__ == "__main__":`` guard would start a whole run again in each worker.
IN_WORKER_ENV = "THREADLAB_IN_WORKER"


def source_dir() -> Path:
    """The directory holding the ``threadlab`` package (``src/``, or site-packages)."""
    return Path(__file__).resolve().parent.parent.parent


def gil_args(gil: str) -> list[str]:
    """The interpreter options that set the GIL: ``-X gil=0`` / ``-X gil=1``, or none."""
    if gil == "off":
        return ["-X", "gil=0"]
    if gil == "on":
        return ["-X", "gil=1"]
    return []


def gil_env(env: Mapping[str, str], gil: str) -> dict[str, str]:
    """``env`` with ``PYTHON_GIL`` set for ``on``/``off``, and removed for ``default``.

    Removed, because ``PYTHON_GIL=0`` left in the environment makes a GIL
    build (3.13) refuse to start, and would turn a free-threaded build's
    default into something else than what the results file says.
    """
    found = {key: value for key, value in env.items() if key != "PYTHON_GIL"}
    if gil in ("on", "off"):
        found["PYTHON_GIL"] = "1" if gil == "on" else "0"
    return found


def worker_command(python: str, gil: str = "default", module: str = "threadlab.worker") -> list[str]:
    """The command line that starts a worker under ``python``.

    ``gil`` is ``on`` or ``off`` only for a free-threaded build (the plan
    sees to it): ``-X gil=1`` / ``-X gil=0``; ``default`` adds nothing.
    ``module`` is what runs: the worker, or the probe of a user's target
    (``threadlab.worker._target_probe``), launched the same way.
    """
    return [python, *gil_args(gil), "-m", module]


def worker_env(gil: str = "default") -> dict[str, str]:
    """The worker's environment: threadlab's own source put first on its path.

    The worker needs nothing installed in the target interpreter: the
    directory holding the ``threadlab`` package is enough. ``IN_WORKER_ENV``
    marks it as threadlab's (the API refuses to run there). ``PYTHON_GIL`` is
    set to match ``gil`` (``on``/``off``), or removed (``default``: the
    build's own default, whatever the shell has).
    """
    env = gil_env(os.environ, gil)
    env[IN_WORKER_ENV] = "1"
    source = str(source_dir())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    return env
