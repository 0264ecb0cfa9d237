"""A user's code runs only in processes threadlab launches, never in the one that orchestrates.

The target is checked by a probe process (``orchestrate/_probe_target.py``):
a module that exits, hangs or fills the memory when imported is refused in
one line, and the command goes on to exit 2 as for any bad input. A run
started inside a worker is refused with the fix; a function no import can
reach is sent by value; a task's return value crosses the process boundary
as a pool sends it. The CLI runs in this test's own process: a target
imported here would end or hang the test itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import NO_SUBINTERPRETERS, SUBINTERPRETER_PYTHONS, measure, one_point, target
from threadlab import SpecError, ThreadlabError
from threadlab.orchestrate._advise import target_of
from threadlab.orchestrate._launch import IN_WORKER_ENV
from threadlab.orchestrate._probe_target import BY_VALUE_PREFIX, probe_target, sent_by_value
from threadlab.worker._text import quoted
from threadlab.worker.workloads._function import INPUTS_LIMIT

IMPORT_ENV = "THREADLAB_TEST_IMPORT"
WORK = target("misbehaving_imports", "work")


def misbehaving(name: str) -> str:
    return target("misbehaving_imports", name)


def run_cli(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return threadlab_cli(
        capsys, "run", "-w", WORK, "-s", "sequential", "-n", "1", "--max-time", "1", "-q", *extra
    )


# ---------------------------------------------------------------------------
# 1. The probe: a target that misbehaves when imported


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("does", "said"),
    [
        pytest.param("exit", "importing it exited with code 3", id="sys-exit"),
        pytest.param("os-exit", "importing it exited with code 7", id="os-exit"),
    ],
)
def test_a_module_that_exits_when_imported_is_refused_in_one_line(
    does: str, said: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IMPORT_ENV, does)

    code, out, err = run_cli(capsys)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: --workload: {WORK}: {said}\n"


@pytest.mark.timeout(60)
def test_a_module_that_hangs_when_imported_is_stopped_at_the_probe_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(IMPORT_ENV, "hang")
    started = time.monotonic()

    with pytest.raises(
        SpecError, match=f"^function: {re.escape(WORK)}: did not finish importing within 2 s$"
    ):
        probe_target(WORK, timeout_s=2)

    assert time.monotonic() - started < 30  # stopped, not waited for (generous: a busy machine)


@pytest.mark.timeout(60)
def test_a_module_that_hangs_when_imported_fails_the_command_within_ten_seconds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IMPORT_ENV, "hang")

    code, out, err = run_cli(capsys)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: --workload: {WORK}: did not finish importing within 10 s\n"


@pytest.mark.timeout(60)
def test_a_module_that_fills_the_memory_when_imported_is_refused_with_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(IMPORT_ENV, "memory")

    with pytest.raises(
        SpecError, match=f"^function: {re.escape(WORK)}: ran out of memory \\(256.0 MiB\\) while importing$"
    ):
        probe_target(WORK, memory_bytes=256 * 1024 * 1024, timeout_s=30)


@pytest.mark.timeout(60)
def test_the_probe_says_what_the_target_is() -> None:
    facts = probe_target(target("advise_targets", "async_wait"))
    assert (facts.is_async, facts.pickle_problem, facts.items, facts.items_cut) == (True, None, None, False)

    closure = probe_target(target("advise_targets", "closure"))
    assert closure.is_async is False
    assert closure.pickle_problem is not None and "closure_call" in closure.pickle_problem


@pytest.mark.timeout(60)
def test_endless_inputs_are_cut_at_the_limit_and_said_so() -> None:
    inputs = misbehaving("ENDLESS")

    facts = probe_target(WORK, inputs=inputs)

    assert (facts.items, facts.items_cut) == (INPUTS_LIMIT, True)
    assert facts.notes(inputs) == [
        f"inputs {inputs!r} has more than 1,000,000 items (or no end): the first 1,000,000 are used"
    ]


@pytest.mark.timeout(60)
def test_endless_inputs_run_as_their_first_items_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        capsys,
        "--tasks",
        "3",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--param",
        f"inputs={misbehaving('ENDLESS')}",
    )

    assert code == 0, err
    assert "the first 1,000,000 are used" in err


@pytest.mark.timeout(60)
def test_inputs_that_fail_while_read_are_refused_naming_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    inputs = misbehaving("broken_inputs")

    code, out, err = run_cli(capsys, "--param", f"inputs={inputs}")

    assert (code, out) == (2, "")
    assert (
        err
        == f"threadlab: error: --param: inputs {inputs!r}: reading its items raised RuntimeError: no more\n"
    )


@pytest.mark.timeout(60)
def test_this_process_never_imports_the_target() -> None:
    result = threadlab.run(WORK, "sequential", 1, tasks=1, repeat=1, warmup=0, max_time=0.1)

    assert [m.status for m in result.measurements] == ["ok"]
    assert "misbehaving_imports" not in sys.modules


# ---------------------------------------------------------------------------
# 2. A run started inside a worker is refused at once


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("name", "call"),
    [
        pytest.param("run", lambda: threadlab.run("sleep", "sequential", 1), id="run"),
        pytest.param("advise", lambda: threadlab.advise(WORK), id="advise"),
        pytest.param("tour", lambda: threadlab.tour(quick=True), id="tour"),
    ],
)
def test_a_run_inside_a_worker_is_refused_with_the_fix(
    name: str, call: Callable[[], object], monkeypatch: pytest.MonkeyPatch, no_workers: list[object]
) -> None:
    monkeypatch.setenv(IN_WORKER_ENV, "1")
    with pytest.raises(ThreadlabError) as refused:
        call()

    assert str(refused.value) == (
        f"threadlab.{name} was called inside a threadlab worker: put the call under "
        '`if __name__ == "__main__":`, as multiprocessing asks'
    )
    assert no_workers == []


SCRIPT = """\
import threadlab


def work():
    return sum(range(1000))


{call}
"""


def run_script(tmp_path: Path, call: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(SCRIPT.format(call=call))
    return subprocess.run(
        [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.timeout(300)
def test_a_guarded_script_advises_on_its_own_function(tmp_path: Path) -> None:
    done = run_script(
        tmp_path,
        'if __name__ == "__main__":\n'
        "    advice = threadlab.advise(work, tasks=2, repeat=1, warmup=0, budget=3)\n"
        "    print(sorted({m.point.strategy for m in advice.result.measurements}))\n"
        "    print(advice.result.measurements[0].point.workload)\n",
    )

    assert done.returncode == 0, done.stderr
    strategies, workload = done.stdout.splitlines()
    assert "'sequential'" in strategies and "'processes'" in strategies
    assert workload == f"{tmp_path / 'user_script.py'}:work"


@pytest.mark.timeout(120)
def test_a_script_without_the_guard_gets_the_fix_once(tmp_path: Path) -> None:
    done = run_script(tmp_path, "advice = threadlab.advise(work, budget=3)\nprint('advised')\n")

    assert done.returncode == 1
    assert done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    where = quoted(f"{tmp_path / 'user_script.py'}:work")
    assert last == (
        f"threadlab._errors.SpecError: function: {where}: cannot import "
        "'user_script': ThreadlabError: threadlab.advise was called inside a threadlab worker: put the call "
        'under `if __name__ == "__main__":`, as multiprocessing asks'
    )


# ---------------------------------------------------------------------------
# 3. Functions no import can reach go by value


@pytest.mark.timeout(60)
def test_a_lambda_goes_by_value_and_runs_in_a_pool() -> None:
    square = target_of(lambda value=3: value * value)

    assert square.startswith(BY_VALUE_PREFIX) and square.endswith(".<lambda>")
    assert sent_by_value(square) is not None
    result = threadlab.run(square, ["sequential", "processes"], 2, tasks=2, repeat=1, warmup=0, max_time=0.1)

    assert [(m.point.strategy, m.status) for m in result.measurements] == [
        ("sequential", "ok"),
        ("processes", "ok"),
    ]


@pytest.mark.timeout(60)
def test_a_nested_function_goes_by_value() -> None:
    def nested() -> int:
        return 42

    found = probe_target(target_of(nested))

    assert (found.is_async, found.pickle_problem, found.cloudpickle) == (False, None, True)


@pytest.mark.timeout(30)
def test_a_function_sent_by_value_elsewhere_is_refused_here() -> None:
    with pytest.raises(SpecError, match=r"^function: 'by-value-0123456789ab:work' was sent by value from"):
        probe_target("by-value-0123456789ab:work")


@pytest.mark.timeout(60)
def test_a_python_without_cloudpickle_refuses_a_function_by_value_with_the_fix(tmp_path: Path) -> None:
    # A stand-in "cloudpickle" that cannot be imported, first on the probe's path.
    (tmp_path / "cloudpickle").mkdir()
    (tmp_path / "cloudpickle" / "__init__.py").write_text("raise ImportError('not here')\n")
    by_value = target_of(lambda: None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
        with pytest.raises(SpecError) as refused:
            probe_target(by_value)

    assert re.fullmatch(
        r"function: \S+<lambda> cannot be imported by a worker \(it is defined in a notebook cell, "
        r"in __main__ or inside another function\), and \S+ cannot load it sent by value: "
        r"cloudpickle cannot be imported in this Python \(ImportError: not here\); "
        r"move it to a module, or install cloudpickle in that Python",
        str(refused.value),
    ), str(refused.value)


# ---------------------------------------------------------------------------
# 4. API errors name parameters, the CLI its flags


@pytest.mark.timeout(30)
def test_the_api_names_its_parameters_and_the_cli_its_flags(
    capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    with pytest.raises(SpecError) as api:
        threadlab.run("sleep", "threads", 20_000)
    code, _, err = threadlab_cli(capsys, "run", "-w", "sleep", "-s", "threads", "-n", "20000")

    assert str(api.value) == (
        "workers: 20000 is above the safe limit of 10000 workers for threads; "
        "pass max_workers=20000 to allow it"
    )
    assert (code, err) == (
        2,
        "threadlab: error: --workers: 20000 is above the safe limit of 10000 workers for threads; "
        "pass --max-workers 20000 to allow it\n",
    )
    with pytest.raises(SpecError, match=r"^workloads: unknown workload 'slep'; did you mean 'sleep'\? "):
        threadlab.run("slep", "threads", 1)
    with pytest.raises(SpecError, match=r"^strategies: unknown strategy 'thread'; "):
        threadlab.run("sleep", "thread", 1)
    with pytest.raises(SpecError, match=r"^params: unknown parameter 'duraton' "):
        threadlab.run("sleep", "threads", 1, params={"duraton": 1})
    assert no_workers == []


@pytest.mark.timeout(120)
def test_advise_on_a_hanging_function_says_what_advise_has() -> None:
    with pytest.raises(SpecError) as refused:
        threadlab.advise(misbehaving("hangs"), tasks=1, repeat=1, warmup=0, budget=4)

    assert str(refused.value) == (
        "advise: the function did not return: 3 call(s) were still running when 2 s, half the budget, "
        "were spent, and were stopped; if one call takes that long, pass budget=16"
    )
    assert "--" not in str(refused.value)


# ---------------------------------------------------------------------------
# 5. Return values cross the process boundary; 6. a function that always raises


@pytest.mark.timeout(60)
@pytest.mark.parametrize("strategy", ["processes", "thread-pool"])
def test_a_return_value_that_cannot_be_pickled_fails_its_task_where_it_must_cross(strategy: str) -> None:
    measurement = measure(one_point(misbehaving("unpicklable_result"), strategy, 2, tasks=2))

    if strategy == "thread-pool":  # no boundary to cross: the value stays in the process
        assert measurement.status == "ok"
        return
    assert measurement.status == "errors"
    (error,) = [e for e in measurement.errors if e.kind == "task"]
    assert error.message == "2 of 2 tasks raised"
    last = (error.traceback or "").strip().splitlines()[-1]
    assert last.startswith(
        "TypeError: cannot pickle '_thread.lock' object (the task's return value could not be"
    )
    assert last.endswith("pickled to be sent back, as a process pool sends it)")


@pytest.mark.timeout(60)
@pytest.mark.skipif(not SUBINTERPRETER_PYTHONS, reason=NO_SUBINTERPRETERS)
def test_interpreters_send_return_values_back_too() -> None:
    point = one_point(
        misbehaving("unpicklable_result"), "interpreters", 2, tasks=2, python=SUBINTERPRETER_PYTHONS[0]
    )
    measurement = measure(point)

    assert measurement.status == "errors"
    assert "return value could not be pickled" in (measurement.errors[0].traceback or "")


@pytest.mark.timeout(60)
def test_advise_on_a_function_that_always_raises_stops_at_once() -> None:
    started = time.monotonic()

    with pytest.raises(SpecError, match=r"^advise: every call of the function raised: ValueError: always$"):
        threadlab.advise(misbehaving("raises"), budget=60)

    # The sweep of a 60 s budget never started: the probe's few calls are all it took.
    assert time.monotonic() - started < 40


@pytest.mark.timeout(60)
def test_a_results_file_keeps_the_name_of_a_function_sent_by_value(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    name = target_of(lambda: 1)
    threadlab.run(name, "sequential", 1, tasks=1, repeat=1, warmup=0, max_time=0.1, out=out)

    data = json.loads(out.read_text())
    assert data["points"][0]["workload"] == name
