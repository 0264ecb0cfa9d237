"""The kinds of work: one vocabulary for what a workload declares and what the analysis judges.

A built-in workload declares its kind (``count`` holds the GIL); the analysis
judges a workload's kind again from what was measured (CPU/wall, the speedups
of threads and of strategies with a GIL per worker).
"""

from __future__ import annotations

import enum
from typing import Dict


class Kind(str, enum.Enum):
    """What kind of work a task does.

    A ``str`` whose value is the identifier (``Kind.IO == "io"``, and
    ``str()`` and JSON give ``"io"`` on every Python), so it reads back with
    ``Kind("io")``. :attr:`words` is how every renderer shows it.

    Members:
        IO: the tasks mostly wait (sleep, sockets, files): waiting overlaps.
        CPU_HOLDS_GIL: the tasks compute in Python bytecode, holding the GIL:
            only workers with a GIL each run them in parallel.
        CPU_RELEASES_GIL: the tasks compute in C code that releases the GIL
            (hashlib, zlib): threads run them in parallel.
        MIXED: the tasks both wait and compute.
        LOCK: the threads queue on one lock (measured: their dominant wait):
            whatever the lock guards runs one thread at a time.
        PARALLEL_INSIDE: one task alone keeps several cores busy: native code
            (BLAS under NumPy, OpenMP) runs its own pool of threads inside each
            call, so more workers only compete for the same cores unless each
            is limited to fewer native threads (``inner_threads``).
        UNKNOWN: not declared (a user's function), or not settled by the
            measurements; the analysis says what would settle it.
    """

    IO = "io"
    CPU_HOLDS_GIL = "cpu-holds-gil"
    CPU_RELEASES_GIL = "cpu-releases-gil"
    MIXED = "mixed"
    LOCK = "lock-bound"
    PARALLEL_INSIDE = "parallel-inside"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        # The identifier, as StrEnum (3.11+) gives it: a str-mixin Enum would say "Kind.IO".
        return str(self.value)

    @property
    def words(self) -> str:
        """How people read this kind: ``io-bound``, ``cpu-bound, holds the GIL``, ``unclear``."""
        return KIND_WORDS[self]


# The one mapping from a kind to the words shown for it, in tables, reports and texts.
KIND_WORDS: Dict[Kind, str] = {
    Kind.IO: "io-bound",
    Kind.CPU_HOLDS_GIL: "cpu-bound, holds the GIL",
    Kind.CPU_RELEASES_GIL: "cpu-bound, releases the GIL",
    Kind.MIXED: "mixed",
    Kind.LOCK: "serialised on a lock",
    Kind.PARALLEL_INSIDE: "already parallel inside",
    Kind.UNKNOWN: "unclear",
}
