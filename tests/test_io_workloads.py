"""The real I/O workloads — ``http``, ``file-io``, ``mixed`` — and the figures they made visible.

``http`` runs against its real local server on every strategy that runs it,
each point checked for complete responses and for a server that is gone
afterwards (no process left, port closed), also when the point is killed.
Then: the bandwidth cap, file-io's directory removed even on failure, the
convoy effect in ``mixed``, the waiting share, per-task percentiles, and bad
parameters refused in one line by the CLI.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import threadlab
from conftest import is_running, measure, needs_proc, one_point
from strategy_suite import available
from threadlab.analysis import percentile
from threadlab.analysis import summary as summarised
from threadlab.cli import main
from threadlab.model import (
    Environment,
    Interpreter,
    Measurement,
    Point,
    Result,
    Sample,
    Spec,
    TaskSpans,
)
from threadlab.orchestrate._runner import worker_env
from threadlab.orchestrate._store import load_result, save_result
from threadlab.render._tasks import task_tables
from threadlab.worker.workloads import file_io, http
from threadlab.worker.workloads._http_server import connection_limit

pytestmark = pytest.mark.timeout(60)

SERVER_MODULE = "threadlab.worker.workloads._http_server"


def http_strategies() -> list[str]:
    """The strategies the ``http`` workload has a form for."""
    modes = http.WORKLOAD.modes()
    return [name for name in threadlab.strategy_names() if threadlab.strategy(name).mode in (*modes, "any")]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (the OS's pick, released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def servers_on(port: int) -> list[int]:
    """Pids of running http servers of this workload configured for ``port``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = SERVER_MODULE.encode() in argv and any(f'"port": {port},'.encode() in arg for arg in argv)
        if ours and is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


# http against the real server, on every strategy that runs it


@pytest.mark.parametrize("strategy", http_strategies(), ids=str)
@needs_proc
def test_http_downloads_complete_and_the_server_is_gone_after(strategy: str) -> None:
    port = free_port()
    point = one_point("http", available(strategy), 4, tasks=8, latency=0.05, kb=4.0, port=port)

    measurement = measure(point, repeat=1, warmup=1)

    assert measurement.status == "ok", measurement.errors
    for sample in (*measurement.warmups, *measurement.samples):
        assert (sample.tasks_ok, sample.tasks_failed) == (8, 0)
        assert min(sample.spans.durations()) >= 0.05
        # The whole request is the task's declared I/O wait.
        assert all(w is not None and w >= 0.05 for w in sample.spans.io_waits())
    assert servers_on(port) == []
    assert port_is_closed(port)


@needs_proc
def test_the_server_dies_with_a_point_killed_at_its_timeout() -> None:
    port = free_port()
    point = one_point("http", "threads", 2, latency=30.0, port=port)

    measurement = measure(point, timeout_s=2.0)

    assert measurement.status == "timeout"
    assert servers_on(port) == []
    assert port_is_closed(port)


@needs_proc
def test_the_server_stops_when_its_worker_dies_without_stopping_it() -> None:
    # Killed alone (not its process group): the server sees its stdin close and exits.
    code = textwrap.dedent(
        """
        import os
        from threadlab.worker.workloads._http_server import ServerProcess
        server = ServerProcess({"port": 0, "latency": 0, "size": 10, "bandwidth": 0, "connections": 10})
        print(server.process.pid, server.port, flush=True)
        os._exit(0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=worker_env(), timeout=20, check=True
    )
    pid, port = map(int, done.stdout.split())

    for _ in range(100):
        if not is_running(pid):
            break
        time.sleep(0.05)
    assert not is_running(pid)
    assert port_is_closed(port)


def test_a_port_in_use_fails_the_point_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(SystemExit) as exited:
            main(["run", "-w", "http", "-s", "threads", "-n", "2", "-p", f"port={port}", "--max-time", "0.1"])

    out, _ = capsys.readouterr()
    assert exited.value.code == 1
    assert (
        f"http · threads ×2: refused: the http server could not start: "
        f"cannot listen on 127.0.0.1:{port}: Address already in use"
    ) in out.splitlines()


def test_a_bandwidth_cap_is_shared_by_all_connections() -> None:
    # 10 responses of 20 KB at 400 KB/s in all: 0.5 s, however many threads download at once.
    walls = {}
    for strategy, workers in (("sequential", 1), ("threads", 10)):
        point = one_point("http", strategy, workers, tasks=10, latency=0.0, kb=20.0, bandwidth=400.0)
        measurement = measure(point, repeat=2)
        assert measurement.status == "ok", measurement.errors
        walls[strategy] = statistics.median(s.wall_s for s in measurement.samples)

    # A cap of its own per connection would let the ten threads finish in 0.05 s: the lower
    # bound proves the sharing, and a busy machine only makes a wall longer. How close the
    # wall comes to the cap's figure is benchmarks/bench_http.py's part 3 (within 10%).
    for wall in walls.values():
        assert wall >= 0.45


def test_aiohttp_is_used_on_asyncio_where_installed() -> None:
    # aiohttp and gilknocker come with the test extra: these tests run, never skip.
    point = one_point("http", available("asyncio"), 4, latency=0.02, kb=4.0, client="aiohttp")

    measurement = measure(point)

    assert measurement.status == "ok", measurement.errors
    assert point.params["client"] == "aiohttp"


# file-io: its directory never outlives the point


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the runner makes each point's private TMPDIR, for this test only."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("strategy", ["sequential", "threads", "processes"], ids=str)
def test_file_io_checks_its_files_and_leaves_nothing(strategy: str, private_tmp: Path) -> None:
    point = one_point("file-io", available(strategy), 2, tasks=4, mb=1.0, fsync=True)

    measurement = measure(point, repeat=1, warmup=1)

    assert measurement.status == "ok", measurement.errors
    (sample,) = measurement.samples
    assert sample.tasks_ok == 4
    assert all(w is not None and w > 0 for w in sample.spans.io_waits())
    assert list(private_tmp.iterdir()) == []


def test_file_io_leaves_nothing_when_its_point_is_killed(private_tmp: Path) -> None:
    point = one_point("file-io", "sequential", 1, tasks=1000, mb=8.0, fsync=True)

    measurement = measure(point, timeout_s=1.0)

    assert measurement.status == "timeout"
    assert list(private_tmp.iterdir()) == []


def test_the_file_io_session_removes_its_directory_when_a_sample_fails(tmp_path: Path) -> None:
    params = {"mb": 1.0, "fsync": False}

    with pytest.raises(RuntimeError, match=r"^a sample failed$"), file_io.WORKLOAD.session(params) as live:
        directory = Path(str(live["_dir"]))
        (directory / "task-0.bin").write_bytes(b"x")
        raise RuntimeError("a sample failed")

    assert not directory.exists()


# mixed: the convoy effect


def test_mixed_records_each_io_wait_alone_and_behind_cpu_bound_neighbours() -> None:
    # The convoy itself (the p99 wait growing behind neighbours that hold the GIL) is a ratio of
    # two live timings, which a busy machine moves: benchmarks/bench_classify.py measures it.
    params = {"io": 0.02, "iterations": 10**5, "rounds": 10}
    alone = measure(one_point("mixed", "threads", 1, **params))
    crowded = measure(one_point("mixed", "threads", 4, **params))

    for measurement in (alone, crowded):
        assert measurement.status == "ok", measurement.errors
        (sample,) = measurement.samples
        waits = sample.spans.io_waits()
        # Each task waited, in all, never less than the I/O it was asked for.
        assert len(waits) == sample.tasks_ok == measurement.point.tasks
        assert all(wait is not None and wait >= 0.02 for wait in waits)
        summary = summarised(measurement)
        assert summary is not None and summary.io_p50_s is not None and summary.io_p99_s is not None
        assert 0.02 <= summary.io_p50_s <= summary.io_p99_s


# the waiting share


def test_sleeping_threads_barely_wait_for_anything_but_their_sleep() -> None:
    summary = summarised(measure(one_point("sleep", "threads", 4, duration=0.05)))
    assert summary is not None and summary.waiting_share is not None
    assert summary.waiting_share < 0.1


def test_counting_threads_wait_for_the_gil() -> None:
    summary = summarised(measure(one_point("count", "threads", 2, iterations=2 * 10**6), repeat=2))
    assert summary is not None and summary.waiting_share is not None
    assert summary.waiting_share > 0.3
    assert summary.thread_on_cpu_max is not None and summary.thread_on_cpu_max < 0.7


def test_the_waiting_share_is_absent_on_the_event_loop() -> None:
    summary = summarised(measure(one_point("sleep", "asyncio", 2, duration=0.01)))
    assert summary is not None
    assert summary.waiting_share is None
    assert summary.latency_p50_s is not None


def test_gilknocker_measures_contention_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADLAB_GILKNOCKER", "1")
    threads = summarised(measure(one_point("count", "threads", 2, iterations=2 * 10**6)))
    processes = summarised(measure(one_point("count", available("processes"), 2, iterations=10**5)))

    assert threads is not None and threads.gil_contention is not None
    assert 0 < threads.gil_contention <= 1
    assert processes is not None and processes.gil_contention is None


def test_gilknocker_stays_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THREADLAB_GILKNOCKER", raising=False)
    summary = summarised(measure(one_point("count", "threads", 2, iterations=10**5)))
    assert summary is not None and summary.gil_contention is None


# the figures, computed from spans (no processes)


def spans(durations: list[float], cpu: list[float | None], io: list[float | None] | None = None) -> TaskSpans:
    return TaskSpans(
        start_s=(0.0,) * len(durations),
        end_s=tuple(durations),
        cpu_s=tuple(cpu),
        worker=tuple(i % 2 for i in range(len(durations))),
        ok=(True,) * len(durations),
        workers=("1:a", "1:b"),
        io_s=() if io is None else tuple(io),
    )


def test_the_waiting_share_follows_its_definition() -> None:
    # wall 1.0 each; waiting = max(0, wall - cpu - io) = 0.5, 0.0 (clamped), 0.25, 0.0.
    found = spans([1.0, 1.0, 1.0, 1.0], [0.5, 0.6, 0.25, None], [None, 0.6, 0.5, 0.0])

    assert found.waiting_share() == pytest.approx((0.5 + 0.0 + 0.25) / 3.0)
    assert found.per_worker() == {"1:a": (2.0, 0.75), "1:b": (1.0, 0.6)}
    assert spans([1.0], [None]).waiting_share() is None


def test_percentiles_interpolate_between_order_statistics() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0], 50) == pytest.approx(1.5)
    assert percentile([1.0, 2.0], 99) == pytest.approx(1.99)
    assert percentile(list(map(float, range(101))), 99) == pytest.approx(99.0)


def test_io_waits_must_cover_every_task_or_none() -> None:
    with pytest.raises(ValueError, match=r"^spans\.io_s has 1 entries, spans\.start_s has 2$"):
        spans([1.0, 1.0], [None, None], [0.5])


# the terminal view

ENVIRONMENT = Environment(
    "3.11.7", "/usr/bin/python3", False, True, 2, "Linux", "0.1.0", "2025-01-01T00:00:00+00:00"
)


def measured(
    strategy: str, workers: int, durations: list[float], cpu: list[float | None], io: bool
) -> Measurement:
    point = Point("mixed", strategy, workers, len(durations), params={"io": 0.05}, python="/usr/bin/python3")
    found = TaskSpans(
        start_s=(0.0,) * len(durations),
        end_s=tuple(durations),
        cpu_s=tuple(cpu),
        worker=tuple(i % workers for i in range(len(durations))),
        ok=(True,) * len(durations),
        workers=tuple(f"1:t{k}" for k in range(workers)),
        io_s=tuple(d / 2 for d in durations) if io else (),
    )
    sample = Sample(wall_s=max(durations), tasks_ok=len(durations), spans=found)
    return Measurement(point, "ok", Interpreter("/usr/bin/python3", "3.11.7"), samples=(sample,))


def test_the_task_table_shows_percentiles_io_and_waiting() -> None:
    result = Result(
        spec=Spec(("mixed",), ("sequential", "threads"), (1, 2)),
        environment=ENVIRONMENT,
        measurements=(
            measured("sequential", 1, [0.1, 0.1], [0.05, 0.05], io=True),
            measured("threads", 2, [0.1, 0.3], [0.02, 0.04], io=True),
        ),
    )
    console = Console(file=io.StringIO(), width=120, no_color=True, record=True, force_terminal=False)
    for renderable in task_tables(result):
        console.print(renderable)

    expected = [
        "Tasks of mixed: latency, I/O wait, time on CPU",
        "",
        "  point                     latency p50        p99   I/O wait p50        p99   on CPU   waiting",
        " " + "─" * 95,
        "  sequential ×1 (2 tasks)      100.0 ms   100.0 ms        50.0 ms    50.0 ms      50%      0.00",
        "  threads ×2                   200.0 ms   298.0 ms       100.0 ms   149.0 ms   13–20%      0.35",
        "",
        "waiting: share of task time off-CPU outside the I/O waits tasks declared (for CPU-bound threads "
        "under the GIL, mostly",
        "waiting for it); on CPU: lowest–highest share per worker thread",
        "",
    ]
    assert [line.rstrip() for line in console.export_text().splitlines()] == expected


def test_task_figures_survive_the_results_file(tmp_path: Path) -> None:
    result = Result(
        spec=Spec(("mixed",), ("threads",), (2,)),
        environment=ENVIRONMENT,
        measurements=(measured("threads", 2, [0.1, 0.3], [0.02, 0.04], io=True),),
    )
    save_result(result, tmp_path / "results.json", summaries=[summarised(m) for m in result.measurements])
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))

    assert load_result(tmp_path / "results.json") == result
    (point,) = data["points"]
    assert point["samples"][0]["spans"]["io_s"] == [0.05, 0.15]
    summary = point["summary"]
    assert summary["latency_p50_s"] == pytest.approx(0.2)
    assert summary["io_p99_s"] == pytest.approx(0.149)
    assert summary["waiting_share"] == pytest.approx((0.03 + 0.11) / 0.4)


# bad parameters: one line, before any work

LIMIT = connection_limit()
BAD_PARAMS = [
    (
        ["-w", "http", "-p", "latency=-1"],
        "--param: latency='-1' is not accepted; expected a number from 0 to 3600 "
        "(seconds the server waits before it answers)",
    ),
    (
        ["-w", "http", "-p", "kb=0"],
        "--param: kb='0' is not accepted; expected a number above 0, at most 1048576 "
        "(kilobytes in each response)",
    ),
    (
        ["-w", "http", "-p", f"connections={LIMIT + 1}"],
        f"--param: connections='{LIMIT + 1}' is not accepted; expected a whole number from 1 to {LIMIT} "
        f"(connections the server serves at once; the others wait their turn)",
    ),
    (
        ["-w", "http", "-p", "port=70000"],
        "--param: port='70000' is not accepted; expected a whole number from 0 to 65535 "
        "(server port on 127.0.0.1; 0 for a free one the OS picks)",
    ),
    (
        ["-w", "file-io", "-p", "mb=0"],
        "--param: mb='0' is not accepted; expected a number above 0, at most 4096 "
        "(megabytes each task writes and reads)",
    ),
    (
        ["-w", "mixed", "-p", "io=-0.5"],
        "--param: io='-0.5' is not accepted; expected a number from 0 to 3600 "
        "(seconds each task waits in all)",
    ),
    (
        ["-w", "file-io", "-s", "asyncio"],
        "--strategy: workload 'file-io' cannot run on 'asyncio': its task is a blocking function, which "
        "would stall the event loop; asyncio runs async workloads (http, mixed, sleep)",
    ),
]


@contextlib.contextmanager
def no_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    attempted: list[object] = []

    def refuse(command: object, *args: object, **options: object) -> None:
        attempted.append(command)
        raise AssertionError(f"a process was started: {command}")

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "Popen", refuse)
        yield attempted


@pytest.mark.parametrize(("args", "message"), BAD_PARAMS, ids=[" ".join(a) for a, _ in BAD_PARAMS])
def test_bad_parameters_are_refused_in_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with no_processes(monkeypatch) as attempted, pytest.raises(SystemExit) as exited:
        main(["run", *args])

    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    assert err == f"threadlab: error: {message}\n"
    assert attempted == []
