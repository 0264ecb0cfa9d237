"""The worker's end of the protocol, spoken to directly: ``python -m threadlab.worker``.

One JSON request on stdin; JSON lines on stdout: hello, samples, an optional
failed, then done. And the runner's end, facing a worker that breaks it.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import measure, one_point, target
from threadlab._model import Point
from threadlab._serialize import sample_from_json
from threadlab.orchestrate._runner import worker_env
from threadlab.worker._protocol import PROTOCOL_VERSION

pytestmark = pytest.mark.timeout(30)


def request(**changes: Any) -> dict[str, Any]:
    """A valid request, as the runner sends it, with ``changes`` applied."""
    base: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "workload": "sleep",
        "strategy": "threads",
        "workers": 2,
        "tasks": 3,
        "params": {"duration": 0.01},
        "strategy_params": {},
        "repeat": 2,
        "warmup": 1,
    }
    base.update(changes)
    return base


def talk(message: dict[str, Any] | str) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """Send one request to a fresh worker; return its events and the finished process."""
    text = message if isinstance(message, str) else json.dumps(message)
    finished = subprocess.run(
        [sys.executable, "-m", "threadlab.worker"],
        input=text,
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=20,
        check=False,
    )
    # Every line on stdout must be an event: nothing else may reach it.
    events = [json.loads(line) for line in finished.stdout.splitlines()]
    return events, finished


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["event"] for event in events]


def test_hello_then_each_sample_then_done() -> None:
    events, finished = talk(request())

    assert finished.returncode == 0
    assert kinds(events) == ["hello", "sample", "sample", "sample", "done"]
    hello = events[0]
    assert hello["protocol"] == PROTOCOL_VERSION
    assert hello["interpreter"]["executable"] == sys.executable
    assert hello["interpreter"]["version"] == platform.python_version()
    assert isinstance(hello["interpreter"]["free_threaded"], bool)
    assert isinstance(hello["interpreter"]["gil_enabled"], bool)
    assert [event["warmup"] for event in events[1:4]] == [True, False, False]
    for event in events[1:4]:
        sample = sample_from_json(event["sample"], "sample")
        assert sample.tasks_ok == len(sample.spans) == 3
        assert len(sample.spans.workers) == 2


def test_a_different_protocol_version_is_refused() -> None:
    events, finished = talk(request(protocol=99))

    assert finished.returncode == 0
    assert events == [
        {
            "event": "failed",
            "kind": "refused",
            "message": f"protocol 99 is not {PROTOCOL_VERSION} (orchestrator and worker differ)",
            "traceback": None,
        },
        {"event": "done"},
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"workload": "nope"}, "unknown workload 'nope'"),
        ({"strategy": "nope"}, "unknown strategy 'nope'"),
        (
            {"params": {"duration": -1}},
            "duration='-1' is not accepted; expected a number of 0 or more (seconds each task waits)",
        ),
        (
            {"workload": "count", "strategy": "asyncio"},
            "workload count has no async form for strategy asyncio",
        ),
    ],
    ids=["unknown-workload", "unknown-strategy", "bad-parameter", "sync-workload-on-asyncio"],
)
def test_a_point_the_worker_cannot_run_is_refused(changes: dict[str, Any], message: str) -> None:
    events, _ = talk(request(**changes))

    assert kinds(events) == ["hello", "failed", "done"]
    assert events[1] == {"event": "failed", "kind": "refused", "message": message, "traceback": None}


def test_a_request_that_is_not_json_is_a_worker_failure_with_its_traceback() -> None:
    events, finished = talk("{not json")

    assert finished.returncode == 0
    assert kinds(events) == ["failed", "done"]
    assert events[0]["kind"] == "worker"
    assert events[0]["message"].startswith("JSONDecodeError: ")
    assert events[0]["traceback"].startswith("Traceback (most recent call last):")


@pytest.mark.parametrize("strategy", ["sequential", "threads", "processes"])
def test_what_a_task_prints_does_not_reach_the_protocol(strategy: str) -> None:
    events, finished = talk(
        request(workload=target("user_tasks", "print_noise"), strategy=strategy, params={}, tasks=2)
    )

    assert kinds(events) == ["hello", "sample", "sample", "sample", "done"]
    assert all(event["sample"]["tasks_ok"] == 2 for event in events[1:4])
    for noise in (
        "noise from print",
        "noise from sys.stdout.write",
        "noise from sys.__stdout__",
        "noise written to fd 1",
        "noise on stderr",
    ):
        assert finished.stderr.count(noise) == 3 * 2, noise


def test_the_worker_side_imports_only_the_standard_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        from threadlab.worker import _protocol, strategies, workloads
        for name in strategies.names():
            strategies.get(name)
        for name in workloads.names():
            workloads.get(name)
        print("\\n".join(sorted(set(sys.modules) - before)))
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=worker_env(), timeout=20, check=True
    )
    loaded = finished.stdout.split()
    outside = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__mp_main__"  # multiprocessing's alias of __main__
        and name != "threadlab"
        and not name.startswith("threadlab.worker")
        # The dask strategy's module: listed in the registry, stdlib-only until a point runs on it.
        and not name.startswith("threadlab.scaleout")
    ]
    assert "threadlab.worker._protocol" in loaded
    assert outside == []


def fake_worker(tmp_path: Path, output: str) -> Point:
    """A point whose "python" reads the request, writes ``output`` and exits 0."""
    (tmp_path / "output").write_text(output, encoding="utf-8")
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\ncat > /dev/null\ncat '{tmp_path / 'output'}'\n", encoding="utf-8")
    script.chmod(0o755)
    return dataclasses.replace(one_point("sleep", "threads", 1, duration=0.01), python=str(script))


def test_the_runner_records_a_worker_that_does_not_speak_the_protocol(tmp_path: Path) -> None:
    measurement = measure(fake_worker(tmp_path, "not an event\n"))

    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert error.kind == "worker"
    assert error.message == "worker wrote a line that is not an event: b'not an event'"


def test_the_runner_records_a_worker_of_another_protocol(tmp_path: Path) -> None:
    hello = {"event": "hello", "protocol": PROTOCOL_VERSION + 1, "interpreter": {}}

    measurement = measure(fake_worker(tmp_path, json.dumps(hello) + "\n"))

    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert (error.kind, error.message) == ("worker", f"worker speaks protocol {PROTOCOL_VERSION + 1}")


def test_the_runner_records_a_worker_that_exits_without_a_word(tmp_path: Path) -> None:
    measurement = measure(fake_worker(tmp_path, ""))

    assert measurement.status == "crashed"
    assert measurement.interpreter is None
    (error,) = measurement.errors
    assert error.kind == "crashed"
    assert error.message == "the worker process exited with code 0 before finishing"
