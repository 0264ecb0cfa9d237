"""A Python found on this machine, and what its probe answered: data, with no I/O.

``orchestrate/_discover.py`` builds these; kept in the model so that a
renderer (``threadlab interpreters``) reads them without importing the orchestrator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FoundInterpreter:
    """A Python found on this machine (or given), and what its probe answered.

    Attributes:
        executable: the path to run, as found or given.
        source: where it was found: ``given``, ``PATH``, ``pyenv``, ``uv``, ``threadlab``
            (built into threadlab's cache by ``scripts/free-threaded-python.sh``) or ``this``.
        version: e.g. ``"3.13.0"``; empty when the probe failed.
        implementation: e.g. ``"CPython"``.
        free_threaded: built with ``Py_GIL_DISABLED`` (3.13t, 3.14t).
        gil_enabled: whether the GIL is on at run time by default.
        subinterpreters: whether it has subinterpreters with their own GIL (3.12+).
        unavailable: strategies threadlab's worker cannot run there, with why.
        worker_problem: why threadlab's worker cannot run there; None if it can.
        broken: why the probe failed (not a Python, crashed, timed out); None if it answered.
    """

    executable: str
    source: str
    version: str = ""
    implementation: str = ""
    free_threaded: bool = False
    gil_enabled: bool = True
    subinterpreters: bool = False
    unavailable: Mapping[str, str] = field(default_factory=dict)
    worker_problem: str | None = None
    broken: str | None = None

    @property
    def can_host(self) -> bool:
        """Whether threadlab's worker runs there."""
        return self.broken is None and self.worker_problem is None

    @property
    def version_key(self) -> tuple[int, ...]:
        """The version as numbers, for sorting: ``(3, 13, 0)``; ``()`` when unknown."""
        numbers = re.findall(r"\d+", self.version)
        return tuple(int(n) for n in numbers[:3])

    def label(self) -> str:
        """``3.13.0``, ``3.14.0t``; the path where the version is unknown."""
        if not self.version:
            return self.executable
        return self.version + ("t" if self.free_threaded else "")

    def why_not(self) -> str | None:
        """Why the worker cannot run there, in one line; None if it can."""
        return self.broken or self.worker_problem
