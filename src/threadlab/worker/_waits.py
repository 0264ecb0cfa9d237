"""Where each worker thread's time went during a sample, down to the line.

::

    run_point (worker/_measure.py)
      WaitSampler(tasks_in) ── starts ──► sidecar process (_waits_sidecar): reads /proc
      per timed sample (never a warm-up):
        start():  stack thread (this process, 20 Hz) ──┐   sidecar: one thread's state,
                  sidecar told {"start": ...}          │   schedstat and system call
        ... the strategy runs the tasks ...            │   per read, round-robin
        halt():   sidecar told {"stop": true},         │
                  stack thread joined ◄────────────────┘
        (the sample's resource usage is read here)
        collect(): {"observations": [...]} ◄── sidecar
                  join_lines + breakdown ──► the sample's "waits" object

The sidecar classifies each observation of a thread; ``breakdown`` sums them
into thread-seconds per category, each joined with its thread's nearest stack,
folded to the user's own line (``Locator``). Whose threads: ``Strategy.tasks_in``,
less the worker's own (its protocol's reader). Stacks are read only where the
tasks share this process's one GIL, and it is on (see ``WaitSampler``).
"""

from __future__ import annotations

import bisect
import json
import os
import random
import select
import subprocess
import sys
import sysconfig
import threading
import time
from types import FrameType
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, cast

from threadlab.worker import _waits_sidecar
from threadlab.worker._containment import end_child, prctl
from threadlab.worker._waits_sidecar import CATEGORIES, CPU, OTHER, RUNNABLE

# The stack thread reads sys._current_frames() this often (jittered 0.5-1.5x). A waiting
# thread's line is stable while it waits, and each stack read is tagged with the thread's
# run count (schedstat's 3rd field), which does not move while it is blocked: an
# observation joins the stack read in the same blocked stretch, exactly, and the others
# follow the lines the exact joins found (``join_lines``). Each read takes the GIL from
# the tasks: at 100 Hz the count loop on 2 threads ran 10% slower (interval 0.99-1.23,
# load 11 on 2 cores, where a thread holding the GIL may wait for a core), hence 20 Hz.
# A sample shorter than a few reads (~0.1 s) may find no line of threads it started.
STACKS_PER_S = 20.0
# At most this many threads' stacks are folded per read (chosen at random past it), so
# that 1000 threads cost what 4 do; a sleeping thread's line is found on a later read.
# Folding one thread's stack and reading its run count took 20-25 µs here (3.11, loaded
# 2-core machine; the run count through a kept-open file, 1.7 µs instead of 29); the
# stack thread took 0.4% of a core with 2 threads, 0.7% with 50, at 20 Hz.
_STACKS_PER_READ = 4
# The top lines kept per category.
TOP_LINES = 5
# The sidecar says ready well under a second here (~70 ms); past this, sampling is off.
_SIDECAR_START_S = 10.0

Location = Tuple[str, int, str, Optional[str]]  # file, line, function, library frame called
_LOCATION_KEYS = ("file", "line", "function", "library")  # a Location's, in a line of the breakdown
Observation = Sequence[Any]  # [t, pid, tid, category, run_ns, wait_ns, runs] as the sidecar sends it
StackRead = Tuple[float, int, Optional[Location]]  # when, the thread's run count then, where

# prctl(2): let a given process read this one's /proc files that need ptrace rights
# (``syscall``) where Yama's ptrace_scope is 1 and it is our child, not our parent.
_PR_SET_PTRACER = 0x59616D61


def unavailable_reason() -> Optional[str]:
    """Why the breakdown cannot be measured here, or None where it can."""
    if not sys.platform.startswith("linux"):
        return "waits: not measured on {} (it reads Linux's /proc)".format(sys.platform)
    tid = threading.get_native_id()
    path = "/proc/{}/task/{}/schedstat".format(os.getpid(), tid)
    if not os.access(path, os.R_OK):
        return "waits: not measured: {} is unreadable".format(path)
    return None


def gil_ranges() -> List[Tuple[int, int]]:
    """The address ranges of the interpreter's static data, where its GIL lives; empty without a GIL.

    The mapping holding ``_PyRuntime`` (found through ctypes), all writable
    mappings of the same file, and the anonymous mapping right after them
    (the .bss). Measured on 3.9, 3.11, 3.12 and 3.13 (pyenv, libpython
    shared): ``_PyRuntime`` lies in libpython's writable mapping (3.12, 3.13)
    or in the .bss after it (3.9, 3.11), and a two-thread count loop's futex
    waits all fall in that range. Without ctypes, the writable mappings of
    libpython, or of the executable where it is linked in statically.
    """
    if getattr(sys, "_is_gil_enabled", lambda: True)() is False:
        return []
    try:
        maps = _mappings()
    except OSError:
        return []
    target = _runtime_file(maps)
    ranges: List[Tuple[int, int]] = []
    for index, (low, high, writable, path) in enumerate(maps):
        if path != target or not writable:
            continue
        ranges.append((low, high))
        if index + 1 < len(maps) and maps[index + 1][0] == high and not maps[index + 1][3]:
            ranges.append((high, maps[index + 1][1]))
    return ranges


def _mappings() -> List[Tuple[int, int, bool, str]]:
    """/proc/self/maps: (start, end, writable, path or "") per mapping, in address order."""
    maps = []
    with open("/proc/self/maps") as lines:
        for line in lines:
            parts = line.split(None, 5)
            low, high = (int(bound, 16) for bound in parts[0].split("-"))
            path = parts[5].strip() if len(parts) > 5 else ""
            maps.append((low, high, "w" in parts[1], path))
    return maps


def _runtime_file(maps: List[Tuple[int, int, bool, str]]) -> str:
    """The file whose static data holds ``_PyRuntime``."""
    try:
        import ctypes

        address = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
    except (ImportError, ValueError, AttributeError, OSError):
        address = None
    last_file = ""
    for low, high, _, path in maps:
        if path and not path.startswith("["):
            last_file = path
        if address is not None and low <= address < high:
            return path or last_file  # in the anonymous .bss right after the file's data
    for _, _, writable, path in maps:
        if writable and "libpython" in os.path.basename(path):
            return path
    return os.path.realpath(sys.executable)


class Locator:
    """Folds a stack to the user's own line, naming the library frame it called.

    Frames of threadlab's machinery, the standard library, site-packages and
    frozen modules are library frames; the built-in workloads' modules
    (``threadlab/worker/workloads``) are user code, so that the tour's count
    loop shows its own line.
    """

    def __init__(self) -> None:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        roots = {os.path.dirname(package)}  # threadlab.*, named from its parent directory
        paths = sysconfig.get_paths()
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                roots.add(os.path.realpath(paths[key]))
        self._library_roots = sorted(roots, key=len, reverse=True)
        self._user = os.path.join(package, "worker", "workloads") + os.sep
        self._modules: Dict[str, Optional[str]] = {}

    def module(self, filename: str) -> Optional[str]:
        """The library module a file is, or None where it is the user's code."""
        if filename not in self._modules:
            self._modules[filename] = self._module(filename)
        return self._modules[filename]

    def _module(self, filename: str) -> Optional[str]:
        if filename.startswith("<frozen "):
            return filename[len("<frozen ") : -1]
        if filename.startswith("<"):
            return None
        path = os.path.realpath(filename)
        if path.startswith(self._user):
            return None
        for root in self._library_roots:
            if path.startswith(root + os.sep):
                name = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, ".")
                return name[: -len(".__init__")] if name.endswith(".__init__") else name
        return None

    def locate(self, frame: Optional[FrameType]) -> Optional[Location]:
        """The innermost frame of user code and the library frame it called; else ("", 0, the
        innermost frame's function, its library name); None without a frame."""
        called: Optional[str] = None
        innermost: Optional[Location] = None
        while frame is not None:
            code = frame.f_code
            name = getattr(code, "co_qualname", code.co_name)
            module = self.module(code.co_filename)
            if module is None:
                return (code.co_filename, frame.f_lineno or 0, name, called)
            called = "{}.{}".format(module, name)
            if innermost is None:  # no user code at all (a pool's idle worker): "" for its file
                innermost = ("", 0, name, called)
            frame = frame.f_back
        return innermost


class _Stacks(threading.Thread):
    """Reads the process's thread stacks at a low rate, folded, keyed by native thread id."""

    def __init__(self, locator: Locator) -> None:
        super().__init__(name="threadlab-waits-stacks", daemon=True)
        self._locator = locator
        self._done = threading.Event()
        self.seen: Dict[int, List[StackRead]] = {}
        self._files = _waits_sidecar.OpenFiles()

    def run(self) -> None:
        self._read()
        while not self._done.wait(random.uniform(0.5, 1.5) / STACKS_PER_S):
            self._read()
        self._read()

    def _read(self) -> None:
        """Fold up to ``_STACKS_PER_READ`` threads' stacks, each tagged with its run count.

        The run counts are read before the frames and again after folding
        them: a read of a file lets go of the GIL, and a live frame moves
        when its thread runs. A thread whose count moved in between gets -1:
        its line joins observations by time only.
        """
        own = threading.get_ident()
        threads = [
            (t.ident, t.native_id)
            for t in threading.enumerate()
            if t.ident not in (own, None) and t.native_id
        ]
        if len(threads) > _STACKS_PER_READ:
            threads = random.sample(threads, _STACKS_PER_READ)
        before = [self._runs(native) for _, native in threads]
        now = time.monotonic()
        frames = sys._current_frames()
        found = [self._locator.locate(frames.get(ident or 0)) for ident, _ in threads]
        del frames
        for (_, native), runs, where in zip(threads, before, found):  # noqa: B905 - strict= is 3.10+
            after = self._runs(native)
            self.seen.setdefault(native, []).append((now, runs if runs == after else -1, where))

    def _runs(self, tid: int) -> int:
        """How many times thread ``tid`` of this process was put on a core (-1: unreadable)."""
        text = self._files.read("/proc/self/task/{}/schedstat".format(tid))
        try:
            return int((text or "").split()[2])
        except (IndexError, ValueError):
            return -1

    def stop(self) -> None:
        self._done.set()
        self.join()
        self._files.close()


def nearest(stacks: Dict[int, List[StackRead]], tid: int, when: float, runs: int = -1) -> Optional[Location]:
    """Where thread ``tid`` was at ``when``: the stack read in the same blocked stretch, else the nearest."""
    seen = stacks.get(tid)
    if not seen:
        return None
    if runs >= 0:
        same = [read for read in seen if read[1] == runs]
        if same:
            return min(same, key=lambda read: abs(read[0] - when))[2]
    times = [read[0] for read in seen]
    index = bisect.bisect_left(times, when)
    candidates = [i for i in (index - 1, index) if 0 <= i < len(seen)]
    # Of the two reads around it, one in the user's code over one in none (a pool's worker
    # idle before its task, read at the sample's start), then the nearer.
    best = min(candidates, key=lambda i: (not (seen[i][2] or ("",))[0], abs(times[i] - when)))
    return seen[best][2]


def join_lines(
    observations: Sequence[Observation], stacks: Dict[int, List[StackRead]], pid: int
) -> List[List[Tuple[Location, float]]]:
    """Where each observation's thread was, as lines with weights, aligned with ``observations``.

    First the exact joins: a stack read of the thread with the same run count,
    in the same blocked stretch. Each other observation is spread over the
    lines the exact joins found for its category, in their proportions, or
    where none did, takes the nearest stack read of its thread. Two threads
    taking turns on a lock around a 10 ms sleep, read at 20 Hz, have a stack
    read in one blocked stretch in five: the nearest read alone put a third
    of the lock wait on the sleep's line (3.12 here), the proportions none.
    An observation of a thread with no stack read (another process) has none.
    """
    found: List[List[Tuple[Location, float]]] = [[] for _ in observations]
    votes: Dict[str, Dict[Location, int]] = {}
    pending = []
    for index, observation in enumerate(observations):
        seen = stacks.get(int(observation[2])) if observation[1] == pid else None
        if not seen:
            continue
        runs = int(observation[6]) if len(observation) > 6 else -1
        same = [read for read in seen if runs >= 0 and read[1] == runs and read[2] is not None]
        if same:
            where = cast(Location, min(same, key=lambda read: abs(read[0] - float(observation[0])))[2])
            found[index] = [(where, 1.0)]
            lines = votes.setdefault(str(observation[3]), {})
            lines[where] = lines.get(where, 0) + 1
        else:
            pending.append(index)
    for index in pending:
        observation = observations[index]
        counted = votes.get(str(observation[3]))
        if counted:
            total = sum(counted.values())
            found[index] = [(where, count / total) for where, count in counted.items()]
            continue
        near = nearest(stacks, int(observation[2]), float(observation[0]))
        found[index] = [] if near is None else [(near, 1.0)]
    return found


def breakdown(
    observations: Sequence[Observation],
    start: float,
    end: float,
    locate: Any = None,
) -> Dict[str, Any]:
    """Thread-seconds per category, and the top lines per category, from one sample's observations.

    For a thread observed twice or more, the on-CPU and run-queue time between
    its first and last observation are schedstat's exact deltas; the rest of
    that span is split by how often it was seen in each off-CPU category
    ("other" where it never was); the span before its first observation, one
    mean gap long, goes to the category first seen. A thread observed once
    stands for the whole sample, in the category seen (threads sampled
    round-robin: 1000 of them at the read rate are each seen about once).

    Args:
        observations: ``[t, pid, tid, category, run_ns, wait_ns]`` each.
        start, end: the sample's bounds on the monotonic clock.
        locate: ``(observation) -> [(Location, weight), ...]`` (weights
            summing to 1, or no entry where unknown); None: no lines.

    Returns:
        The sample's ``waits`` object, less its note.
    """
    seconds = {category: 0.0 for category in CATEGORIES}
    per_line: Dict[Tuple[str, Location], float] = {}
    threads: Dict[Tuple[int, int], List[Observation]] = {}
    for observation in sorted(observations, key=lambda o: o[0]):
        threads.setdefault((observation[1], observation[2]), []).append(observation)
    for seen in threads.values():
        own = _thread_seconds(seen, end - start)
        for category, value in own.items():
            seconds[category] += value
            if locate is None or value <= 0:
                continue
            holders = [o for o in seen if o[3] == (CPU if category == RUNNABLE else category)] or seen
            for observation in holders:
                for where, weight in locate(observation):
                    key = (category, tuple(where))
                    per_line[key] = per_line.get(key, 0.0) + weight * value / len(holders)
    total = sum(seconds.values())
    lines: List[Dict[str, Any]] = []
    for category in CATEGORIES:
        ranked = sorted(((s, w) for (c, w), s in per_line.items() if c == category), key=lambda x: -x[0])
        for share_s, where in ranked[:TOP_LINES]:
            share = round(share_s / total, 4) if total > 0 else 0.0
            located = dict(zip(_LOCATION_KEYS, where))  # noqa: B905 - strict= is 3.10+
            lines.append({"category": category, "share": share, **located})
    waits: Dict[str, Any] = {category + "_s": round(seconds[category], 6) for category in CATEGORIES}
    waits.update({"observations": len(observations), "threads": len(threads), "lines": lines})
    return waits


def _thread_seconds(seen: Sequence[Observation], sample_s: float) -> Dict[str, float]:
    """One thread's seconds per category (see ``breakdown``)."""
    first, last = seen[0], seen[-1]
    own = {category: 0.0 for category in CATEGORIES}
    if len(seen) == 1:
        own[first[3]] += max(sample_s, 0.0)
        return own
    span = last[0] - first[0]
    run = max(0.0, (last[4] - first[4]) / 1e9)
    queued = max(0.0, (last[5] - first[5]) / 1e9)
    if run + queued > span > 0:  # the clocks differ by a read's time: scale to the span
        run, queued = run * span / (run + queued), queued * span / (run + queued)
    own[CPU] += run
    own[RUNNABLE] += queued
    off = [o[3] for o in seen if o[3] != CPU]
    rest = max(0.0, span - run - queued)
    if off:
        for category in set(off):
            own[category] += rest * off.count(category) / len(off)
    else:
        own[OTHER] += rest
    own[first[3]] += span / (len(seen) - 1)
    return own


class WaitSampler:
    """One point's breakdown of where its threads' time went, sample by sample.

    Args:
        tasks_in: where the strategy runs its tasks (``Strategy.tasks_in``):
            "caller", "threads" or "processes".
        machinery: native ids of threads never read: the worker's own (its
            protocol's reader), started before the point's tasks had any.
        stacks: whether to read stacks for the lines (``Strategy.shares_one_gil``):
            not where tasks run under GILs of their own. In processes their
            stacks are elsewhere; in subinterpreters, ``sys._current_frames()``
            walks every interpreter's threads, and reading the frames of one
            running under its own GIL crashed the worker (double free, 3.12).
            Nor where the GIL is off (a free-threaded build): the frames
            ``sys._current_frames()`` returns belong to threads running at
            once, and reading them is unsafe there (the free-threading
            HOWTO: it may crash the process). Tried on 3.13.5t: 60 s of 2000
            reads a second over four threads pushing and popping frames did
            not crash, which proves nothing of a race. With its GIL on
            (``-X gil=1``) a free-threaded build reads stacks as any other.
    """

    def __init__(self, tasks_in: str, machinery: Sequence[int] = (), stacks: bool = True) -> None:
        self._scope = {"caller": "caller", "processes": "descendants"}.get(tasks_in, "others")
        self._machinery = list(machinery)
        self._read_stacks = stacks and getattr(sys, "_is_gil_enabled", lambda: True)() is not False
        self._note = unavailable_reason()
        self._locator = Locator()
        self._gil = gil_ranges()
        self._sidecar: Optional["subprocess.Popen[bytes]"] = None
        self._stacks: Optional[_Stacks] = None
        self._halted_stacks: Optional[_Stacks] = None
        self._started = self._ended = 0.0
        self._told = False
        if self._note is None:
            self._note = self._open()

    def _open(self) -> Optional[str]:
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
        try:
            self._sidecar = subprocess.Popen(
                [sys.executable, "-m", _waits_sidecar.__name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError as error:
            return "waits: not measured: its reader could not start: {}".format(error)
        prctl(_PR_SET_PTRACER, self._sidecar.pid)
        if self._reply(_SIDECAR_START_S) is None:
            self.close()
            return "waits: not measured: its reader did not start"
        return None

    def _reply(self, timeout: float) -> Optional[Dict[str, Any]]:
        sidecar = self._sidecar
        if sidecar is None:
            return None
        out = cast(IO[bytes], sidecar.stdout)
        ready, _, _ = select.select([out], [], [], timeout)
        line = out.readline() if ready else b""
        return cast(Dict[str, Any], json.loads(line)) if line else None

    def _send(self, command: Dict[str, Any]) -> bool:
        sidecar = self._sidecar
        if sidecar is None:
            return False
        try:
            stdin = cast(IO[bytes], sidecar.stdin)
            stdin.write(json.dumps(command).encode() + b"\n")
            stdin.flush()
        except OSError:
            return False
        return True

    def start(self) -> None:
        """Start reading, just before a timed sample."""
        if self._note is not None:
            return
        exclude = list(self._machinery)  # the caller (the main thread) is the sidecar's scope to read
        if self._read_stacks:
            self._stacks = _Stacks(self._locator)
            self._stacks.start()  # returns once the thread runs, its native_id set
            exclude.append(self._stacks.native_id or 0)
        request = {"pid": os.getpid(), "threads": self._scope, "exclude": exclude, "gil": self._gil}
        self._started = time.monotonic()
        self._send({"start": request})

    def halt(self) -> None:
        """Stop reading, just after the sample: the stack thread ends and the sidecar is told."""
        self._ended = time.monotonic()
        # The sidecar first: where the caller's thread is the one read (sequential, asyncio),
        # its wait for the stack thread to end is not the tasks'.
        self._told = self._note is None and self._send({"stop": True})
        self._halted_stacks, self._stacks = self._stacks, None
        if self._halted_stacks is not None:
            self._halted_stacks.stop()

    def collect(self) -> Dict[str, Any]:
        """The ``waits`` object of the sample just halted: the sidecar's reads joined and summed.

        Separate from ``halt`` so that the worker reads the sample's resource
        usage between the two: the joining and summing is not the tasks' CPU.
        """
        stacks, self._halted_stacks = self._halted_stacks, None
        report = self._reply(_SIDECAR_START_S) if self._told else None
        if report is None:
            report = {
                "observations": [],
                "note": self._note or "waits: not measured: its reader stopped answering",
            }
        observations = report["observations"]
        lines = join_lines(observations, {} if stacks is None else stacks.seen, os.getpid())
        where = {id(seen): line for seen, line in zip(observations, lines)}  # noqa: B905 - strict= is 3.10+
        waits = breakdown(
            observations, self._started, self._ended, lambda observation: where.get(id(observation), [])
        )
        waits["reader_cpu_s"] = max(0.0, float(report.get("cpu_s", 0.0)))
        waits["note"] = report.get("note")
        return waits

    def close(self) -> None:
        """End the sidecar."""
        sidecar, self._sidecar = self._sidecar, None
        if sidecar is not None:
            end_child(sidecar, _SIDECAR_START_S)
