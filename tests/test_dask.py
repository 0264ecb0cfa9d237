"""The ``dask`` strategy on a real cluster, and the faults it must survive.

A Dask scheduler and two Dask workers are started on loopback with the
``dask`` command of this Python's environment, for the module; a small sweep
runs on them through ``--scheduler``, and they are stopped at the end. The
embedded LocalCluster is measured by the shared behaviour suite
(``strategy_suite.py``, run by ``test_strategies.py``); here it is made to lose a worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import is_running, measure, needs_proc, one_point, session_members, target
from strategy_suite import EPSILON_S, most_at_once
from threadlab import load_result

pytestmark = pytest.mark.timeout(60)

needs_dask = pytest.mark.skipif(
    threadlab.strategy("dask").unavailable_reason() is not None,
    reason=f"dask cannot run here: {threadlab.strategy('dask').unavailable_reason()}",
)

INSTALL_HINT = "pip install 'threadlab[dask]'"
USER_FUNCTION_HINT = (
    "a user function must be importable on the Dask scheduler and every Dask worker: install its "
    "module there, or start them with its directory on PYTHONPATH"
)


@dataclass(frozen=True)
class Cluster:
    address: str
    pids: tuple[int, ...]


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """`dask scheduler` on a free loopback port and two one-thread `dask worker` processes."""
    where = tmp_path_factory.mktemp("dask-cluster")
    dask = str(Path(sys.executable).with_name("dask"))
    started: list[subprocess.Popen[bytes]] = []
    try:
        file = where / "scheduler.json"
        scheduler = ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file"]
        started.append(_start([dask, *scheduler, str(file)], where / "scheduler.log"))
        deadline = time.monotonic() + 30
        address = ""
        while not address:  # the scheduler writes its address once it listens
            assert time.monotonic() < deadline, (where / "scheduler.log").read_text()
            assert started[0].poll() is None, (where / "scheduler.log").read_text()
            time.sleep(0.05)
            with contextlib.suppress(OSError, ValueError, KeyError):
                address = json.loads(file.read_text())["address"]
        worker = [
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-nanny",
            "--no-dashboard",
            "--local-directory",
        ]
        for k in range(2):
            log = where / f"worker-{k}.log"
            started.append(_start([dask, "worker", address, *worker, str(where / f"worker-{k}")], log))
        from distributed import Client

        with Client(address, timeout=10, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=30)
        yield Cluster(address, tuple(process.pid for process in started))
    finally:
        for process in started:
            _stop(process)


def refused_port() -> int:
    """A loopback port nothing listens on (just released by this process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@needs_dask
def test_a_sweep_runs_on_a_running_cluster_and_leaves_it_running(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"

    code, _, err = threadlab_cli(
        capsys,
        *("run", "-w", "sleep", "-s", "dask", "-n", "1,2", "--tasks", "4", "--repeat", "2", "--warmup", "0"),
        "--max-time",
        "0.1",
        *("-p", "duration=0.1", "--scheduler", cluster.address, "--out", str(out), "-q"),
    )

    assert code == 0, err
    result = load_result(out)
    assert [m.point.workers for m in result.measurements] == [1, 2]
    # One group, out of time at once: exactly the two rounds asked for.
    assert [(r.points, r.rounds) for r in result.rounds] == [((0, 1), 2)]
    for measurement in result.measurements:
        assert measurement.status == "ok", measurement.errors
        assert measurement.point.strategy_params == {
            "inner_threads": 0,
            "threads_per_worker": 1,
            "scheduler": cluster.address,
            "start": "warm",
            "chunksize": "auto",
        }
        assert measurement.shares_one_gil is False  # recorded, for the analysis: each Dask worker's own GIL
        for sample in measurement.samples:
            assert (sample.tasks_ok, sample.tasks_failed) == (4, 0)
            # The work ran in processes threadlab does not own: absent, not zero.
            assert (sample.cpu_user_s, sample.cpu_sys_s, sample.max_rss_bytes) == (None, None, None)
            assert (sample.ctx_voluntary, sample.ctx_involuntary) == (None, None)
            assert sample.spawn_s is not None and 0 < sample.spawn_s < sample.wall_s
            # W of the cluster's two workers ran the tasks, one at a time each, named by host.
            assert len(sample.spans.workers) == measurement.point.workers
            assert all(re.fullmatch(r"\d+:\S+@127\.0\.0\.1", label) for label in sample.spans.workers)
            assert most_at_once(sample.spans) == measurement.point.workers
            for start, end in zip(sample.spans.start_s, sample.spans.end_s, strict=True):
                assert 0 <= start <= end <= sample.wall_s + EPSILON_S
            assert min(sample.spans.durations()) >= 0.1 - EPSILON_S
            assert all(cpu is not None and cpu >= 0 for cpu in sample.spans.cpu_s)
    assert [pid for pid in cluster.pids if not is_running(pid)] == []


@needs_dask
def test_a_user_function_the_cluster_cannot_import_is_refused_in_one_line(cluster: Cluster) -> None:
    point = one_point(target("user_tasks", "record_call"), "dask", 2, scheduler=cluster.address)

    measurement = measure(point)

    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert error.kind == "refused"
    assert error.message == (
        f"the Dask scheduler at {cluster.address} cannot load the task (ModuleNotFoundError: No module "
        f"named 'user_tasks'); {USER_FUNCTION_HINT}"
    )


@needs_dask
def test_workers_with_other_thread_counts_are_refused_in_one_line(cluster: Cluster) -> None:
    point = one_point("sleep", "dask", 2, duration=0.01, threads_per_worker=2, scheduler=cluster.address)

    measurement = measure(point)

    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert (error.kind, error.message) == (
        "refused",
        f"the Dask cluster at {cluster.address} has 0 worker(s) with 2 thread(s) each (its workers run 1); "
        f"this point needs 2: start workers with `dask worker {cluster.address} --nthreads 2`, "
        "or set the parameter threads_per_worker=1",
    )


@pytest.mark.parametrize("given", ["--scheduler", "THREADLAB_DASK_SCHEDULER"])
def test_an_unreachable_scheduler_is_refused_before_any_work_in_one_line(
    given: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = f"tcp://127.0.0.1:{refused_port()}"
    args = ["run", "-w", "sleep", "-s", "dask", "-q"]
    if given == "--scheduler":
        args += ["--scheduler", address]
    else:
        monkeypatch.setenv(given, address)

    code, out, err = threadlab_cli(capsys, *args)

    assert (code, out) == (2, "")
    assert err == (
        f"threadlab: error: {given}: cannot reach a Dask scheduler at {address} within 3 s "
        "(Connection refused); start one with `dask scheduler`, or check the address\n"
    )


@needs_dask
def test_a_scheduler_that_never_answers_fails_the_point_in_one_line_at_its_connect_timeout() -> None:
    # "no answer" is the connect timeout firing; were it not, the point would hang into this
    # test's own timeout. How long the refusal takes is benchmarks/bench_dask.py's to measure.
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        point = one_point("sleep", "dask", 1, duration=0.01, scheduler=address)

        measurement = measure(point)

    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert (error.kind, error.message) == (
        "refused",
        f"cannot reach a Dask scheduler at {address} within 5 s (no answer); start one with "
        "`dask scheduler`, or check the address",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-s", "threads", "--scheduler", "tcp://127.0.0.1:8786"],
            "--scheduler: 'tcp://127.0.0.1:8786' is for the dask strategy, which is not among the strategies",
        ),
        (
            ["-s", "dask", "--scheduler", "8786"],
            "--scheduler: '8786' is not a Dask scheduler address; expected tcp://HOST:PORT, "
            "like tcp://10.0.0.5:8786",
        ),
    ],
    ids=["without-dask", "not-an-address"],
)
def test_a_bad_scheduler_option_is_refused_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", *args)

    assert (code, out, err) == (2, "", f"threadlab: error: {message}\n")


@needs_dask
@needs_proc
@pytest.mark.parametrize(
    ("function", "repeat", "warmup", "message"),
    [
        # The worker dies during the point's only sample.
        ("exit_dask_worker", 1, 0, r"died while running task 0"),
        # It dies soon after its tasks: the warm cluster finds it gone before a later sample.
        (
            "exit_dask_worker_soon",
            4,
            1,
            r"(left the cluster between samples \(.*\)|died while running task 0)",
        ),
    ],
    ids=["during-a-sample", "between-samples"],
)
def test_a_dask_worker_that_dies_fails_the_point_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str, repeat: int, warmup: int, message: str
) -> None:
    pids = tmp_path / "pids"
    monkeypatch.setenv("THREADLAB_TEST_PIDS", str(pids))

    result = threadlab.run(
        [target("dask_tasks", function), "sleep"],
        "dask",
        1,
        params={"duration": 0.01},
        repeat=repeat,
        warmup=warmup,
        max_time=0.1,
        timeout=60,
    )

    failed, following = result.measurements
    assert failed.status == "crashed"
    (error,) = failed.errors
    assert error.kind == "crashed"
    assert re.fullmatch(r"WorkerLost: the Dask worker tcp://127\.0\.0\.1:\d+ " + message, error.message), (
        error.message
    )
    assert following.status == "ok"
    assert not result.interrupted
    # The Dask worker that died, and the threadlab worker that ran its cluster: none left running.
    recorded = {int(pid) for line in pids.read_text().splitlines() for pid in line.split()}
    assert len(recorded) == 2 if function == "exit_dask_worker" else recorded
    assert [pid for pid in recorded if is_running(pid)] == []
    assert [member for pid in recorded for member in session_members(pid)] == []


def test_without_dask_the_strategy_is_unavailable_with_the_install_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # what find_spec reports for a missing module
    monkeypatch.delenv("THREADLAB_DASK_SCHEDULER", raising=False)
    reason = f"needs dask.distributed, which is not installed in this Python; {INSTALL_HINT}"

    assert threadlab.strategy("dask").unavailable_reason() == reason
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", "-s", "dask")
    assert (code, out) == (2, "")
    assert err == f"threadlab: error: --strategy: 'dask' cannot run here: {reason}\n"


def test_listing_the_dask_strategy_imports_no_dask() -> None:
    code = (
        "import sys\n"
        "import threadlab\n"
        "from threadlab.worker import strategies as own\n"
        "assert 'dask' in threadlab.strategy_names() and 'dask' not in own.names()\n"
        "threadlab.strategy('dask').unavailable_reason()\n"
        "loaded = [m for m, module in sys.modules.items() if module is not None]\n"
        "print(sorted(m for m in loaded if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=True
    )
    assert finished.stdout == "[]\n"


def test_the_analysis_reads_whether_dask_workers_share_a_gil_from_the_data() -> None:
    from threadlab.analysis._classify import own_gil
    from threadlab.model import Measurement, Point

    point = Point("sleep", "dask", 2, 2)
    # Recorded by the runner (the orchestrator's registry knows dask): each Dask worker has its own GIL.
    assert own_gil(Measurement(point, "ok", shares_one_gil=threadlab.strategy("dask").shares_one_gil)) is True
    # A file written before it was recorded: the worker's registry knows only its own strategies.
    assert own_gil(Measurement(point, "ok")) is None
    assert own_gil(Measurement(Point("sleep", "processes", 2, 2), "ok")) is True
    assert own_gil(Measurement(Point("sleep", "threads", 2, 2), "ok")) is False


def test_spans_from_another_machines_clock_are_moved_onto_ours_and_named_by_host() -> None:
    from threadlab.scaleout.dask_cluster import _on_our_clock
    from threadlab.worker.strategies import TaskRecord

    # That worker's clock reads 1000 s ahead of ours; this sample ran from 10 s to 20 s on ours.
    offset, earliest, latest = 1_000 * 10**9, 10 * 10**9, 20 * 10**9
    record = TaskRecord(3, 1_012 * 10**9, 1_013 * 10**9, 5, "41:Dask-Default-Threads-41-0", None)

    moved = _on_our_clock(record, offset, earliest, latest, "tcp://10.0.0.7:40331")

    assert moved == record._replace(
        start_ns=12 * 10**9, end_ns=13 * 10**9, worker="41:Dask-Default-Threads-41-0@10.0.0.7"
    )
    # The offset is known to half a round trip: a span it would put outside the sample stays inside.
    early = _on_our_clock(record._replace(start_ns=1_009 * 10**9), offset, earliest, latest, "tcp://h:1")
    assert (early.start_ns, early.end_ns) == (earliest, 13 * 10**9)
    # Same clock, embedded cluster: nothing moves, the label stays "pid:thread".
    assert _on_our_clock(record, 0, earliest, latest, "") == record
