"""The worker's end of the protocol, spoken to directly: ``python -m threadlab.worker``.

One JSON request line on stdin, then commands; JSON lines on stdout: hello,
warm-up samples, ready, one sample per ``sample`` command, an optional
failed, then done after ``stop``. And the runner's end, facing a worker that
breaks it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import threadlab
from conftest import FIXTURES, measure, one_point
from threadlab.model import Point
from threadlab.model._json import sample_from_json
from threadlab.orchestrate import _strategies
from threadlab.orchestrate._runner import WorkerSession, worker_env
from threadlab.worker._protocol import PROTOCOL_VERSION
from threadlab.worker._schema import REQUEST_FIELDS

pytestmark = pytest.mark.timeout(30)


def request(**changes: Any) -> dict[str, Any]:
    """A valid request, as the runner sends it, with ``changes`` applied."""
    base: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "workload": "sleep",
        "strategy": "threads",
        "strategy_module": None,
        "workers": 2,
        "tasks": 3,
        "params": {"duration": 0.01},
        "strategy_params": {},
        "warmup": 1,
    }
    base.update(changes)
    return base


SAMPLE_TWICE_THEN_STOP: list[dict[str, Any]] = [
    {"command": "sample", "round": 0, "spans": True},
    {"command": "sample", "round": 1, "spans": True},
    {"command": "stop"},
]


def talk(
    message: dict[str, Any] | str,
    commands: list[dict[str, Any]] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """Send one request, then ``commands`` (default: two samples, then stop), to a fresh worker.

    Returns its events and the finished process. The worker runs in a session
    of its own, as the runner starts it: a worker whose input ends without a
    stop kills its whole process group, which must not be pytest's.
    """
    text = message if isinstance(message, str) else json.dumps(message)
    lines = [text, *(json.dumps(c) for c in (SAMPLE_TWICE_THEN_STOP if commands is None else commands))]
    finished = subprocess.run(
        [sys.executable, "-m", "threadlab.worker"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env or worker_env(),
        timeout=20,
        check=False,
        start_new_session=True,
    )
    # Every line on stdout must be an event: nothing else may reach it.
    events = [json.loads(line) for line in finished.stdout.splitlines()]
    return events, finished


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["event"] for event in events]


def test_hello_warmups_ready_then_one_sample_per_command_then_done() -> None:
    events, finished = talk(request())

    assert finished.returncode == 0
    assert kinds(events) == ["hello", "sample", "ready", "sample", "sample", "done"]
    hello = events[0]
    assert hello["protocol"] == PROTOCOL_VERSION
    assert hello["interpreter"]["executable"] == sys.executable
    assert hello["interpreter"]["version"] == platform.python_version()
    assert isinstance(hello["interpreter"]["free_threaded"], bool)
    assert isinstance(hello["interpreter"]["gil_enabled"], bool)
    assert events[-1]["interpreter"]["executable"] == sys.executable
    sampled = [events[1], events[3], events[4]]
    assert [event["warmup"] for event in sampled] == [True, False, False]
    samples = [sample_from_json(event["sample"], "sample") for event in sampled]
    # A warm-up belongs to no round; each commanded sample to the round it was asked for.
    assert [sample.round for sample in samples] == [None, 0, 1]
    for sample in samples:
        assert sample.tasks_ok == len(sample.spans) == 3
        assert len(sample.spans.workers) == 2
    started = [sample.started_at for sample in samples]
    assert all(t is not None for t in started)
    assert started == sorted(started)
    assert abs(time.time() - started[0]) < 60  # seconds since the epoch, by the worker's clock


def test_the_runner_sends_exactly_the_request_fields_the_worker_declares() -> None:
    sent: list[dict[str, Any]] = []

    class Recording(WorkerSession):
        def _send(self, message: dict[str, Any]) -> None:
            sent.append(message)
            super()._send(message)

    session = Recording(one_point("sleep", "threads", 2, duration=0.01), timeout_s=20)
    try:
        assert session.start()
        assert session.sample(0) is not None
    finally:
        session.close()

    assert REQUEST_FIELDS == (
        "protocol",
        "workload",
        "function",
        "strategy",
        "strategy_module",
        "workers",
        "tasks",
        "params",
        "strategy_params",
        "warmup",
        "waits",
    )
    assert tuple(sent[0]) == REQUEST_FIELDS
    assert sent[0]["strategy_module"] is None  # one of the worker's own strategies
    assert sent[0]["function"] is None  # a built-in workload: nothing sent by value
    assert sent[1:] == [{"command": "sample", "round": 0, "spans": True}, {"command": "stop"}]
    assert session.measurement().status == "ok"


def test_a_sample_asked_without_spans_keeps_its_totals_only() -> None:
    events, _ = talk(
        request(warmup=0), [{"command": "sample", "round": 4, "spans": False}, {"command": "stop"}]
    )

    assert kinds(events) == ["hello", "ready", "sample", "done"]
    sample = sample_from_json(events[2]["sample"], "sample")
    assert (sample.round, sample.tasks_ok, len(sample.spans)) == (4, 3, 0)


def test_a_request_with_a_field_the_worker_does_not_know_is_refused() -> None:
    # The version-1 request carried the sample count; now the orchestrator asks for each sample.
    events, finished = talk(request(repeat=2))

    assert finished.returncode == 0
    assert kinds(events) == ["hello", "failed", "done"]
    assert events[1] == {
        "event": "failed",
        "kind": "refused",
        "message": "unknown request field(s): repeat",
        "traceback": None,
    }


def test_the_orchestrator_names_the_module_of_a_strategy_outside_the_worker_only() -> None:
    assert _strategies.module_of("dask") == "threadlab.scaleout.dask_cluster"
    assert [name for name in threadlab.strategy_names() if _strategies.module_of(name)] == ["dask"]
    assert threadlab.strategy("dask").name == "dask"


def test_a_strategy_outside_the_worker_runs_from_the_module_the_request_names() -> None:
    env = worker_env()
    env["PYTHONPATH"] += f"{os.pathsep}{FIXTURES}"

    events, finished = talk(request(strategy="outside", strategy_module="outside_strategy"), env=env)

    assert finished.returncode == 0, finished.stderr
    assert kinds(events) == ["hello", "sample", "ready", "sample", "sample", "done"]
    sample = sample_from_json(events[3]["sample"], "sample")
    assert sample.tasks_ok == 3
    assert len(set(sample.spans.workers)) == 1  # one worker, as sequential


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strategy": "dask"}, "unknown strategy 'dask'"),
        (
            {"strategy": "threads", "strategy_module": "threadlab.worker.strategies.sequential"},
            "unknown strategy 'threads' in module 'threadlab.worker.strategies.sequential'",
        ),
        (
            {"strategy": "elsewhere", "strategy_module": "threadlab.no_such_module"},
            "strategy 'elsewhere': cannot import its module 'threadlab.no_such_module': "
            "No module named 'threadlab.no_such_module'",
        ),
        ({"strategy_module": 7}, "strategy_module must be a module name or null, not 7"),
    ],
    ids=["outside-without-module", "module-of-another", "module-missing", "module-not-text"],
)
def test_a_strategy_the_worker_cannot_find_is_refused_in_one_line(
    changes: dict[str, Any], message: str
) -> None:
    events, finished = talk(request(**changes))

    assert finished.returncode == 0
    assert kinds(events) == ["hello", "failed", "done"]
    assert (events[1]["kind"], events[1]["message"]) == ("refused", message)


def test_a_command_the_worker_does_not_know_is_refused_after_its_warmups() -> None:
    events, _ = talk(request(warmup=0), [{"command": "dance"}, {"command": "stop"}])

    assert kinds(events) == ["hello", "ready", "failed", "done"]
    assert (events[2]["kind"], events[2]["message"]) == ("refused", "unknown command 'dance'")


def fake_worker(tmp_path: Path, output: str) -> Point:
    """A point whose "python" reads the request line, writes ``output`` and exits 0."""
    (tmp_path / "output").write_text(output, encoding="utf-8")
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\nread -r request\ncat '{tmp_path / 'output'}'\n", encoding="utf-8")
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


def test_a_worker_started_by_hand_ends_itself_alone_when_its_input_ends() -> None:
    # Started from a script, not in a session of its own: when its input ends without a
    # "stop" it must end itself, never the process group of the script that started it.
    line = shlex.quote(json.dumps(request()))
    script = (
        f"printf '%s\\n' {line} | {shlex.quote(sys.executable)} -m threadlab.worker >/dev/null; echo survived"
    )
    finished = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=20,
        check=False,
        start_new_session=True,  # should the worker end its group after all, only bash goes
    )

    assert finished.stdout.strip() == "survived"
    assert finished.returncode == 0
