"""Where a sample's worker threads spent their time: the model of the breakdown of waits.

The worker measures it (``threadlab.worker._waits``) and sends it as a
sample's optional ``waits`` object; ``threadlab.analysis.waits_of`` sums it
per point. Thread-seconds per category (a thread's wall time in the sample,
split), how many observations and threads they rest on, the top lines of the
user's code per category, and a note where something could not be read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from threadlab.worker._waits_sidecar import CATEGORIES

# The categories, in the order the breakdown lists them (declared once, by the worker):
# on CPU, runnable but not running, the GIL, a lock, sleeping, I/O, other.
WAIT_CATEGORIES: tuple[str, ...] = tuple(CATEGORIES)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class WaitLine:
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

    category: str
    share: float
    file: str
    line: int
    function: str
    library: str | None = None

    def __post_init__(self) -> None:
        _check(
            self.category in WAIT_CATEGORIES,
            f"category must be one of {', '.join(WAIT_CATEGORIES)}, not {self.category!r}",
        )
        _check(
            math.isfinite(self.share) and 0 <= self.share <= 1,
            f"share must be from 0 to 1, not {self.share!r}",
        )
        _check(self.line >= 0, f"line must be 0 or more, not {self.line!r}")


@dataclass(frozen=True, slots=True)
class Waits:
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

    cpu_s: float = 0.0
    runnable_s: float = 0.0
    gil_s: float = 0.0
    lock_s: float = 0.0
    sleep_s: float = 0.0
    io_s: float = 0.0
    other_s: float = 0.0
    observations: int = 0
    threads: int = 0
    lines: tuple[WaitLine, ...] = ()
    reader_cpu_s: float = 0.0
    note: str | None = None

    def __post_init__(self) -> None:
        for category in WAIT_CATEGORIES:
            value = getattr(self, f"{category}_s")
            _check(
                math.isfinite(value) and value >= 0,
                f"{category}_s must be a finite number of 0 or more, not {value!r}",
            )
        _check(self.observations >= 0, f"observations must be 0 or more, not {self.observations!r}")
        _check(self.threads >= 0, f"threads must be 0 or more, not {self.threads!r}")
        _check(
            math.isfinite(self.reader_cpu_s) and self.reader_cpu_s >= 0,
            f"reader_cpu_s must be a finite number of 0 or more, not {self.reader_cpu_s!r}",
        )

    def seconds(self, category: str) -> float:
        """The thread-seconds spent in ``category``."""
        _check(
            category in WAIT_CATEGORIES,
            f"category must be one of {', '.join(WAIT_CATEGORIES)}, not {category!r}",
        )
        value: float = getattr(self, f"{category}_s")
        return value

    @property
    def total_s(self) -> float:
        """All thread-seconds seen, every category together."""
        return sum(self.seconds(category) for category in WAIT_CATEGORIES)
