"""Keeping hold of every process a point starts, and ending them all with it.

::

    orchestrator ── Popen(new session, env THREADLAB_POINT=<marker>) ──► worker
                                                                          │ PR_SET_PDEATHSIG: SIGTERM when
                                                                          │   the orchestrator dies, even
                                                                          │   if its stdin stays open
                                                                          │ PR_SET_CHILD_SUBREAPER: orphans
                                                                          ▼   of descendants re-parent here
                                       tasks, pool children, servers, and what a task starts,
                                       even in a session of its own (start_new_session=True)

    at the end of the point: every descendant (walk /proc, ppid by ppid) and every
    process whose environment carries the point's marker is killed; the worker does it
    as it ends, the orchestrator does it after a timeout, an interrupt or a crash.

The subreaper has one cost: an adopted orphan that exits stays a zombie of
the worker until the point ends (the worker cannot reap it without taking
the exit status of a child its tasks or pool wait for).

A cgroup would hold them all without a walk, but it needs a writable cgroup v2
hierarchy, which containers and CI machines rarely give. The walk and the
marker need only ``/proc``; where there is no ``/proc`` (not Linux), both
find nothing and the process group, killed as before, is what is ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from typing import IO, Dict, Iterable, List, Optional, Set, cast

# The environment variable the orchestrator sets on each worker: a marker no other point
# shares. Children inherit it, so a process that left the worker's session and lost its
# parent is still known as the point's.
MARKER_ENV = "THREADLAB_POINT"

# Each point's scratch folder (the worker's TMPDIR) is named with this prefix, and the
# orchestrator names it to the worker in SCRATCH_ENV: the worker removes it as it ends.
SCRATCH_PREFIX = "threadlab-point-"
SCRATCH_ENV = "THREADLAB_SCRATCH"

# prctl(2) options (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

# How many times the ending walks /proc again, for processes forked while it killed.
_PASSES = 4


def prctl(option: int, value: int) -> bool:
    """Call prctl(2); False where there is none (not Linux, no ctypes) or it fails."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (ImportError, OSError, AttributeError):
        return False


def hold_descendants() -> None:
    """Be told of the parent's death by SIGTERM, and adopt the descendants' orphans (Linux).

    SIGTERM, not SIGKILL: the worker's handler ends the point as the end of its
    input does, where killed outright it would leave its pool children (and
    what they started) running, orphaned.
    """
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    prctl(_PR_SET_CHILD_SUBREAPER, 1)


def end_child(process: "subprocess.Popen[bytes]", wait_s: float) -> None:
    """Close the child's stdin (it then exits), wait ``wait_s`` for it, kill it if it lingers; reap it."""
    with contextlib.suppress(OSError):  # it has exited already: the pipe is broken
        cast(IO[bytes], process.stdin).close()
    try:
        process.wait(wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    cast(IO[bytes], process.stdout).close()


def stat_fields(pid: object) -> Optional[List[str]]:
    """The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …"""
    try:
        with open("/proc/{}/stat".format(pid), "rb") as stat:
            text = stat.read().decode("ascii", "replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def started_at(pid: int) -> Optional[int]:
    """When process ``pid`` started, in clock ticks after boot; None once it is gone, or without /proc.

    With its pid, it names one process for good: a pid is reused, a pid and a start time are not.
    """
    fields = stat_fields(pid)
    if fields is None or len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    try:
        return int(fields[19])  # field 22 of /proc/PID/stat, the 20th after the command name
    except ValueError:
        return None


def remove_scratch(folder: Optional[str]) -> None:
    """Remove the point's scratch folder ``folder`` (named by SCRATCH_ENV), if it is one; never raises."""
    if folder and os.path.basename(os.path.normpath(folder)).startswith(SCRATCH_PREFIX):
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _living() -> Dict[int, int]:
    """Every running process's pid and its parent's (zombies left out); empty without /proc."""
    parents = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    for entry in entries:
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields is not None and fields[0] not in ("Z", "X"):
                parents[int(entry)] = int(fields[1])
    return parents


def _carries(pid: int, marker: bytes) -> bool:
    try:
        with open("/proc/{}/environ".format(pid), "rb") as environ:
            return marker in environ.read().split(b"\0")
    except OSError:
        return False


def point_processes(root: int, marker: Optional[str] = None) -> Set[int]:
    """The running descendants of ``root``, and the processes carrying ``marker``; ``root`` left out.

    Args:
        root: the worker's pid.
        marker: the value of ``THREADLAB_POINT`` given to the worker, or None.
    """
    parents = _living()
    children: Dict[int, List[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: Set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    if marker is not None:
        entry = "{}={}".format(MARKER_ENV, marker).encode()
        found.update(pid for pid in parents if _carries(pid, entry))
    found.discard(root)
    found.discard(os.getpid())
    return found


def _kill(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def end_point_processes(root: int, marker: Optional[str] = None) -> None:
    """Kill every process :func:`point_processes` finds, until a walk finds none.

    Each found process is stopped first (SIGSTOP), so that none can fork
    between the walk that finds it and the kill; then all are killed. A
    process that leaves the tree and clears its environment between two
    walks is the one way out.
    """
    ended: Set[int] = set()
    for _ in range(_PASSES):
        found = point_processes(root, marker) - ended
        if not found:
            return
        _kill(found, signal.SIGSTOP)
        found |= point_processes(root, marker) - ended
        _kill(found, signal.SIGSTOP)
        _kill(found, signal.SIGKILL)
        ended |= found
