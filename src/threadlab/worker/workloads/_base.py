"""What a workload is: the work one task does, and how it describes itself."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Sequence, Tuple

from threadlab.worker._params import Param, ParamValue

# What kind of work a workload does, in the words the analysis uses.
KINDS = ("io", "cpu-holds-gil", "cpu-releases-gil", "mixed", "unknown")

# A task is called with its number, 0 to T-1 (a task of a user's --inputs
# takes its item by number); it returns a value, or a coroutine for async tasks.
Task = Callable[[int], Any]
AsyncTask = Callable[[int], Awaitable[Any]]


class Call:
    """A picklable task: ``function(*args)``, the same for every task number.

    Module-level functions and their arguments pickle by reference and value,
    so a ``Call`` crosses into process-pool children as it is.
    """

    __slots__ = ("args", "function")

    def __init__(self, function: Callable[..., Any], args: Sequence[Any] = ()) -> None:
        self.function = function
        self.args = tuple(args)

    def __call__(self, number: int) -> Any:
        return self.function(*self.args)

    def __getstate__(self) -> Tuple[Callable[..., Any], Tuple[Any, ...]]:
        return (self.function, self.args)

    def __setstate__(self, state: Tuple[Callable[..., Any], Tuple[Any, ...]]) -> None:
        self.function, self.args = state


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

    def check(self, params: Dict[str, ParamValue]) -> None:
        """Refuse parameter values that are each valid but do not fit together.

        Raises:
            ValueError: with one line naming the parameter and what is accepted.
        """

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        """Build what the tasks read (input data) before any timing starts."""

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        """The blocking task, or None where the workload has no sync form."""
        return None

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
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
