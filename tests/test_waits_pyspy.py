"""Cross-check: the breakdown's on-CPU/idle split per thread against ``py-spy dump``.

py-spy (a PyPI wheel, needing ptrace rights: root has them here) reads a
process's stacks from outside and marks each thread active or idle. A child
runs one thread spinning a pure-Python loop and one waiting on an Event; the
sidecar's reader (``_waits_sidecar``) reads the same child's threads, and
each thread must read active (on CPU, runnable or waiting for the GIL) for
both or idle (any other wait) for both. Skipped, with the reason, where
py-spy is not installed or cannot attach.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from threadlab.worker import _waits
from threadlab.worker._waits_sidecar import _Watch

CHILD = """
import sys, threading
stop = threading.Event()
def spin():
    x = 0
    while not stop.is_set():
        x += 1
def idle():
    stop.wait()
threads = [threading.Thread(target=spin), threading.Thread(target=idle)]
for thread in threads:
    thread.start()
print(" ".join(str(thread.native_id) for thread in threads), flush=True)
sys.stdin.readline()
stop.set()
"""
ACTIVE = {"cpu", "runnable", "gil"}


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@pytest.mark.skipif(_py_spy() is None, reason="py-spy is not installed (pip install py-spy)")
@pytest.mark.skipif(_waits.unavailable_reason() is not None, reason=str(_waits.unavailable_reason()))
def test_each_threads_active_or_idle_agrees_with_py_spy() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        spinner, idler = (int(tid) for tid in child.stdout.readline().split())
        # Ours first: py-spy stops the process to read it, and a thread it woke may then
        # wait for a core (runnable) on a loaded machine before it blocks again.
        # And from the idler's first blocked read on: until then it may be starting, or
        # waiting for the GIL or for a core, which both tools read as active.
        watch = _Watch({"pid": child.pid, "threads": "others", "exclude": [], "gil": []})
        while not any(o[2] == idler and o[3] == "lock" for o in watch.observations):
            watch.observe()
        watch.observations.clear()
        while len(watch.observations) < 200:  # each reads one thread of the two
            watch.observe()
        watch.files.close()
        dumps = []
        for _ in range(3):
            dump = subprocess.run(
                [str(_py_spy()), "dump", "--pid", str(child.pid)], capture_output=True, text=True, timeout=60
            )
            if dump.returncode != 0:
                pytest.skip(f"py-spy cannot attach here: {dump.stderr.strip()[:200]}")
            dumps.append(dump.stdout)
    finally:
        if child.stdin is not None:
            child.stdin.write("\n")
            child.stdin.close()
        child.wait(timeout=60)

    ours = collections.Counter((o[2], o[3] in ACTIVE) for o in watch.observations)
    for tid in (spinner, idler):
        marks = [line for dump in dumps for line in dump.splitlines() if line.startswith(f"Thread {tid} ")]
        assert len(marks) == 3, dumps
        spy_active = sum("(active" in mark for mark in marks) >= 2
        our_active = ours[(tid, True)] > ours[(tid, False)]
        assert (tid, our_active) == (tid, spy_active), (ours, marks)
