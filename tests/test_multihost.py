"""The ``dask`` strategy across real hosts: a scheduler and two workers, each a machine of its own.

::

    root namespace: this test, threadlab           tl-<pid>-s    dask scheduler  10.213.N.2:8786
      bridge tl<pid>br  10.213.N.1/24 ──veth──►    tl-<pid>-w1   dask worker     10.213.N.3
                                      ──veth──►    tl-<pid>-w2   dask worker     10.213.N.4

Each host is a Linux network namespace (``ip netns``, Debian's iproute2) with
its own interface and address, joined to the others through a bridge made for
the test; threadlab reaches the scheduler from the root namespace over that
bridge, as it would a cluster on its LAN. The subnet is one no interface here
uses, and every name carries this process's pid, so two runs never meet.
Everything made is undone in ``finally``, whatever happens, and the test
checks that nothing is left: no namespace, no link, no process.

Making namespaces needs root and ``ip``; where either is missing, or the
kernel refuses, the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import is_running
from threadlab import load_result
from threadlab.render.plots.timeline import _row_names
from threadlab.worker.strategies._base import label_parts, on_host

# Where a user's PATH lacks the sbin directories, ``ip`` is still found there.
IP = shutil.which("ip", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
SCHEDULER_PORT = 8786  # free in the scheduler's own namespace, whatever runs here
STEP_TIMEOUT_S = 30.0  # a host started, a cluster assembled, a link gone


class NoNetwork(Exception):
    """The namespaces or their links cannot be made here; the message says which command failed and why."""


# What a step of the clean-up may raise without stopping the steps after it
# (what is left is then found by ``Hosts.leftovers``).
_CLEANUP_ERRORS = (NoNetwork, OSError, subprocess.SubprocessError, AssertionError)


def _ip(*args: str) -> str:
    """Run ``ip ARGS``; its output.

    Raises:
        NoNetwork: the command failed, with its stderr.
    """
    assert IP is not None
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise NoNetwork(f"`ip {' '.join(args)}` failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def why_no_hosts() -> str | None:
    """Why this test cannot make hosts here, or None if it can try."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux's"
    if os.geteuid() != 0:
        return "making network namespaces (ip netns add) needs root"
    if IP is None:
        return "no `ip` command: install Debian's iproute2 (scripts/test.sh does)"
    return threadlab.strategy("dask").unavailable_reason()


@dataclass(frozen=True)
class Host:
    namespace: str  # tl-<pid>-<role>
    link: str  # the root end of its veth pair, on the bridge; the host's end is its eth0
    address: str


class Hosts:
    """Network namespaces joined by veth pairs through a bridge, reached from here; see the module's map.

    Use as a context manager: leaving it kills every process of every host
    and deletes the namespaces and the bridge (the veth pairs go with their
    namespaces), whatever happened inside.
    """

    def __init__(self, roles: tuple[str, ...], logs: Path) -> None:
        pid = os.getpid()
        self.prefix = f"tl-{pid}-"  # namespaces
        self.tag = f"tl{pid}"  # links (at most 15 characters: tl + 7 digits + role)
        self.bridge = f"{self.tag}br"
        self.logs = logs
        subnet = _free_subnet()
        self.gateway = f"{subnet}.1"
        self.hosts = {
            role: Host(f"{self.prefix}{role}", f"{self.tag}{role}", f"{subnet}.{2 + k}")
            for k, role in enumerate(roles)
        }
        self.started: list[subprocess.Popen[bytes]] = []
        self.seen: set[int] = set()  # every process found in a host, to check none outlives it

    def __enter__(self) -> Hosts:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for host in self.hosts.values():
                _ip("netns", "add", host.namespace)
                _ip("link", "add", host.link, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
                _ip("link", "set", host.link, "master", self.bridge)
                _ip("link", "set", host.link, "up")
                _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
                _ip("-n", host.namespace, "link", "set", "eth0", "up")
                _ip("-n", host.namespace, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self, role: str, command: list[str], env: dict[str, str] | None = None) -> None:
        """Run ``command`` on host ``role``; its output goes to ``<logs>/<role>.log``."""
        host = self.hosts[role]
        with (self.logs / f"{role}.log").open("ab") as log:
            process = subprocess.Popen(
                [IP or "ip", "netns", "exec", host.namespace, *command],  # ip execs the command in place
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        self.started.append(process)
        self.seen.add(process.pid)

    def log(self, role: str) -> str:
        path = self.logs / f"{role}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def role_of(self, address: str) -> str:
        """The role of the host a Dask address (``tcp://10.213.N.3:40331``) is on."""
        host = address.partition("://")[2].rpartition(":")[0]
        return next(role for role, found in self.hosts.items() if found.address == host)

    def crash(self, role: str) -> None:
        """Host ``role`` dies: its processes are killed, then it leaves the network, link and namespace.

        Killed first, so that their connections close as they die and the
        scheduler learns of the loss at once, as from a machine that crashed
        (a cable pulled would be seen only after dask's heartbeat timeouts).
        """
        host = self.hosts[role]
        self._kill(host)
        with contextlib.suppress(NoNetwork):
            _ip("link", "del", host.link)
        with contextlib.suppress(NoNetwork):
            _ip("netns", "del", host.namespace)

    def close(self) -> None:
        """Kill every process of every host; delete the namespaces and the bridge. Never raises."""
        for host in self.hosts.values():
            with contextlib.suppress(*_CLEANUP_ERRORS):
                self._kill(host)
        for process in self.started:  # ours, already killed with their host: reap them
            with contextlib.suppress(*_CLEANUP_ERRORS):
                process.wait(timeout=10)
        for host in self.hosts.values():
            with contextlib.suppress(*_CLEANUP_ERRORS):
                _ip("netns", "del", host.namespace)
        with contextlib.suppress(*_CLEANUP_ERRORS):
            _ip("link", "del", self.bridge)

    def _kill(self, host: Host) -> None:
        if host.namespace not in _namespaces():
            return
        pids = {int(pid) for pid in _ip("netns", "pids", host.namespace).split()}
        self.seen |= pids
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in self.started:
            if process.pid in pids:
                process.wait(timeout=10)
        _wait_for(lambda: not any(is_running(pid) for pid in pids), f"the processes of {host.namespace}")

    def leftovers(self) -> list[str]:
        """What of this test is still there: namespaces, links, processes; [] when all is gone.

        The kernel removes a namespace's veth pair as it dismantles the
        namespace, a moment after ``ip netns del``: links are given that long.
        """
        with contextlib.suppress(AssertionError):
            _wait_for(lambda: not self._links(), "the test's links")
        return (
            [f"namespace {name}" for name in _namespaces() if name.startswith(self.prefix)]
            + [f"link {name}" for name in self._links()]
            + [f"process {pid}" for pid in sorted(self.seen) if is_running(pid)]
        )

    def _links(self) -> list[str]:
        names = re.findall(r"^\d+: ([^:@\s]+)", _ip("-o", "link"), re.MULTILINE)
        return [name for name in names if name.startswith(self.tag)]


def _namespaces() -> list[str]:
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def _free_subnet() -> str:
    """``10.213.N``, a /24 no address or route here uses (N from this pid, so parallel runs differ)."""
    used = set(re.findall(r"\b10\.213\.(\d+)\.", _ip("-o", "-4", "addr") + _ip("-4", "route")))
    for k in range(254):
        n = (os.getpid() + k) % 254 + 1
        if str(n) not in used:
            return f"10.213.{n}"
    raise NoNetwork("every subnet 10.213.N.0/24 is in use here")


def _wait_for(ready: Callable[[], bool], what: str, timeout_s: float = STEP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, f"{what}: still not done after {timeout_s:g} s"
        time.sleep(0.05)


@contextlib.contextmanager
def cluster_on_hosts(tmp_path: Path) -> Iterator[tuple[Hosts, str]]:
    """A Dask scheduler on host ``s``, a one-thread Dask worker on each of ``w1``, ``w2``; its address.

    Skips the test, saying why, where the hosts cannot be made.
    """
    reason = why_no_hosts()
    if reason:
        pytest.skip(reason)
    dask = str(Path(sys.executable).with_name("dask"))
    with contextlib.ExitStack() as stack:
        try:
            hosts = stack.enter_context(Hosts(("s", "w1", "w2"), tmp_path))
        except NoNetwork as error:
            pytest.skip(f"cannot make network namespaces here: {error}")
        scheduler = hosts.hosts["s"].address
        address = f"tcp://{scheduler}:{SCHEDULER_PORT}"
        # As the embedded cluster does: a task whose worker dies fails at once, not retried on
        # the other host, so that the host lost shows as this point crashed, not as a slower sample.
        hosts.start(
            "s",
            [dask, "scheduler", "--host", scheduler, "--port", str(SCHEDULER_PORT), "--no-dashboard"],
            env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"},
        )
        _wait_for(lambda: _listening(scheduler, SCHEDULER_PORT, hosts), f"the scheduler at {address}")
        for role in ("w1", "w2"):
            where = hosts.hosts[role].address
            options = ["--host", where, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
            hosts.start(role, [dask, "worker", address, *options, "--local-directory", str(tmp_path / role)])
        from distributed import Client

        with Client(address, timeout=STEP_TIMEOUT_S, set_as_default=False) as client:
            try:
                client.wait_for_workers(2, timeout=STEP_TIMEOUT_S)
            except TimeoutError:
                raise AssertionError(f"w1:\n{hosts.log('w1')}\nw2:\n{hosts.log('w2')}") from None
        yield hosts, address


def _listening(host: str, port: int, hosts: Hosts) -> bool:
    assert hosts.started[0].poll() is None, hosts.log("s")
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class CrashWhenBusy(threading.Thread):
    """Crashes the first worker host seen running a task of the cluster at ``address``."""

    def __init__(self, hosts: Hosts, address: str) -> None:
        super().__init__(daemon=True)
        self.hosts, self.address = hosts, address
        self.crashed = ""  # the role crashed
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            from distributed import Client

            with Client(self.address, timeout=STEP_TIMEOUT_S, set_as_default=False) as client:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    busy = [where for where, keys in client.processing().items() if keys]
                    if busy:
                        self.crashed = self.hosts.role_of(busy[0])
                        self.hosts.crash(self.crashed)
                        return
                    time.sleep(0.05)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self.failure = error


def _hosts_of(measurement: threadlab.Measurement) -> list[set[str]]:
    """Per sample, the hosts its tasks ran on, from the worker labels."""
    return [{label_parts(label)[2] for label in sample.spans.workers} for sample in measurement.samples]


@pytest.mark.timeout(120)
def test_a_point_runs_on_two_hosts_and_a_host_lost_mid_point_crashes_only_that_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with cluster_on_hosts(tmp_path) as (hosts, address):
        w1, w2 = hosts.hosts["w1"].address, hosts.hosts["w2"].address
        out = tmp_path / "results.json"

        # A point over --scheduler: its tasks run on both hosts, each named by its address.
        code, _, err = threadlab_cli(
            capsys,
            *("run", "-w", "sleep", "-s", "dask", "-n", "2", "--tasks", "6", "-p", "duration=0.05"),
            *("--repeat", "2", "--warmup", "0", "--max-time", "0.1", "--timeout", "60"),
            *("--scheduler", address, "--out", str(out), "-q"),
        )

        assert code == 0, err
        (measurement,) = load_result(out).measurements
        assert measurement.status == "ok", measurement.errors
        assert measurement.point.strategy_params["scheduler"] == address
        assert len(measurement.samples) == 2
        assert _hosts_of(measurement) == [{w1, w2}, {w1, w2}]
        for sample in measurement.samples:
            for label in sample.spans.workers:
                assert re.fullmatch(rf"\d+:\S+@({re.escape(w1)}|{re.escape(w2)})", label), label

        # A host crashes while a point runs on it: that point is crashed, the next one runs.
        crasher = CrashWhenBusy(hosts, address)
        crasher.start()
        result = threadlab.run(
            "sleep",
            "dask",
            1,
            tasks=4,
            params={"duration": [1.0, 0.05]},  # two points, measured one after the other
            repeat=2,
            warmup=0,
            max_time=0.1,
            timeout=60,
            scheduler=address,
        )
        crasher.join(timeout=10)

        assert crasher.failure is None, crasher.failure
        assert crasher.crashed in ("w1", "w2")
        lost = hosts.hosts[crasher.crashed].address
        (survivor,) = {w1, w2} - {lost}
        crashed, following = result.measurements
        assert crashed.point.params["duration"] == 1.0
        assert crashed.status == "crashed"
        (error,) = crashed.errors
        assert error.kind == "crashed"
        assert re.fullmatch(
            rf"WorkerLost: the Dask worker tcp://{re.escape(lost)}:\d+ died while running task \d+",
            error.message,
        ), error.message
        assert following.status == "ok", following.errors
        assert _hosts_of(following) == [{survivor}, {survivor}]
        assert not result.interrupted
        assert hosts.hosts[crasher.crashed].namespace not in _namespaces()  # that host is gone for good

    assert hosts.leftovers() == []


def test_labels_of_workers_on_other_machines_carry_their_host() -> None:
    assert on_host("41:Dask-Default-Threads-41-0", "10.0.0.7") == "41:Dask-Default-Threads-41-0@10.0.0.7"
    assert label_parts("41:Dask-Default-Threads-41-0@10.0.0.7") == (
        "41",
        "Dask-Default-Threads-41-0",
        "10.0.0.7",
    )
    assert label_parts("41:MainThread") == ("41", "MainThread", "")
    assert label_parts("41:slot-2@::1") == ("41", "slot-2", "::1")


@pytest.mark.parametrize(
    ("labels", "rows"),
    [
        (["41:threadlab-0", "41:threadlab-1"], ["0", "1"]),
        (["41:MainThread", "52:MainThread"], ["pid 41", "pid 52"]),
        # The same pid on two machines is two processes.
        (["41:Dask-1@10.0.0.7", "41:Dask-1@10.0.0.8"], ["pid 41@10.0.0.7", "pid 41@10.0.0.8"]),
        (
            ["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.8"],
            ["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.8"],
        ),
        # A host shared by all tells nothing apart: it is left out, as a shared pid is.
        (["41:Dask-41-0@10.0.0.7", "52:Dask-52-0@10.0.0.7"], ["41:Dask-41-0", "52:Dask-52-0"]),
        (["41:Dask-41-0@10.0.0.7", "41:Dask-41-1@10.0.0.7"], ["Dask-41-0", "Dask-41-1"]),
    ],
    ids=[
        "one-process",
        "one-thread-name",
        "same-pid-two-hosts",
        "two-hosts",
        "one-host",
        "one-remote-process",
    ],
)
def test_timeline_rows_tell_workers_apart_across_hosts(labels: list[str], rows: list[str]) -> None:
    assert _row_names(labels) == rows
