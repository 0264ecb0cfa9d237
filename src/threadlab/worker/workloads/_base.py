"""What a workload is: the work one task does, and how it describes itself."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from threadlab.worker._params import Param, ParamValue

# What kind of work a workload does, in the words the analysis uses.
KINDS = ("io", "cpu-holds-gil", "cpu-releases-gil", "mixed")


class Workload:
    """Base class of the built-in workloads; one module each defines ``WORKLOAD``.

    A workload gives a *sync* task (a picklable callable with no arguments,
    so that it can cross into a process pool) and, where it has one, an
    *async* variant for event-loop strategies.
    """

    name = ""
    summary = ""
    kind = "io"
    params: Tuple[Param, ...] = ()

    def unavailable_reason(self) -> Optional[str]:
        """Why this workload cannot run in this interpreter, or None if it can."""
        return None

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        """Build what the tasks read (input data) before any timing starts."""

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Callable[[], Any]]:
        """The blocking task, or None where the workload has no sync form."""
        return None

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[Callable[[], Awaitable[Any]]]:
        """The coroutine-function task, or None where it has no async form."""
        return None

    def modes(self) -> Tuple[str, ...]:
        """Which forms exist: ``"sync"``, ``"async"`` or both."""
        probe = {p.name: p.default for p in self.params}
        found = []
        if self.sync_task(probe) is not None:
            found.append("sync")
        if self.async_task(probe) is not None:
            found.append("async")
        return tuple(found)
