"""The sidecar that reads, from outside the measured interpreter, what each worker thread is doing.

::

    worker process (measured)                 sidecar (python -m threadlab.worker._waits_sidecar)
      main thread ── {"start": ...} ──────────►  every ~10 ms (jittered), up to 4 threads in turn:
        tasks run                                 /proc/P/task/T/stat       state R, S or D
        (a stack thread reads                     /proc/P/task/T/schedstat  on-CPU and run-queue ns
         sys._current_frames() at 20 Hz)          /proc/P/task/T/syscall    the blocking call (S, D)
      main thread ── {"stop": true} ──────────►  one classified observation per thread read
                  ◄── {"observations": ...} ───  [t, pid, tid, category, run_ns, wait_ns, runs]

Why a process of its own: a thread of the worker reading ``/proc`` needs the
GIL to do so, so every read would force a GIL hand-off and see the thread it
displaced "waiting for the GIL" (a one-thread loop would read as GIL-bound).
The sidecar holds no lock the tasks need, and sleeps between reads.

Why the futex address tells the GIL from a lock: the GIL lives in the
interpreter's runtime state (``_PyRuntime``), static data of the python
executable or libpython, while a program's locks, conditions, queues and
events are allocated on the heap (3.9-3.12: a ``sem_t`` per lock; 3.13: a
waiting thread parks on its own heap-allocated semaphore). The worker sends
the address range of that static data (``_waits.gil_ranges``); a thread
blocked in a futex wait on an address inside it waits for the GIL.

The classification (``classify``) is pure, so tests feed it recorded lines.
"""

from __future__ import annotations

import json
import os
import platform
import random
import select
import sys
import time
from typing import Dict, List, Optional, Sequence, Set, Tuple

# The categories, in the order the breakdown lists them.
CPU = "cpu"  # on a core
RUNNABLE = "runnable"  # ready to run, but the machine held the core (schedstat's run-queue time)
GIL = "gil"  # a futex wait on the GIL's address
LOCK = "lock"  # any other futex wait: a lock, condition, queue, event, semaphore
SLEEP = "sleep"  # nanosleep, clock_nanosleep, or a select/poll on no descriptor
IO = "io"  # read, recv, poll, select, epoll, accept, connect, ...
OTHER = "other"  # anything else, or what could not be read
CATEGORIES: Tuple[str, ...] = (CPU, RUNNABLE, GIL, LOCK, SLEEP, IO, OTHER)

# System call numbers (the kernel's unistd tables), by name: its category (or how its
# arguments tell it), then its number on x86_64 and on aarch64 (None: not there). aarch64
# uses the generic table, which has no select, poll or epoll_wait: only their p* forms.
_FUTEX = "futex"  # GIL or LOCK, by its address (arg 0)
_NO_FDS_SLEEP = "select0"  # select/pselect6: nfds (arg 0) 0 means a sleep (3.9-3.10's time.sleep)
_NO_POLL_SLEEP = "poll0"  # poll/ppoll: nfds (arg 1) 0 means a sleep
_CALLS: Dict[str, Tuple[str, Optional[int], Optional[int]]] = {
    "futex": (_FUTEX, 202, 98),
    "futex_waitv": (_FUTEX, 449, 449),
    "nanosleep": (SLEEP, 35, 101),
    "clock_nanosleep": (SLEEP, 230, 115),
    "pause": (SLEEP, 34, None),
    "select": (_NO_FDS_SLEEP, 23, None),
    "pselect6": (_NO_FDS_SLEEP, 270, 72),
    "poll": (_NO_POLL_SLEEP, 7, None),
    "ppoll": (_NO_POLL_SLEEP, 271, 73),
    "read": (IO, 0, 63),
    "write": (IO, 1, 64),
    "pread64": (IO, 17, 67),
    "pwrite64": (IO, 18, 68),
    "readv": (IO, 19, 65),
    "writev": (IO, 20, 66),
    "sendfile": (IO, 40, 71),
    "connect": (IO, 42, 203),
    "accept": (IO, 43, 202),
    "sendto": (IO, 44, 206),
    "recvfrom": (IO, 45, 207),
    "sendmsg": (IO, 46, 211),
    "recvmsg": (IO, 47, 212),
    "fsync": (IO, 74, 82),
    "fdatasync": (IO, 75, 83),
    "epoll_wait": (IO, 232, None),
    "openat": (IO, 257, 56),
    "epoll_pwait": (IO, 281, 22),
    "accept4": (IO, 288, 242),
    "preadv": (IO, 295, 69),
    "pwritev": (IO, 296, 70),
    "recvmmsg": (IO, 299, 243),
    "sendmmsg": (IO, 307, 269),
    "epoll_pwait2": (IO, 441, 441),
}
SYSCALLS: Dict[str, Dict[int, str]] = {
    "x86_64": {x86: kind for kind, x86, _ in _CALLS.values() if x86 is not None},
    "aarch64": {arm: kind for kind, _, arm in _CALLS.values() if arm is not None},
}

# The most files read per second, all threads together: 1000 sleeping threads must not
# mean thousands of reads a millisecond. An observation costs 2 reads (stat, schedstat)
# or 3 (and syscall, for a blocked thread). At 1500 reads/s this sidecar took 2.6% of a
# core beside the count loop on 2 threads and 4.2% beside 1000 sleeping threads, and the
# loop's wall rose 6% (interval 0.99-1.13, 30 pairs, 2 cores at load 2); at 1000 reads/s
# 1.7% and 3.0%, and 1.01 (0.95-1.07, 40 pairs) and 0.99 (0.92-1.07) (bench_waits.py).
READS_PER_S = 1000.0
# The reads come in bursts, this many a second: one observation per wake cost 150 µs of
# this sidecar's CPU (4.8% of a core at 317 a second beside the count loop on 2 threads),
# and reading the threads in turn while awake 70 µs each (2170 a second: 15%). Each
# wake may land on the core of the thread that holds the GIL, where it stops every task.
# In bursts: 1.7-2.2% of a core beside the count loop, 3.1-3.4% beside 1000 sleeping
# threads, and the wall on/off 0.995 (0.978-1.011) and 1.015 (1.005-1.025), 160 pairs
# each at load 0.7 (bench_waits.py); one read a wake gave 1.019-1.043 for the loop.
WAKES_PER_S = 100.0
# Each wait is the nominal interval times a factor drawn from this range, so that the
# reads do not fall into step with a periodic workload (the GIL's 5 ms switch interval).
_JITTER = (0.5, 1.5)
# An observation's mean reads (2 for a running thread, 3 for a blocked one).
_READS_PER_OBSERVATION = 2.5
_PER_WAKE = max(1, int(READS_PER_S / WAKES_PER_S / _READS_PER_OBSERVATION))
# The threads of the processes watched are listed again at most this often.
_RELIST_S = 0.02
# The observations kept per sample at most: 30 s at the full rate. Past it, reads stop
# and the note says so.
_MOST_OBSERVATIONS = 30 * int(READS_PER_S / _READS_PER_OBSERVATION)

GilRanges = Sequence[Tuple[int, int]]


def classify(state: str, syscall: Optional[str], gil: GilRanges, table: Dict[int, str]) -> str:
    """The category of one observation of a thread.

    Args:
        state: the state letter of ``/proc/P/task/T/stat`` (R, S, D, ...).
        syscall: the text of ``/proc/P/task/T/syscall`` ("running", "-1 sp pc"
            or "nr arg0 ... arg5 sp pc"), None where it could not be read.
        gil: the address ranges of the GIL's static data (empty where there
            is no GIL: a free-threaded build).
        table: the architecture's system call numbers (``SYSCALLS``); empty
            for an unknown one, whose waits read as "other".

    Returns:
        One of ``CATEGORIES``; never ``RUNNABLE``, which schedstat tells.
    """
    if state == "R":
        return CPU
    if syscall is None:
        return OTHER
    words = syscall.split()
    if not words or words[0] == "running":
        return CPU  # it woke between the two reads
    try:
        number = int(words[0])
        args = [int(word, 16) for word in words[1:7]]
    except ValueError:
        return OTHER
    kind = table.get(number)
    if kind == _FUTEX:
        address = args[0] if args else -1
        return GIL if any(low <= address < high for low, high in gil) else LOCK
    if kind == _NO_FDS_SLEEP:
        return SLEEP if args and args[0] == 0 else IO
    if kind == _NO_POLL_SLEEP:
        return SLEEP if len(args) > 1 and args[1] == 0 else IO
    return kind or (IO if state == "D" else OTHER)


def _read(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as file:
            return file.read().decode("ascii", "replace")
    except OSError:  # the thread ended between the listing and the read, or no right to read it
        return None


class OpenFiles:
    """/proc files kept open and read again with pread: 1.7 µs a read instead of 29 µs.

    Measured here (3.11, x86_64, a loaded 2-core machine) on a thread's
    ``schedstat``: each pread at offset 0 makes the kernel write the file
    anew. A thread that ended fails its read (ESRCH), and its file is closed.
    """

    # At most this many are kept open, so that 1000 threads stay within the default
    # limit of 1024 open files; past it, files are opened per read.
    _MOST = 512

    def __init__(self) -> None:
        self._fds: Dict[str, int] = {}

    def read(self, path: str) -> Optional[str]:
        """The file's text now, or None where it cannot be read (the thread ended)."""
        fd = self._fds.get(path)
        if fd is None:
            if len(self._fds) >= self._MOST:
                return _read(path)
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            self._fds[path] = fd
        try:
            return os.pread(fd, 4096, 0).decode("ascii", "replace")
        except OSError:
            del self._fds[path]
            os.close(fd)
            return None

    def close(self) -> None:
        """Close every file kept open."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def _descendants(pid: int) -> List[int]:
    """The processes below ``pid`` (pool workers), through each thread's ``children`` file."""
    found: List[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tids = os.listdir("/proc/{}/task".format(parent))
        except OSError:
            continue
        for tid in tids:
            text = _read("/proc/{}/task/{}/children".format(parent, tid)) or ""
            for child in text.split():
                found.append(int(child))
                todo.append(int(child))
    return found


class _Watch:
    """One sample's reading: which threads, and what was seen."""

    def __init__(self, request: Dict[str, object]) -> None:
        self.pid = int(request["pid"])  # type: ignore[call-overload]  # a JSON number
        self.scope = str(request.get("threads", "others"))
        self.exclude = set(request.get("exclude", []))  # type: ignore[call-overload]  # a JSON list
        self.gil = [(int(low), int(high)) for low, high in request.get("gil", [])]  # type: ignore[attr-defined]
        self.table = SYSCALLS.get(platform.machine(), {})
        self.observations: List[List[object]] = []
        self.files = OpenFiles()
        self.cpu_at_start = time.process_time()
        self.syscall_refused = False
        self.listed: List[Tuple[int, int]] = []
        self.order: List[Tuple[int, int]] = []
        self.listed_at = -1.0

    def _threads(self) -> List[Tuple[int, int]]:
        if self.scope != "descendants":
            try:
                tids = [int(tid) for tid in os.listdir("/proc/{}/task".format(self.pid))]
            except OSError:
                tids = []
            caller = self.scope == "caller"
            return [
                (self.pid, tid) for tid in tids if tid not in self.exclude and (tid == self.pid) == caller
            ]
        # Child processes only where the tasks run in them: finding them reads every thread's
        # children file, 1000 reads a listing for 1000 threads: with it the worker spent 12%
        # more CPU on a sample of 1000 threads sleeping than with no reading, without it 6%
        # (bench_waits.py, medians of 30 samples each).
        threads: List[Tuple[int, int]] = []
        for child in _descendants(self.pid):
            if child == os.getpid():  # this sidecar, reading
                continue
            try:
                threads.extend((child, int(tid)) for tid in os.listdir("/proc/{}/task".format(child)))
            except OSError:
                continue
        return threads

    def observe(self) -> None:
        """One burst: the next threads in turn, each at most once, within the read rate.

        A burst reads ``READS_PER_S / WAKES_PER_S`` files' worth of observations
        (4): both threads of a pair each wake, four of 1000. The threads are
        listed again, and their order shuffled, when a turn ends.
        """
        read: Set[Tuple[int, int]] = set()
        for _ in range(_PER_WAKE):
            if not self.order:
                now = time.monotonic()
                if now - self.listed_at >= _RELIST_S:
                    self.listed = self._threads()
                    self.listed_at = now
                self.order = random.sample(self.listed, len(self.listed))
            if not self.order or self.order[-1] in read or len(self.observations) >= _MOST_OBSERVATIONS:
                return
            read.add(self.order[-1])
            self._observe(*self.order.pop())

    def _observe(self, pid: int, tid: int) -> None:
        """Read one thread's state, schedstat and (where blocked) system call, and classify it."""
        now = time.monotonic()
        base = "/proc/{}/task/{}/".format(pid, tid)
        stat = self.files.read(base + "stat")
        sched = self.files.read(base + "schedstat")
        if stat is None or sched is None:
            return
        state = stat.rpartition(")")[2].split()[0]
        syscall = None
        if state != "R":
            syscall = self.files.read(base + "syscall")
            self.syscall_refused = self.syscall_refused or syscall is None
        run_ns, wait_ns, runs = (int(word) for word in sched.split()[:3])
        category = classify(state, syscall, self.gil, self.table)
        self.observations.append([round(now, 6), pid, tid, category, run_ns, wait_ns, runs])

    def report(self) -> Dict[str, object]:
        self.files.close()
        notes = []
        if not self.table:
            notes.append("system call numbers unknown on {}: waits read as other".format(platform.machine()))
        if self.syscall_refused:
            notes.append("/proc/<pid>/task/<tid>/syscall unreadable (no ptrace rights): waits read as other")
        if len(self.observations) >= _MOST_OBSERVATIONS:
            notes.append("stopped reading after {} observations".format(_MOST_OBSERVATIONS))
        return {
            "observations": self.observations,
            "cpu_s": round(time.process_time() - self.cpu_at_start, 6),
            "note": "; ".join(notes) or None,
        }


def serve(fd_in: int, out: "object") -> None:
    """Answer start/stop commands (JSON lines on ``fd_in``) until its end."""
    buffered = b""
    watch: Optional[_Watch] = None
    while True:
        timeout = None if watch is None else random.uniform(*_JITTER) / WAKES_PER_S
        ready, _, _ = select.select([fd_in], [], [], timeout)
        if not ready:
            if watch is not None:
                watch.observe()
            continue
        chunk = os.read(fd_in, 65536)
        if not chunk:
            return
        buffered += chunk
        while b"\n" in buffered:
            line, _, buffered = buffered.partition(b"\n")
            command = json.loads(line)
            if "start" in command:
                watch = _Watch(command["start"])
                watch.observe()
            elif watch is not None:
                report = watch.report()
                watch = None
                out.write(json.dumps(report, separators=(",", ":")) + "\n")  # type: ignore[attr-defined]
                out.flush()  # type: ignore[attr-defined]


def main() -> None:
    """Say ready, then serve the worker's commands on stdin until it closes them."""
    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    serve(sys.stdin.fileno(), sys.stdout)


if __name__ == "__main__":
    main()
