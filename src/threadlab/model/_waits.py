"""Where a sample's worker threads spent their time: the model of the breakdown of waits.

The worker measures it (``threadlab.worker._waits``) and sends it as a
sample's optional ``waits`` object; ``threadlab.analysis`` sums it per point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from threadlab.model._schema import Checked, Range, one_of
from threadlab.worker._waits_sidecar import CATEGORIES

# The categories, in the order the breakdown lists them (declared once, by the worker).
WAIT_CATEGORIES: tuple[str, ...] = tuple(CATEGORIES)
# A category, as a field declares it (the worker's tuple, not a Literal repeating it).
_CATEGORY = one_of(WAIT_CATEGORIES)
WaitCategory = Annotated[str, _CATEGORY]


@dataclass(frozen=True, slots=True)
class WaitLine(Checked):
    """One line of the user's code where threads were, in one category.

    Attributes:
        category: one of ``WAIT_CATEGORIES``.
        share: the share of all the sample's thread time spent there (0 to 1).
        file: the source file, as its code object names it ("" where no
            frame of user code was found: then ``library`` says where).
        line: the line number in it (0: unknown).
        function: the function's (qualified) name.
        library: the library frame the line called (``queue.Queue.get``),
            None where the thread waited in the line itself (``with lock:``,
            a C call such as ``time.sleep``).
    """

    category: WaitCategory
    share: Annotated[float, Range(0, 1)]
    file: str
    line: Annotated[int, Range(0)]
    function: str
    library: str | None = None


@dataclass(frozen=True, slots=True)
class Waits(Checked):
    """Where one sample's worker threads spent their time, in thread-seconds per category.

    Attributes:
        cpu_s: on a core (schedstat's run time).
        runnable_s: ready to run while the machine held the cores
            (schedstat's run-queue time).
        gil_s: blocked on the GIL's futex.
        lock_s: blocked on any other futex: a lock, condition, queue, event
            or semaphore (on a free-threaded build, per-object locks too).
        sleep_s: in nanosleep, clock_nanosleep, or a select/poll on no file.
        io_s: in read, recv, poll, select, epoll, accept, connect, ...
        other_s: anything else, and what could not be read.
        observations: how many reads of a thread's state the figures rest on.
        threads: how many threads were seen.
        lines: the top lines per category, in category order then share.
        reader_cpu_s: the CPU time the sidecar that read /proc spent over the
            sample: the observer's own cost, on a core beside the tasks'.
        note: why the breakdown is missing or partial (not Linux, /proc
            unreadable, an unknown architecture), None where it is whole.
    """

    cpu_s: Annotated[float, Range(0)] = 0.0
    runnable_s: Annotated[float, Range(0)] = 0.0
    gil_s: Annotated[float, Range(0)] = 0.0
    lock_s: Annotated[float, Range(0)] = 0.0
    sleep_s: Annotated[float, Range(0)] = 0.0
    io_s: Annotated[float, Range(0)] = 0.0
    other_s: Annotated[float, Range(0)] = 0.0
    observations: Annotated[int, Range(0)] = 0
    threads: Annotated[int, Range(0)] = 0
    lines: tuple[WaitLine, ...] = ()
    reader_cpu_s: Annotated[float, Range(0)] = 0.0
    note: str | None = None

    def seconds(self, category: str) -> float:
        """The thread-seconds spent in ``category``."""
        if category not in WAIT_CATEGORIES:
            raise ValueError(f"category must be {_CATEGORY.expected}, not {category!r}")
        value: float = getattr(self, f"{category}_s")
        return value

    @property
    def total_s(self) -> float:
        """All thread-seconds seen, every category together."""
        return sum(self.seconds(category) for category in WAIT_CATEGORIES)
