"""Each point's scratch folder (its worker's TMPDIR) is removed on every way out, or swept by the next run.

The worker removes its own as it ends by a way it controls (its normal end,
its input's end, SIGTERM, its parent's death); what a kill no one sees
leaves (``kill -9`` of threadlab and its worker), the next run sweeps: only
folders whose every recorded owner is dead, a process known by its pid and
start time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import needs_proc, one_point
from threadlab.orchestrate import _runner, _scratch
from threadlab.orchestrate._runner import WorkerSession
from threadlab.orchestrate._scratch import OWNERS_FILE, make_scratch, record_owners, sweep
from threadlab.worker._containment import started_at

pytestmark = [pytest.mark.timeout(60), needs_proc]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the runner makes each point's scratch folder, for this test only (swept afresh)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(_scratch, "_swept", set())
    return tmp_path


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def folder(tmp: Path, name: str, owners: str | None) -> Path:
    made = tmp / f"threadlab-point-{name}"
    made.mkdir()
    (made / "left.bin").write_bytes(b"x")
    if owners is not None:
        (made / OWNERS_FILE).write_text(owners, encoding="ascii")
    return made


def test_a_folder_is_swept_only_when_every_owner_is_dead(private_tmp: Path) -> None:
    me = os.getpid()
    dead = dead_pid()
    mine = started_at(me)
    assert mine is not None
    gone = folder(private_tmp, "gone", f"{dead} 1\n")
    gone_both = folder(private_tmp, "gone-both", f"{dead} 1\n{dead_pid()} -\n")
    # The pid is alive, but another process has it now: its owner is gone.
    reused = folder(private_tmp, "reused", f"{me} {mine + 1}\n")
    live = folder(private_tmp, "live", f"{dead} 1\n{me} {mine}\n")
    live_pid_only = folder(private_tmp, "live-pid-only", f"{me} -\n")
    unrecorded = folder(private_tmp, "unrecorded", None)
    unreadable = folder(private_tmp, "unreadable", "not a record\n")
    other = private_tmp / "someone-elses"
    other.mkdir()

    removed = sweep(str(private_tmp))

    assert sorted(removed) == sorted(str(p) for p in (gone, gone_both, reused))
    assert sorted(p.name for p in private_tmp.iterdir()) == sorted(
        p.name for p in (live, live_pid_only, unrecorded, unreadable, other)
    )


def test_a_new_scratch_folder_sweeps_its_stale_siblings_once_and_records_its_owner(
    private_tmp: Path,
) -> None:
    stale = folder(private_tmp, "stale", f"{dead_pid()} 1\n")

    made = Path(make_scratch())

    assert not stale.exists()
    assert (made / OWNERS_FILE).read_text(encoding="ascii") == f"{os.getpid()} {started_at(os.getpid())}\n"
    # Once a run: a folder left after the first sweep waits for the next run.
    later = folder(private_tmp, "later", f"{dead_pid()} 1\n")
    second = Path(make_scratch())
    assert later.exists()
    for path in (made, second):
        record_owners(str(path), (dead_pid(),))
    assert sorted(sweep(str(private_tmp))) == sorted(str(p) for p in (later, made, second))


def wait_gone(pid: int) -> None:
    """Wait for process ``pid`` to be gone (the test's timeout bounds it); reap it if it is a child."""
    while started_at(pid) is not None:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.01)


@pytest.mark.parametrize("way", ["normal end", "stdin closed", "SIGTERM"])
def test_a_worker_removes_its_own_folder_on_every_way_out_it_controls(
    way: str, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process removes nothing here: whatever is removed, the worker removed.
    monkeypatch.setattr(_runner.shutil, "rmtree", lambda *args, **kwargs: None)
    session = WorkerSession(one_point("sleep", "sequential", 1, duration=0.001), timeout_s=30)
    assert session.start()
    assert session._process is not None and session._scratch is not None
    scratch = Path(session._scratch)
    assert (scratch / OWNERS_FILE).exists()

    if way == "normal end":
        assert session.sample(0) is not None
        session.close()
        assert session.status == "ok", session.errors
    else:
        if way == "stdin closed":
            assert session._process.stdin is not None
            session._process.stdin.close()
        else:
            session._process.send_signal(signal.SIGTERM)
        session._process.wait()
        session.close()

    assert not scratch.exists()


def test_a_worker_whose_threadlab_dies_removes_its_folder(private_tmp: Path) -> None:
    # threadlab killed outright (os._exit: no atexit, no close): the worker learns it by its
    # parent-death signal and the end of its input, and removes its folder as it ends itself.
    script = (
        "import os, sys\n"
        "from conftest import one_point\n"
        "from threadlab.orchestrate._runner import WorkerSession\n"
        "session = WorkerSession(one_point('sleep', 'sequential', 1, duration=0.001), timeout_s=30)\n"
        "assert session.start()\n"
        "print(session.pid, session._scratch, flush=True)\n"
        "os._exit(0)\n"
    )
    tests = str(Path(__file__).resolve().parent)
    env = {**os.environ, "TMPDIR": str(private_tmp), "PYTHONPATH": tests}
    printed = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=50, check=True
    ).stdout.split()
    worker, scratch = int(printed[0]), Path(printed[1])
    assert scratch.parent == private_tmp

    wait_gone(worker)

    assert not scratch.exists()
