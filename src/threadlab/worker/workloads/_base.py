"""What a workload is: the work one task does, and how it describes itself."""

from __future__ import annotations

import contextlib
from typing import Any, Awaitable, Callable, Dict, Iterator, NamedTuple, Optional, Sequence, Tuple

from threadlab.worker._kinds import Kind
from threadlab.worker._params import Param, ParamValue

# What kind of work a workload may declare: the one vocabulary the analysis judges in too.
KINDS: Tuple[Kind, ...] = tuple(Kind)

# A task is called with its number, 0 to T-1 (a task of a user's --inputs
# takes its item by number); it returns a value, or a coroutine for async tasks.
Task = Callable[[int], Any]
AsyncTask = Callable[[int], Awaitable[Any]]


class PointRefused(Exception):
    """The point cannot run here (unknown name, unavailable, bad parameter).

    Raised before any sample by the worker's checks, and by a workload's
    ``session`` when what it sets up cannot start (a server that cannot
    listen); the point then fails with this one-line message.
    """


class IOWait(NamedTuple):
    """What a task returns to report the time it spent waiting for I/O.

    ``seconds`` is measured inside the task, around its waiting calls (a
    sleep, a socket read): the wall time from entering the wait to running
    Python code again, so it includes any wait for the GIL after the I/O
    completed. It becomes the task's entry in ``spans.io_s``; a task that
    returns anything else leaves that entry empty.
    """

    seconds: float


# What a task returns when all of it was the wait, as ``asyncio.sleep(d, WAITED_THROUGHOUT)``
# does: its I/O wait is then its whole span, timed by the strategy around it. Such a task
# needs no coroutine of its own to read the clock around its wait: with 100,000 sleeps alive
# at once, that one coroutine more per task made 8% more garbage collections and 11% more
# time in them.
WAITED_THROUGHOUT = IOWait(-1.0)


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


class NumberedCall(Call):
    """A picklable task: ``function(*args, number)``, for tasks that need their number."""

    __slots__ = ()

    def __call__(self, number: int) -> Any:
        return self.function(*self.args, number)


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

    @contextlib.contextmanager
    def session(self, params: Dict[str, ParamValue]) -> Iterator[Dict[str, ParamValue]]:
        """Set up what every sample of a point shares, and tear it down after the last.

        Entered once per point, before ``prepare`` and the warm-ups; left
        after the last sample, also when a sample raises. It yields the
        parameters the tasks are built from: ``params`` with what the set-up
        made added under names starting with ``_`` (a server's ``_port``, a
        directory's ``_dir``). The base class sets up nothing.

        Raises:
            PointRefused: what the point needs cannot be set up here; one line.
        """
        yield params

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        """The blocking task, or None where the workload has no sync form."""
        return None

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        """The coroutine-function task, or None where it has no async form."""
        return None

    def modes(self) -> Tuple[str, ...]:
        """Which forms exist: ``"sync"``, ``"async"`` or both."""
        probe = {p.name: p.default for p in self.params}
        forms = (("sync", self.sync_task), ("async", self.async_task))
        return tuple(mode for mode, task in forms if task(probe) is not None)
