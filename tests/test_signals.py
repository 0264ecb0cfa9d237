"""The fault suite: signals and kills sent to a real ``threadlab run`` at every moment of its life.

Each test starts the command as a user would (the ``threadlab`` script), with
a private ``TMPDIR`` and an environment variable of its own that every
process of the run inherits, then strikes: Ctrl-C, SIGTERM or SIGHUP during
start-up, warm-ups, a hanging sample, an ``http`` point with its server, or
between rounds; SIGKILL to a worker, a pool child, a server, or threadlab
itself; user code that leaves its session. Afterwards, always:

- no process of the run is left (found by that variable in ``/proc/*/environ``);
- no ``threadlab-point-*`` directory is left in the private ``TMPDIR``;
- no port the run listened on is still listening;
- the results file, where written, loads, and says ``interrupted`` as it should.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import needs_proc, one_point, target
from threadlab import Result, load_result
from threadlab.orchestrate import _runner
from threadlab.orchestrate._runner import WorkerSession

pytestmark = [pytest.mark.timeout(60), needs_proc]

RUN_MARK = "THREADLAB_TEST_RUN"
_SCRIPT = Path(sys.executable).with_name("threadlab")
# The installed command where there is one (what users run), else python -m threadlab.
ENTRY = [str(_SCRIPT)] if _SCRIPT.exists() else ["-m", "threadlab"]
THREADLAB = [sys.executable, *ENTRY]


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


def _state(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid, or None once it is gone."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.decode("ascii", "replace").rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def marked(mark: str) -> set[int]:
    """The running processes (zombies left out) whose environment carries ``RUN_MARK=mark``."""
    entry = f"{RUN_MARK}={mark}".encode()
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        environ = _read(f"/proc/{name}/environ")
        state = _state(int(name))
        if environ and entry in environ.split(b"\0") and state and state[0] not in ("Z", "X"):
            found.add(int(name))
    return found


def cmdline(pid: int) -> bytes:
    return (_read(f"/proc/{pid}/cmdline") or b"").replace(b"\0", b" ")


def listening_ports(pids: set[int] | None = None) -> set[int]:
    """TCP ports in LISTEN state: all of them, or those whose socket one of ``pids`` holds."""
    inodes: set[str] | None = None
    if pids is not None:
        inodes = set()
        for pid in pids:
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in (_read(table) or b"").decode().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and (inodes is None or fields[9] in inodes):
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def wait_for(what: str, found: Callable[[], object], timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} never happened within {timeout} s")


class Run:
    """One ``threadlab run`` (or ``advise``, ``tour``) subprocess, marked, in a TMPDIR of its own."""

    def __init__(self, tmp_path: Path, *args: str, command: str = "run") -> None:
        self.mark = uuid.uuid4().hex
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir(parents=True)
        self.out = tmp_path / "results.json"
        env = {**os.environ, "TMPDIR": str(self.tmp), RUN_MARK: self.mark}
        self.process = subprocess.Popen(
            [*THREADLAB, command, *args, "-o", str(self.out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.stderr = ""
        self.ports: set[int] = set()

    def workers(self) -> set[int]:
        # The worker runs `python -m threadlab.worker`; a target's probe runs another module of it.
        return {pid for pid in marked(self.mark) if b"threadlab.worker" in cmdline(pid).split(b" ")}

    def children_of(self, parent: int) -> set[int]:
        """The children of ``parent`` that run tasks: not the sidecar that reads their waits."""
        return {
            pid
            for pid in marked(self.mark)
            if (_state(pid) or ("", 0))[1] == parent and b"_waits_sidecar" not in cmdline(pid)
        }

    def one_worker(self) -> int:
        found = wait_for("a worker's start", self.workers)
        assert isinstance(found, set)
        return min(found)

    def saved(self) -> bool:
        return self.out.exists()

    def send(self, signum: int) -> None:
        self.ports |= listening_ports(marked(self.mark))
        self.process.send_signal(signum)

    def finish(self, timeout: float = 30) -> int:
        _, self.stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def result(self) -> Result:
        return load_result(self.out)

    def assert_clean(self) -> None:
        """Nothing of the run left: processes, point directories, listening ports."""
        left: set[int] = set()
        deadline = time.monotonic() + 5  # a killed process takes a moment to be gone
        while time.monotonic() < deadline:
            left = marked(self.mark)
            if not left:
                break
            time.sleep(0.05)
        assert {pid: cmdline(pid) for pid in left} == {}
        assert sorted(p.name for p in self.tmp.iterdir() if p.name.startswith("threadlab-point-")) == []
        assert self.ports & listening_ports() == set()

    def end(self) -> None:
        """After the test, pass or fail: nothing it started stays."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        for pid in marked(self.mark):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def start(*args: str, command: str = "run") -> Run:
        run = Run(tmp_path / str(len(started)), *args, command=command)
        started.append(run)
        return run

    yield start
    for run in started:
        run.end()


QUICK = ("--repeat", "1", "--warmup", "0", "--max-time", "0.5")
NO_WARMUP_LONG_TIMEOUT = ("--warmup", "0", "--timeout", "50")
SHORT = ("--repeat", "1", "--warmup", "0", "--max-time", "3")
HANG = target("faults", "hang")
HANG_LATER = target("faults", "hang_after_first_call")


def assert_interrupted(run: Run, statuses: set[str] | None = None) -> Result:
    assert run.finish() == 130, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1].startswith("Interrupted: "), run.stderr
    result = run.result()
    assert result.interrupted
    if statuses is not None:
        assert {m.status for m in result.measurements} == statuses
    run.assert_clean()
    return result


@pytest.fixture
def pid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a fault function of ``faults.py`` writes a line as each call begins (runs inherit it)."""
    path = tmp_path / "pids"
    monkeypatch.setenv("THREADLAB_TEST_PIDS", str(path))
    return path


def calls_begun(path: Path) -> int:
    """How many calls of a fault function have begun: the lines it wrote to ``path``."""
    return len(path.read_text().splitlines()) if path.exists() else 0


def started_sleeps(run: Run) -> set[int]:
    """The ``sleep 600`` processes the run's user code started (``escapes.py``)."""
    return {pid for pid in marked(run.mark) if cmdline(pid).startswith(b"sleep 600")}


def _handler_installed(pid: int) -> bool:
    """Whether threadlab's own start-up handler is in place: SIGTERM is caught (Python does not)."""
    status = (_read(f"/proc/{pid}/status") or b"").decode()
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("module", ["click", "rich.style", "threadlab.model"])
def test_ctrl_c_while_the_command_line_imports_exits_130_quietly(tmp_path: Path, module: str) -> None:
    # -X importtime writes a line to stderr as each import ends: Ctrl-C is sent the moment
    # `module` is in, while the command line's other modules are still being imported.
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", *ENTRY, "run", "-w", "sleep", "-o", str(tmp_path / "out.json")],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module:
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    messages = [line for line in rest.splitlines() if not line.startswith("import time:")]
    assert messages == []  # quiet: no traceback, nothing was started that would need a word


@pytest.mark.parametrize(
    ("signum", "delay"),
    [
        *((signal.SIGINT, delay) for delay in (0.0, 0.2, 0.5)),
        (signal.SIGTERM, 0.1),
        (signal.SIGHUP, 0.3),
    ],
    ids=lambda v: v.name if isinstance(v, signal.Signals) else f"{v}s",
)
def test_a_signal_during_start_up_exits_130_quietly(
    runs: Callable[..., Run], signum: signal.Signals, delay: float
) -> None:
    # From the moment threadlab's own code runs (its handler catches SIGTERM, which Python
    # leaves alone): imports of the command line, planning, the first worker's start.
    run = runs("-w", "sleep", "-s", "threads", "-p", "duration=0.05", *QUICK)
    wait_for("threadlab's start-up handler", lambda: _handler_installed(run.process.pid), timeout=10)
    time.sleep(delay)
    run.send(signum)

    assert run.finish() == 130, run.stderr
    assert "Traceback" not in run.stderr
    if run.saved():  # the run had begun: what it saved says it was cut short
        assert run.result().interrupted
    run.assert_clean()


@pytest.mark.parametrize("signum", [signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_during_warm_ups_ends_the_worker_and_saves(
    runs: Callable[..., Run], signum: int, pid_file: Path
) -> None:
    run = runs("-w", HANG, "-s", "sequential", "--repeat", "1", "--warmup", "1", "--timeout", "50")
    wait_for("the warm-up's call", lambda: calls_begun(pid_file) >= 1)
    run.send(signum)

    result = assert_interrupted(run, {"interrupted"})
    assert all(m.warmups == () and m.samples == () for m in result.measurements)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_mid_sample_of_a_hanging_task_keeps_the_samples_before(
    runs: Callable[..., Run], signum: int, pid_file: Path
) -> None:
    # The first sample returns and its round is saved; the second hangs until the signal.
    run = runs(
        "-w", HANG_LATER, "-s", "sequential", "-n", "1", "--repeat", "3", "--warmup", "0", "--timeout", "50"
    )
    wait_for("the first round's save", run.saved)
    wait_for("the second sample's call", lambda: calls_begun(pid_file) >= 2)
    run.send(signum)

    result = assert_interrupted(run, {"interrupted"})
    assert [len(m.samples) for m in result.measurements][:1] == [1]


def test_a_signal_kills_a_hanging_processes_pool_with_its_worker(runs: Callable[..., Run]) -> None:
    run = runs("-w", HANG, "-s", "processes", "-n", "2", "--repeat", "1", "--warmup", "0", "--timeout", "50")
    worker = run.one_worker()
    wait_for("the pool's children", lambda: len(run.children_of(worker)) >= 2)
    run.send(signal.SIGTERM)

    assert_interrupted(run, {"interrupted"})


@pytest.mark.parametrize("signum", [signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_during_an_http_point_ends_its_server(runs: Callable[..., Run], signum: int) -> None:
    run = runs("-w", "http", "-s", "threads", "-n", "2", "-p", "latency=0.2", "--max-time", "20")
    wait_for("the server's port", lambda: listening_ports(marked(run.mark)))
    time.sleep(0.3)
    run.send(signum)

    assert run.ports
    assert_interrupted(run)


def test_a_signal_between_rounds_saves_every_round(runs: Callable[..., Run]) -> None:
    run = runs(
        "-w", "sleep", "-s", "sequential,threads", "-n", "1,2", "-p", "duration=0.01", "--max-time", "20"
    )
    wait_for("the first round's save", run.saved)
    time.sleep(0.5)
    run.send(signal.SIGINT)

    result = assert_interrupted(run)
    assert result.rounds and result.rounds[0].ended == "interrupted"
    assert all(len(m.samples) >= 1 for m in result.measurements)


def test_a_signal_during_advises_first_probe_exits_130(runs: Callable[..., Run]) -> None:
    # Before advise has a results file: the probe's worker is ended, nothing is saved.
    run = runs(target("escapes", "start_session_child_then_hang"), "--budget", "20", command="advise")
    wait_for("the probe's call, its child started", lambda: started_sleeps(run))
    run.send(signal.SIGTERM)

    assert run.finish() == 130, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1] == "threadlab: interrupted"
    assert not run.saved()
    run.assert_clean()


def test_a_signal_during_advises_sweep_saves_it_interrupted(runs: Callable[..., Run]) -> None:
    run = runs(target("advise_targets", "http_like"), "--budget", "30", command="advise")
    wait_for("the sweep's first save", run.saved, timeout=40)
    time.sleep(0.3)
    run.send(signal.SIGHUP)

    assert_interrupted(run)


def test_a_signal_during_the_tour_saves_it_interrupted(runs: Callable[..., Run]) -> None:
    run = runs("--quick", command="tour")
    wait_for("the first lesson's save", run.saved, timeout=40)
    time.sleep(0.3)
    run.send(signal.SIGTERM)

    assert_interrupted(run)


def test_a_killed_worker_is_crashed_and_the_run_goes_on(runs: Callable[..., Run], pid_file: Path) -> None:
    run = runs(
        "-w", f"{HANG},sleep", "-s", "sequential", "-n", "1", "-p", "duration=0.01", *QUICK, "--timeout", "50"
    )
    wait_for("the hanging call", lambda: calls_begun(pid_file) >= 1)
    (worker,) = {int(pid) for pid in pid_file.read_text().split()}  # sequential: the call runs in the worker
    os.kill(worker, signal.SIGKILL)

    assert run.finish() == 1, run.stderr
    result = run.result()
    assert not result.interrupted
    assert [m.status for m in result.measurements] == ["crashed", "ok"]
    run.assert_clean()


def test_a_killed_pool_child_breaks_the_point_and_the_run_goes_on(runs: Callable[..., Run]) -> None:
    run = runs("-w", HANG, "-s", "processes", "-n", "2", *QUICK, "--timeout", "50")
    worker = run.one_worker()
    children = wait_for("the pool's children", lambda: run.children_of(worker))
    assert isinstance(children, set)
    os.kill(min(children), signal.SIGKILL)

    assert run.finish() == 1, run.stderr
    result = run.result()
    assert not result.interrupted
    assert [m.status for m in result.measurements] == ["crashed"]
    assert result.measurements[0].errors[0].message.startswith("BrokenProcessPool")
    run.assert_clean()


def test_a_killed_server_fails_its_point_not_the_run(runs: Callable[..., Run]) -> None:
    run = runs(
        "-w", "http", "-s", "threads", "-n", "2", "-p", "latency=0.05", "-p", "timeout=2", "--max-time", "3"
    )
    servers = wait_for(
        "the server's start", lambda: {p for p in marked(run.mark) if b"_http_server" in cmdline(p)}
    )
    assert isinstance(servers, set)
    run.ports = listening_ports(servers)
    for pid in servers:
        os.kill(pid, signal.SIGKILL)

    assert run.finish() == 1, run.stderr
    result = run.result()
    assert not result.interrupted
    assert {m.status for m in result.measurements} - {"ok"}
    run.assert_clean()


# -- user code that leaves its session ---------------------------------------------------------------

ESCAPE = target("escapes", "start_session_child")
ESCAPE_AND_HANG = target("escapes", "start_session_child_then_hang")
ORPHAN = target("escapes", "start_orphan")


@pytest.mark.parametrize("function", [ESCAPE, ORPHAN], ids=["own-session", "orphaned"])
def test_processes_that_leave_the_session_end_with_the_point(runs: Callable[..., Run], function: str) -> None:
    run = runs("-w", function, "-s", "sequential,threads", "-n", "2", *QUICK)

    assert run.finish() == 0, run.stderr
    assert {m.status for m in run.result().measurements} == {"ok"}
    run.assert_clean()


def test_a_process_that_left_the_session_ends_at_the_timeout(runs: Callable[..., Run]) -> None:
    run = runs("-w", ESCAPE_AND_HANG, "-s", "sequential", "-n", "1", *QUICK, "--timeout", "1")

    assert run.finish() == 1, run.stderr
    assert [m.status for m in run.result().measurements] == ["timeout"]
    run.assert_clean()


def test_a_process_that_left_the_session_ends_at_an_interrupt(runs: Callable[..., Run]) -> None:
    run = runs("-w", ESCAPE_AND_HANG, "-s", "threads", "-n", "2", *QUICK, "--timeout", "50")
    worker = run.one_worker()
    wait_for("the tasks' children", lambda: len(run.children_of(worker)) >= 2)
    run.send(signal.SIGTERM)

    assert_interrupted(run, {"interrupted"})


def test_the_point_ends_with_threadlab_killed_outright(runs: Callable[..., Run]) -> None:
    # SIGKILL leaves threadlab no time to end anything: the worker dies with it (its
    # parent-death signal, or its input's end) and takes its pool and their children along.
    run = runs("-w", ESCAPE_AND_HANG, "-s", "processes", "-n", "2", *QUICK, "--timeout", "50")
    worker = run.one_worker()
    wait_for("the pool's children", lambda: len(run.children_of(worker)) >= 2)
    wait_for("each task's child", lambda: len(started_sleeps(run)) >= 2)
    run.send(signal.SIGKILL)

    assert run.finish() == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while marked(run.mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {pid: cmdline(pid) for pid in marked(run.mark)} == {}


# -- an ending cut short ------------------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("then", ["interrupt", "end_unended_sessions"])
def test_a_close_cut_short_by_a_signal_still_ends_the_point(
    then: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The signal lands inside the ending itself, the worker already stopped (SIGSTOP): what
    # runs next (the rounds' interrupt, or the run's or the interpreter's exit) ends it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    session = WorkerSession(one_point("sleep", "sequential", 1, duration=0.01), timeout_s=30, warmup=0)
    assert session.start()
    assert session.sample(0) is not None
    worker = session.pid
    real = _runner.end_point_processes
    calls: list[int] = []

    def cut_short(root: int, marker: str | None = None) -> None:
        calls.append(root)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real(root, marker)

    monkeypatch.setattr(_runner, "end_point_processes", cut_short)
    with pytest.raises(KeyboardInterrupt):
        session.close()
    # The worker, told to stop, removed its scratch folder itself; it is left stopped, not ended.
    assert _state(worker) is not None

    if then == "interrupt":
        session.interrupt()
    else:
        _runner.end_unended_sessions()

    assert calls == [worker, worker]
    assert _state(worker) is None  # ended and reaped
    assert [p.name for p in tmp_path.iterdir()] == []
