"""Faults through the real runner: a task that raises, hangs, or ends its process.

Each is measured data, not an exception: the point records its status and
errors, keeps the samples measured before, the next point of the same run
still runs, and no process of the failed point is left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import is_running, needs_proc, session_members, target, worker_pids
from threadlab import Measurement, Result, load_result
from threadlab.orchestrate import _discover
from threadlab.orchestrate._discover import PROBE_TIMEOUT_S, describe_all, probe

pytestmark = [pytest.mark.timeout(60), needs_proc]


def run_then_sleep(
    function: str,
    strategy: str = "sequential",
    *,
    workers: int = 1,
    repeat: int = 1,
    warmup: int = 0,
    timeout: float = 30,
) -> Result:
    """Run ``faults.py:function``, then ``sleep`` 0.01 s, in one run.

    The two are groups of their own, each measured in exactly ``repeat`` rounds
    (a max time shorter than a round stops the rounds as soon as the fewest are done).
    No wall-time bound is asserted on it: a fault that were waited out instead of
    noticed shows in the point's status (``timeout`` where ``crashed`` is
    expected) or, for a hang of 60 s, as the test's own timeout.
    """
    return threadlab.run(
        [target("faults", function), "sleep"],
        strategy,
        workers,
        params={"duration": 0.01},
        repeat=repeat,
        warmup=warmup,
        max_time=0.1,
        timeout=timeout,
    )


def assert_next_point_ran(result: Result) -> None:
    _, following = result.measurements
    assert following.point.workload == "sleep"
    assert following.status == "ok"
    assert len(following.samples) >= 1
    assert not result.interrupted
    # The faulty point's group ended on its own; the next group was measured as usual.
    assert [rounds.points for rounds in result.rounds] == [(0,), (1,)]
    assert result.rounds[1].ended == "time"


def recorded_pids(path: Path) -> set[int]:
    """The worker and pool-child pids a fault function wrote before it struck."""
    return {int(pid) for line in path.read_text().splitlines() for pid in line.split()}


def assert_all_gone(pids: set[int]) -> None:
    """None of ``pids`` runs any more, and nothing started in their sessions does either."""
    assert pids
    assert [pid for pid in pids if is_running(pid)] == []
    assert [member for pid in pids for member in session_members(pid)] == []


@pytest.fixture
def pid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pids"
    monkeypatch.setenv("THREADLAB_TEST_PIDS", str(path))
    return path


def only(measurement: Measurement, kind: str) -> str:
    """The one error of ``kind`` the measurement has; its message."""
    found = [error for error in measurement.errors if error.kind == kind]
    assert len(found) == 1, measurement.errors
    return found[0].message


def test_a_task_that_raises_is_counted_and_the_run_goes_on() -> None:
    # Tasks 1 and 3 of every run of 4 raise: 6 of the 12 calls (one warm-up, two samples).
    result = run_then_sleep("raise_on_odd_calls", workers=4, repeat=2, warmup=1, timeout=30)

    faulty = result.measurements[0]
    assert faulty.status == "errors"
    assert [len(faulty.warmups), len(faulty.samples)] == [1, 2]
    assert [s.tasks_failed for s in (*faulty.warmups, *faulty.samples)] == [2, 2, 2]
    (error,) = faulty.errors
    assert (error.kind, error.message, error.count) == ("task", "6 of 12 tasks raised", 6)
    assert error.traceback is not None
    assert error.traceback.startswith("Traceback (most recent call last):")
    assert error.traceback.rstrip().endswith("ValueError: odd call 1 fails on purpose")
    assert_next_point_ran(result)


def test_a_hung_task_is_killed_at_the_timeout_keeping_earlier_samples(pid_file: Path) -> None:
    # The first call returns; the second (second sample) hangs for 60 s.
    result = run_then_sleep("hang_after_first_call", repeat=3, warmup=0, timeout=1.5)

    faulty = result.measurements[0]
    assert faulty.status == "timeout"
    assert len(faulty.samples) == 1
    assert faulty.samples[0].tasks_ok == 1
    message = only(faulty, "timeout")
    assert message == "the point was still running a sample after 1.5 s and was killed"
    # The rounds of its group ended there: no point of it was left running.
    assert (result.rounds[0].rounds, result.rounds[0].ended) == (2, "failed")
    assert_next_point_ran(result)
    assert worker_pids(faulty) <= recorded_pids(pid_file)
    assert_all_gone(recorded_pids(pid_file))


def test_a_hung_pool_child_is_killed_with_its_worker(pid_file: Path) -> None:
    result = run_then_sleep("hang", "processes", workers=2, repeat=1, warmup=0, timeout=1.5)

    faulty = result.measurements[0]
    assert faulty.status == "timeout"
    assert faulty.samples == ()
    assert only(faulty, "timeout") == "the point was still running a sample after 1.5 s and was killed"
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))  # the pool children and the worker that owned them


def test_a_warmup_that_hangs_is_killed_at_the_timeout_of_the_start(pid_file: Path) -> None:
    # The timeout applies to each step; the first is starting the worker and its warm-ups.
    result = run_then_sleep("hang", repeat=1, warmup=1, timeout=1.5)

    faulty = result.measurements[0]
    assert faulty.status == "timeout"
    assert (faulty.warmups, faulty.samples) == ((), ())
    assert only(faulty, "timeout") == "the point was still started and warmed up after 1.5 s and was killed"
    assert (result.rounds[0].rounds, result.rounds[0].ended) == (0, "failed")
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))


def test_a_worker_that_exits_is_recorded_as_crashed(pid_file: Path) -> None:
    result = run_then_sleep("exit_with_code_3")

    faulty = result.measurements[0]
    assert faulty.status == "crashed"
    assert only(faulty, "crashed") == "the worker process exited with code 3 before finishing"
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))


def test_a_worker_killed_by_a_signal_is_recorded_as_crashed(pid_file: Path) -> None:
    result = run_then_sleep("kill_own_process")

    faulty = result.measurements[0]
    assert faulty.status == "crashed"
    assert only(faulty, "crashed") == "the worker process was killed by SIGKILL"
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))


@pytest.mark.parametrize("function", ["exit_with_code_3", "kill_own_process"])
def test_a_pool_child_that_dies_breaks_the_pool(function: str, pid_file: Path) -> None:
    result = run_then_sleep(function, "processes", workers=2)

    faulty = result.measurements[0]
    assert faulty.status == "crashed"
    (error,) = faulty.errors
    assert error.kind == "crashed"
    assert error.message.startswith("BrokenProcessPool: ")
    assert error.traceback is not None and "BrokenProcessPool" in error.traceback
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))


def test_a_worker_killed_while_its_pool_children_live_is_crashed_not_hung(pid_file: Path) -> None:
    # The pool children outlive the worker and hold its pipes open, so the
    # runner cannot wait for end-of-file: it must notice the worker's exit.
    result = run_then_sleep(
        "kill_worker_from_pool_child", "processes", workers=2, repeat=1, warmup=0, timeout=20
    )

    faulty = result.measurements[0]
    assert faulty.status == "crashed"
    assert only(faulty, "crashed") == "the worker process was killed by SIGKILL"
    assert_next_point_ran(result)
    assert_all_gone(recorded_pids(pid_file))


def _threadlab_workers() -> set[int]:
    """Pids of running ``python -m threadlab.worker`` processes (anyone's)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"threadlab.worker" in command and is_running(int(entry.name)):
                found.add(int(entry.name))
    return found


def _children_of(parent: int) -> set[int]:
    found = set()
    for pid in _threadlab_workers():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if f"\nPPid:\t{parent}\n" in status:
            found.add(pid)
    return found


@pytest.mark.timeout(40)
def test_ctrl_c_saves_what_was_measured_and_ends_the_workers(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [
        sys.executable,
        "-c",
        "from threadlab.cli import main; main()",
        *("run", "-w", "sleep", "-s", "threads", "-n", "1,2,3", "-p", "duration=1"),
        *("--repeat", "1", "--warmup", "0", "--max-time", "20", "-o", str(out)),
    ]
    cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The three points are one group: their workers start together and stay alive between
        # rounds; the file is saved after each round (each sample sleeps 1 s, a round 3 s).
        deadline = time.monotonic() + 15
        workers: set[int] = set()
        while len(workers) < 3 and time.monotonic() < deadline:
            workers = _children_of(cli.pid)
            time.sleep(0.02)
        assert len(workers) == 3, "the group's three workers never started"
        while not out.exists() and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.05)
        assert out.exists(), "the first round was never saved"

        cli.send_signal(signal.SIGINT)
        _, stderr = cli.communicate(timeout=15)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()

    assert cli.returncode == 130, stderr
    result = load_result(out)
    assert result.interrupted
    assert len(result.measurements) == 3
    # Every point of the group was cut short, and keeps the sample of the round it finished.
    for measurement in result.measurements:
        assert measurement.status == "interrupted"
        assert [sample.round for sample in measurement.samples][:1] == [0]
        assert (
            only(measurement, "worker") == "interrupted (Ctrl-C or a termination signal) while the point ran"
        )
    assert [(rounds.points, rounds.ended) for rounds in result.rounds] == [((0, 1, 2), "interrupted")]
    assert stderr.splitlines()[-1] == f"Interrupted: 3 point(s) measured, all saved in {out}"
    # Killed by the command before it exits, not necessarily ended yet: given a generous while.
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in workers if is_running(pid)] == []
    assert [member for pid in workers for member in session_members(pid)] == []
    assert os.listdir(tmp_path) == ["results.json"]


# -- the environment: an unusable TMPDIR, a Python that hangs ------------------------------------------

_NEEDED = (
    "expected a writable directory, where each point's temporary files (and file-io's) go, or TMPDIR unset"
)


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("missing", "does not exist"),
        ("a-file", "is not a directory"),
        ("/proc", "is on /proc, a file system of the kernel's own"),
        ("/proc/self/fd", "is on /proc, a file system of the kernel's own"),
        ("read-only", "cannot be written (Permission denied)"),
    ],
)
def test_an_unusable_tmpdir_is_refused_before_any_work(
    where: str,
    problem: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_workers: list[object],
) -> None:
    # TMPDIR chooses the disk file-io measures, and holds every point's directory: Python's
    # tempfile would fall back to /tmp from one it cannot use, measuring another disk.
    if where == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only directory: no TMPDIR here is unwritable to it")
    value = where if where.startswith("/") else str(tmp_path / where)
    if where == "a-file":
        Path(value).write_text("")
    elif where == "read-only":
        Path(value).mkdir(mode=0o555)
    monkeypatch.setenv("TMPDIR", value)

    code, out, err = threadlab_cli(capsys, "run", "-w", "file-io", "--max-time", "1")

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: TMPDIR: {value!r} {problem}; {_NEEDED}\n"
    with pytest.raises(threadlab.SpecError, match=rf"^TMPDIR: '{value}' {re.escape(problem)}; "):
        threadlab.run("sleep", "sequential", 1, max_time=1)
    assert no_workers == []


def _fake_python(tmp_path: Path) -> Path:
    """A "python3.99" that hangs, and starts a child that would hold its pipes open.

    Both sleep longer than the tests' own timeouts: a probe that waited for the
    script, or for the pipes its child holds, fails the test instead of passing late.
    """
    fake = tmp_path / "python3.99"
    fake.write_text("#!/bin/sh\nsleep 120 &\nsleep 120\necho never\n")
    fake.chmod(0o755)
    return fake


def _carrying(mark: str) -> list[int]:
    """Running processes whose environment carries THREADLAB_TEST_PROBE=mark."""
    entry = f"THREADLAB_TEST_PROBE={mark}".encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid() and is_running(int(name)):
            try:
                environ = Path(f"/proc/{name}/environ").read_bytes()
            except OSError:
                continue
            if entry in environ.split(b"\0"):
                found.append(int(name))
    return found


def _left_running(mark: str) -> list[int]:
    """The processes carrying ``mark`` still running once those killed have had 10 s to end.

    SIGKILL is delivered, not waited for: the probe reaps the script it started,
    but the script's orphaned children, killed with it, end when the kernel next
    runs them (a few milliseconds, more beside a busy core). A child that was not
    killed sleeps 120 s, far past this wait; it is killed here once counted, so
    that a failing test leaves nothing behind either.
    """
    deadline = time.monotonic() + 10
    while (left := _carrying(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.timeout(30)
def test_a_python_that_hangs_is_given_up_at_the_stated_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = f"{tmp_path.name}-{os.getpid()}-{uuid.uuid4().hex}"  # unique beside other runs of this test
    monkeypatch.setenv("THREADLAB_TEST_PROBE", mark)
    fake = _fake_python(tmp_path)

    started = time.monotonic()
    answer = probe(str(fake), timeout_s=1.0)
    elapsed = time.monotonic() - started

    assert answer == {"broken": "did not answer within 1 s", "transient": True}
    # Not before the limit; not long after it is asserted by the children's 120 s, past this test's timeout.
    assert elapsed >= 1.0
    assert _left_running(mark) == []  # the script and its children: its whole session killed

    # Asked again in the same command (choosing, planning, listing), it is not waited for again.
    (found,) = describe_all([(str(fake), "given")], timeout_s=1.0)
    asked: list[str] = []
    monkeypatch.setattr(_discover, "probe", lambda executable, **_: asked.append(executable) or {})
    (again,) = describe_all([(str(fake), "given")], timeout_s=1.0)
    assert asked == []
    assert found.broken == again.broken == "did not answer within 1 s"
    assert _left_running(mark) == []


@pytest.mark.timeout(40)
def test_a_python_that_hangs_is_reported_after_the_time_the_message_says(tmp_path: Path) -> None:
    fake = _fake_python(tmp_path)
    mark = f"{tmp_path.name}-{os.getpid()}-{uuid.uuid4().hex}"
    env = {**os.environ, "THREADLAB_TEST_PROBE": mark}
    command = [sys.executable, "-m", "threadlab", "run", "-w", "sleep", "--python", str(fake)]

    started = time.monotonic()
    # A command that waited for the fake's children (120 s) instead of killing them runs past 35 s.
    finished = subprocess.run(command, capture_output=True, text=True, env=env, timeout=35, check=False)
    elapsed = time.monotonic() - started

    limit = PROBE_TIMEOUT_S
    assert finished.returncode == 2
    assert finished.stderr == (
        f"threadlab: error: --python: {str(fake)!r} cannot be used: it did not answer within {limit:g} s\n"
    )
    assert elapsed >= limit
    assert _left_running(mark) == []
