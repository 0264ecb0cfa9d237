"""Each point's scratch folder (its worker's ``TMPDIR``): made with its owners, swept once they are gone.

::

    make_scratch()   sweep the folder's siblings whose owners are all gone (once per directory)
        │            mkdtemp("threadlab-point-…"), owners: this process (pid, start time)
        ▼
    record_owners(folder, worker)   owners: this process and the worker
        │
        ▼
    removed by the worker as it ends (normal end, stdin closed, parent-death signal,
    SIGTERM: ``worker/_protocol``), and by this process after the point's last process ended

What neither can remove is left by a kill neither sees (``kill -9`` of both at
once, or user code that ends its worker with ``os._exit`` after killing
threadlab): the next run sweeps those, as pytest sweeps its old temporary
folders. A process is known by its pid and start time, so that a reused pid
keeps no folder alive. A folder with no owner record (made before threadlab
recorded them, or its owner died before writing it) is left alone: nothing
says it is abandoned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable

from threadlab.worker._containment import SCRATCH_PREFIX, started_at

# The owner record in each folder, one "pid start-time" line per owner ("-" for no start time).
OWNERS_FILE = ".threadlab-owners"

# Directories swept by this process already: one sweep a run, not one a point.
_swept: set[str] = set()


def make_scratch() -> str:
    """A new scratch folder in the temporary directory, owned by this process; its stale siblings swept."""
    directory = tempfile.gettempdir()
    if directory not in _swept:
        _swept.add(directory)
        sweep(directory)
    folder = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=directory)
    record_owners(folder, (os.getpid(),))
    return folder


def record_owners(folder: str, pids: Iterable[int]) -> None:
    """Write (atomically) the processes whose life keeps ``folder``: any one alive, it is not swept."""
    starts = {pid: started_at(pid) for pid in pids}
    lines = "".join(f"{pid} {'-' if start is None else start}\n" for pid, start in starts.items())
    temporary = os.path.join(folder, OWNERS_FILE + ".tmp")
    with open(temporary, "w", encoding="ascii") as record:
        record.write(lines)
    os.replace(temporary, os.path.join(folder, OWNERS_FILE))


def _owners(folder: str) -> list[tuple[int, int | None]] | None:
    """The owners recorded in ``folder``; None where there is no readable record."""
    try:
        with open(os.path.join(folder, OWNERS_FILE), encoding="ascii") as record:
            lines = [line.split() for line in record.read().splitlines()]
        owners = [(int(pid), None if start == "-" else int(start)) for pid, start in lines]
    except (OSError, ValueError):
        return None
    return owners or None


def _alive(pid: int, start: int | None) -> bool:
    """Whether the process ``pid`` that started at ``start`` (clock ticks after boot) still runs."""
    if start is not None and started_at(os.getpid()) is not None:
        return started_at(pid) == start  # None once gone; another number once the pid is reused
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(directory: str) -> list[str]:
    """Remove the scratch folders in ``directory`` whose every recorded owner is dead; return them.

    Never raises: a folder that cannot be read or removed is left as it is.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    for entry in entries:
        with contextlib.suppress(OSError):
            if not entry.name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            owners = _owners(entry.path)
            if owners is None or any(_alive(pid, start) for pid, start in owners):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed.append(entry.path)
    return removed
