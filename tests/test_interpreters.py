"""Interpreters: subinterpreters, the other Pythons installed here, and free-threading.

What runs for real: the ``interpreters`` strategy under every CPython 3.12+
installed here (skipped, with the reason, where there is none), and
discovery against the real Pythons of this machine (pyenv 2.7 to 3.13).

Here the free-threaded code paths are also driven by a stand-in: a shell
script that runs the real Python with ``tests/fixtures/standin/sitecustomize.py``
loaded, which makes it answer as a 3.14t build would (``Py_GIL_DISABLED``,
``sys._is_gil_enabled`` following ``-X gil`` / ``PYTHON_GIL``). Those are tests
of threadlab's logic — probe, dispatch, GIL options, records, tables — on any
machine; ``test_interpreters_free_threaded.py`` runs the same paths on a real
3.13t where ``scripts/free-threaded-python.sh`` could build one.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import platform
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import (
    FIXTURES,
    NO_SUBINTERPRETERS,
    PYENV_ROOT,
    SUBINTERPRETER_PYTHONS,
    installed,
    python_id,
    target,
)
from threadlab import Interpreter, Measurement, Point, Result, Rounds, Sample, SpecError
from threadlab.analysis import analyse, baseline_of, summarise
from threadlab.lessons import LessonPython
from threadlab.lessons._which_python import ITERATIONS, which_python_finding, which_python_specs
from threadlab.model import FoundInterpreter, Gil
from threadlab.model._json import result_from_json, result_to_json
from threadlab.orchestrate import _discover, _strategies
from threadlab.orchestrate._discover import cache_file, describe, describe_all, discover, this_interpreter
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._runner import worker_command, worker_env
from threadlab.orchestrate._select import check_gil, select
from threadlab.render import advice_text, fact_text
from threadlab.worker import strategies

pytestmark = pytest.mark.timeout(120)

THIS = platform.python_version()
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(params=SUBINTERPRETER_PYTHONS or [None], ids=python_id)
def python312(request: pytest.FixtureRequest) -> str:
    """Each CPython 3.12+ installed here; skipped with the reason where there is none."""
    if request.param is None:
        pytest.skip(NO_SUBINTERPRETERS)
    return str(request.param)


@pytest.fixture
def cache_dir(interpreter_cache: Path) -> Path:
    """Where probe answers are cached in the tests (conftest: never the user's cache)."""
    return interpreter_cache


def only_measurement(result: Result) -> Measurement:
    (measurement,) = result.measurements
    return measurement


# ── the interpreters strategy ─────────────────────────────────────────────────


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python has subinterpreters")
def test_interpreters_are_unavailable_below_312_with_the_reason() -> None:
    reason = strategies.get("interpreters").unavailable_reason()
    assert reason == f"subinterpreters with a GIL of their own need Python 3.12 or later; this is {THIS}"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python has subinterpreters")
def test_the_plan_refuses_interpreters_here_below_312() -> None:
    with pytest.raises(SpecError, match=r"^strategies: 'interpreters' cannot run here: subinterpreters "):
        threadlab.run("count", "interpreters", 2)


def test_count_runs_on_one_subinterpreter_per_worker(python312: str) -> None:
    result = threadlab.run(
        "count",
        "interpreters",
        2,
        tasks=4,
        params={"iterations": 20_000},
        repeat=2,
        warmup=1,
        python=python312,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.interpreter is not None
    assert measurement.interpreter.executable == python312
    assert measurement.point.python == python312
    for sample in (*measurement.warmups, *measurement.samples):
        assert sample.tasks_ok == len(sample.spans) == 4
        pid = {label.split(":")[0] for label in sample.spans.workers}
        assert len(pid) == 1  # one process: the subinterpreters live in the worker
        assert sorted(label.split(":")[1] for label in sample.spans.workers) == [
            "threadlab-interp-0",
            "threadlab-interp-1",
        ]
        assert all(cpu is not None and cpu > 0 for cpu in sample.spans.cpu_s)
        assert sample.spawn_s is not None and 0 <= sample.spawn_s < sample.wall_s
        for start, end in zip(sample.spans.start_s, sample.spans.end_s, strict=True):
            assert sample.spawn_s - 1e-3 <= start <= end <= sample.wall_s + 1e-3
    # The interpreters are made once per point: the later samples set up in far less time.
    (first,) = measurement.warmups
    assert first.spawn_s is not None
    assert max(s.spawn_s or 0 for s in measurement.samples) < first.spawn_s


def test_the_workers_run_at_the_same_time(python312: str) -> None:
    result = threadlab.run(
        "sleep", "interpreters", 2, params={"duration": 0.2}, repeat=1, python=python312, max_time=0.1
    )

    (sample,) = only_measurement(result).samples
    # Two 0.2 s sleeps started together: they overlap.
    assert max(sample.spans.start_s) < min(sample.spans.end_s)


def test_a_users_file_crosses_by_its_directory_on_sys_path(
    python312: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    monkeypatch.setenv("THREADLAB_TEST_CALLS", str(calls))

    result = threadlab.run(
        target("user_tasks", "record_call"),
        "interpreters",
        2,
        tasks=4,
        repeat=1,
        warmup=0,
        python=python312,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    (sample,) = measurement.samples
    # Who each task saw running it is who its span names: the subinterpreter's thread.
    assert sorted(calls.read_text().splitlines()) == sorted(
        sample.spans.workers[w] for w in sample.spans.worker
    )


def test_a_task_error_in_a_subinterpreter_is_captured(
    python312: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADLAB_TEST_COUNTER", str(tmp_path / "counter"))

    result = threadlab.run(
        target("user_tasks", "fail_on_second_call"),
        "interpreters",
        2,
        tasks=4,
        repeat=1,
        warmup=0,
        python=python312,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "errors"
    (sample,) = measurement.samples
    assert (sample.tasks_ok, sample.tasks_failed) == (3, 1)
    assert sample.first_error is not None
    assert sample.first_error.startswith("Traceback (most recent call last):")
    assert sample.first_error.rstrip().endswith("PlannedFailure: planned failure on call 2")


@pytest.mark.parametrize("function", ["closure", "lambda_task"])
def test_a_task_that_cannot_cross_is_refused_with_the_reason(python312: str, function: str) -> None:
    result = threadlab.run(
        target("interpreter_tasks", function), "interpreters", 2, repeat=1, python=python312, max_time=0.1
    )

    measurement = only_measurement(result)
    assert measurement.status == "failed"
    assert measurement.samples == ()
    (error,) = measurement.errors
    assert error.kind == "refused"
    assert error.message.startswith(
        "the task cannot cross into a subinterpreter, which imports it by name: it must be a "
        "module-level function, not a closure or a lambda ("
    )


def test_a_module_that_cannot_load_in_a_subinterpreter_fails_the_point_with_its_error(python312: str) -> None:
    result = threadlab.run(
        target("single_phase", "task"), "interpreters", 1, repeat=1, python=python312, max_time=0.1
    )

    measurement = only_measurement(result)
    assert measurement.status == "failed"
    (error,) = measurement.errors
    assert error.kind == "worker"
    assert re.fullmatch(
        r"InterpreterFailed: subinterpreter 0 could not run its tasks: "
        r"ImportError: module \w+ does not support loading in subinterpreters",
        error.message,
    )
    assert (
        error.traceback is not None and "single_phase.py" in error.traceback
    )  # where, in the subinterpreter


def test_the_other_strategies_run_under_another_python(python312: str) -> None:
    result = threadlab.run(
        "count",
        ["sequential", "threads"],
        2,
        params={"iterations": 1000},
        repeat=1,
        python=python312,
        max_time=0.1,
    )

    assert [m.status for m in result.measurements] == ["ok", "ok"]
    assert {m.interpreter.executable for m in result.measurements if m.interpreter} == {python312}
    sequential, threads = result.measurements
    assert baseline_of(result, threads) is sequential


# ── discovery ─────────────────────────────────────────────────────────────────


def pyenv_pythons() -> dict[str, str]:
    """Version → executable of every pyenv Python here (``versions/X/bin/python``)."""
    return {
        Path(path).parent.parent.name: path
        for path in glob.glob(str(PYENV_ROOT / "versions" / "*" / "bin" / "python"))
    }


def test_discovery_finds_and_describes_the_pythons_installed_here() -> None:
    expected = pyenv_pythons()
    if not expected:
        pytest.skip(f"no pyenv Pythons in {PYENV_ROOT}")

    found = {f.executable: f for f in discover()}

    for version, path in expected.items():
        assert path in found, f"pyenv {version} not found"
        python = found[path]
        assert (python.source, python.version, python.broken) == ("pyenv", version, None)
        assert python.free_threaded is False and python.gil_enabled is True
        numbers = python.version_key
        assert python.can_host == (numbers >= (3, 9))
        if numbers < (3, 9):
            assert python.worker_problem == "threadlab's worker needs Python 3.9 or later"
        assert python.subinterpreters == (numbers >= (3, 12))
        if python.can_host:
            assert ("interpreters" in python.unavailable) == (numbers < (3, 12))


def test_a_python_that_is_broken_is_listed_with_the_reason(tmp_path: Path) -> None:
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    failing.chmod(0o755)
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 0\n")
    silent.chmod(0o755)
    not_runnable = tmp_path / "not-runnable"
    not_runnable.write_text("")

    found = describe_all([(str(p), "given") for p in (failing, silent, not_runnable, tmp_path / "missing")])

    assert [f.broken for f in found] == [
        "exited with code 3: cannot start",
        "did not answer the probe (it wrote '')",
        "cannot be run: Permission denied",
        "does not exist",
    ]
    assert not any(f.can_host for f in found)


def test_a_probe_that_hangs_is_cut_at_its_timeout_and_not_cached(tmp_path: Path) -> None:
    hanging = tmp_path / "hanging"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)

    (found,) = describe_all([(str(hanging), "given")], timeout_s=0.5)

    assert found.broken == "did not answer within 0.5 s"
    assert str(hanging.resolve()) not in json.loads(cache_file().read_text())["entries"]


def test_a_probe_asks_about_every_strategy_of_the_orchestrators_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker's own registry knows neither dask nor this one: the probe is told their modules.
    monkeypatch.setitem(_strategies._OUTSIDE, "elsewhere", "threadlab.no_such_module")

    (found,) = describe_all([(sys.executable, "given")], use_cache=False)

    assert found.unavailable["elsewhere"] == (
        "cannot load it: ModuleNotFoundError: No module named 'threadlab.no_such_module'"
    )
    assert found.unavailable.get("dask") == _strategies.get("dask").unavailable_reason()
    assert found.unavailable == this_interpreter().unavailable


def test_answers_come_from_the_cache_until_the_executable_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper = tmp_path / "wrapped"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    first = describe_all([(str(wrapper), "given")])
    probes: list[str] = []
    real_probe = _discover.probe

    def counting_probe(executable: str, *, timeout_s: float = _discover.PROBE_TIMEOUT_S) -> dict[str, object]:
        probes.append(executable)
        return real_probe(executable, timeout_s=timeout_s)

    monkeypatch.setattr(_discover, "probe", counting_probe)

    assert describe_all([(str(wrapper), "given")]) == first
    assert probes == []
    os.utime(wrapper, ns=(1, 1))  # a new build at the same path
    assert describe_all([(str(wrapper), "given")]) == first
    assert len(probes) == 1


def test_the_cache_lives_under_threadlab_cache_dir(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_file() == cache_dir / "interpreters.json"
    monkeypatch.delenv("THREADLAB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache_file() == Path("/somewhere/threadlab/interpreters.json")


def test_path_pyenv_and_uv_pythons_are_found_once_each_and_shims_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, shims = tmp_path / "bin", tmp_path / "shims"
    uv = tmp_path / "data" / "uv" / "python" / "cpython-3.14.0+freethreaded-linux-x86_64-gnu" / "bin"
    pyenv = tmp_path / "pyenv" / "versions" / "3.13.0t" / "bin"
    built = tmp_path / "pythons" / "3.13.5t" / "bin"  # as scripts/free-threaded-python.sh installs it
    for directory in (bin_dir, shims, uv, pyenv, built):
        directory.mkdir(parents=True)
    (bin_dir / "python3.11").symlink_to(sys.executable)
    (bin_dir / "python3.11-config").write_text("")  # not a Python
    (bin_dir / "python3").symlink_to(sys.executable)  # only python3.X names are looked for
    (shims / "python3.12").write_text("#!/bin/sh\n")
    (shims / "python3.12").chmod(0o755)
    for link in (uv / "python3.14t", pyenv / "python3.13t", bin_dir / "python3.99", built / "python3.13t"):
        link.write_text("#!/bin/sh\n")
        link.chmod(0o755)
    (tmp_path / "same").mkdir()
    (tmp_path / "same" / "python3.99").symlink_to(bin_dir / "python3.99")  # found first, kept once
    monkeypatch.setenv("PATH", os.pathsep.join(map(str, (tmp_path / "same", shims, bin_dir))))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("UV_PYTHON_INSTALL_DIR", raising=False)
    monkeypatch.setenv("THREADLAB_PYTHONS_DIR", str(tmp_path / "pythons"))

    found = _discover.candidates()

    assert found == [
        (str(tmp_path / "same" / "python3.99"), "PATH"),
        (str(bin_dir / "python3.11"), "PATH"),
        (str(pyenv / "python3.13t"), "pyenv"),
        (str(uv / "python3.14t"), "uv"),
        (str(built / "python3.13t"), "threadlab"),
    ]


def test_the_builds_of_the_script_are_looked_for_under_the_user_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("THREADLAB_PYTHONS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert _discover.pythons_dir() == Path("/somewhere/threadlab/pythons")
    monkeypatch.setenv("THREADLAB_PYTHONS_DIR", "/elsewhere")
    assert _discover.pythons_dir() == Path("/elsewhere")


# ── choosing with --python, and the GIL ───────────────────────────────────────


def test_a_version_picks_the_newest_python_of_it(python312: str) -> None:
    version = Path(python312).parent.parent.name
    minor = version.rsplit(".", 1)[0]

    (chosen,) = select([minor]).interpreters

    assert (chosen.executable, chosen.version) == (python312, version)


def test_all_skips_those_that_cannot_run_the_worker_with_the_reason() -> None:
    expected = pyenv_pythons()
    if "3.8.18" not in expected:
        pytest.skip("needs pyenv's 3.8.18, a Python too old for the worker")

    selection = select(["all"])

    assert expected["3.8.18"] not in selection.executables
    assert (
        f"Python 3.8.18 ({expected['3.8.18']}) skipped: threadlab's worker needs Python 3.9 or later"
        in selection.skipped
    )
    assert all(found.can_host for found in selection.interpreters)
    assert [f.version_key for f in selection.interpreters] == sorted(
        (f.version_key for f in selection.interpreters), reverse=True
    )


def test_a_version_not_found_is_refused_naming_those_found() -> None:
    with pytest.raises(SpecError) as refused:
        select(["3.99t"])
    assert re.fullmatch(
        r"python: '3\.99t' matches no Python found here that can run threadlab's worker; "
        r"found: [^;]*; install one \(uv python install 3\.99t, or pyenv install 3\.99t\) or give its path",
        str(refused.value),
    )


def test_a_version_too_old_for_the_worker_is_refused_with_the_reason() -> None:
    old = installed("3.8")
    if old is None:
        pytest.skip("needs pyenv's CPython 3.8, a Python too old for the worker")
    version = Path(old).parent.parent.name

    with pytest.raises(SpecError) as refused:
        select(["3.8"])

    assert str(refused.value) == (
        f"python: '3.8' names Python {version} ({old}): threadlab's worker needs Python 3.9 or later"
    )


def test_a_path_that_is_no_python_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"^python: '.*/nothing' cannot be used: it does not exist$"):
        select([str(tmp_path / "nothing")])


@pytest.mark.parametrize(
    ("gil", "args", "env"),
    [("off", ["-X", "gil=0"], "0"), ("on", ["-X", "gil=1"], "1"), ("default", [], None)],
)
def test_the_gil_setting_reaches_the_worker_command_and_environment(
    gil: str, args: list[str], env: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_GIL", "0")  # left over in the shell: never passed on as it is

    assert worker_command("/x/python3.14t", gil) == ["/x/python3.14t", *args, "-m", "threadlab.worker"]
    assert worker_env(gil).get("PYTHON_GIL") == env


def test_gil_off_is_refused_for_a_gil_build_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", "--gil", "off")

    assert (code, out) == (2, "")
    assert err == (
        "threadlab: error: --gil: 'off' needs a free-threaded build (3.13t, 3.14t); "
        "this Python is built with the GIL\n"
    )


def test_a_gil_value_not_accepted_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = threadlab_cli(capsys, "run", "-w", "sleep", "--gil", "maybe")

    assert code == 2
    assert err == "threadlab: error: --gil: 'maybe' is not accepted; expected on, off or default\n"


def test_points_are_planned_per_python_leaving_out_what_one_cannot_run(python312: str) -> None:
    older = installed("3.11") or installed("3.10") or installed("3.9")
    if older is None:
        pytest.skip("needs a CPython 3.9-3.11 installed with pyenv")
    notes: list[str] = []
    spec = threadlab.Spec(
        workloads=("count",),
        strategies=("sequential", "interpreters"),
        workers=(2,),
        python=python312,
        pythons=(python312, older),
    )

    points = plan(spec, notes)

    assert [(p.python, p.strategy) for p in points] == [
        (python312, "sequential"),
        (python312, "interpreters"),
        (older, "sequential"),
    ]
    label = describe(older).label()
    assert notes == [
        f"interpreters on Python {label} left out: subinterpreters with a GIL of their own need "
        f"Python 3.12 or later; this is {label}"
    ]


# ── free-threading, through a stand-in (tests of threadlab's logic) ─────────


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A ``python3.14t`` that answers as a free-threaded 3.14.0 would; and its log of command lines."""
    directory = tmp_path / "standin-bin"
    directory.mkdir()
    log = tmp_path / "standin.log"
    script = directory / "python3.14t"
    script.write_text(
        "#!/bin/sh\n"
        # The worker's command line (not the probe's, a -c script) and PYTHON_GIL, one line each.
        'case "$1" in -c) ;; *)\n'
        f"  printf '%s PYTHON_GIL=%s\\n' \"$*\" \"${{PYTHON_GIL-unset}}\" >> '{log}' ;;\n"
        "esac\n"
        "export THREADLAB_STANDIN_VERSION=3.14.0\n"
        f"export PYTHONPATH='{FIXTURES / 'standin'}'\"${{PYTHONPATH:+:$PYTHONPATH}}\"\n"
        f"exec '{sys.executable}' \"$@\"\n"
    )
    script.chmod(0o755)
    yield script, log


def worker_lines(log: Path) -> list[str]:
    """The worker command lines the stand-in ran, with the PYTHON_GIL each saw."""
    return log.read_text().splitlines()


def test_the_standin_is_probed_as_a_free_threaded_build(standin: tuple[Path, Path]) -> None:
    script, _ = standin

    found = describe(str(script))

    assert (found.version, found.free_threaded, found.gil_enabled) == ("3.14.0", True, False)
    assert found.label() == "3.14.0t"
    assert found.can_host


def test_a_free_threaded_build_on_path_is_chosen_by_its_version(
    standin: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, _ = standin
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")

    (chosen,) = select(["3.14t"]).interpreters

    assert (chosen.executable, chosen.source, chosen.label()) == (str(script), "PATH", "3.14.0t")
    with pytest.raises(SpecError, match=r"^python: '3\.14' matches no Python found here"):
        select(["3.14"])  # 3.14 names a build with the GIL


@pytest.mark.parametrize(("gil", "seen"), [("off", False), ("on", True), ("default", False)])
def test_a_run_on_a_free_threaded_build_passes_the_gil_and_records_what_the_worker_saw(
    standin: tuple[Path, Path], gil: str, seen: bool
) -> None:
    script, log = standin

    result = threadlab.run(
        "count",
        "threads",
        2,
        params={"iterations": 1000},
        repeat=1,
        python=str(script),
        gil=gil,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.point.gil == gil
    assert measurement.interpreter == Interpreter(
        executable=sys.executable,
        version="3.14.0",
        implementation="CPython",
        free_threaded=True,
        gil_enabled=seen,
        gil_cause="-X gil=1" if seen else None,  # threadlab passes both; CPython reads -X gil first
    )
    assert measurement.interpreter.label() == ("3.14.0t (GIL on)" if seen else "3.14.0t")
    assert worker_lines(log) == [
        {
            "off": "-X gil=0 -m threadlab.worker PYTHON_GIL=0",
            "on": "-X gil=1 -m threadlab.worker PYTHON_GIL=1",
            "default": "-m threadlab.worker PYTHON_GIL=unset",
        }[gil]
    ]


def test_the_gil_turned_back_on_by_an_import_is_what_gets_recorded(standin: tuple[Path, Path]) -> None:
    script, _ = standin

    result = threadlab.run(
        target("gil_back_on", "task"), "sequential", 1, repeat=1, python=str(script), max_time=0.1
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.interpreter is not None
    assert measurement.interpreter.gil_enabled is True
    assert measurement.interpreter.gil_cause == "module '_gilful' imported without free-threading support"
    assert measurement.interpreter.label() == "3.14.0t (GIL on)"


def test_free_threaded_and_gil_builds_are_told_apart_in_the_table_and_the_analysis(
    standin: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = standin
    monkeypatch.setenv("COLUMNS", "160")

    code, out, err = threadlab_cli(
        capsys,
        "run", "-w", "count", "-s", "sequential,threads", "-n", "2", "-p", "iterations=1000",
        "--repeat", "1", "--max-time", "0.1", "-q", "--python", f"{script},{sys.executable}", "--gil", "off",
        "--verbose",
    )  # fmt: skip

    assert code == 0, err
    assert f"note: GIL off: Python {THIS} is built with the GIL and keeps it" in err
    for row in ("count · threads ×2 [3.14.0t]", f"count · threads ×2 [{THIS}]"):
        assert row in out
    # Groups are named as their rows are: iterations took one value, so neither names it.
    assert "count [3.14.0t]" in out
    assert f"count [{THIS}]" in out
    assert "iterations=1000" not in out
    # The stand-in ran its two points with the GIL off; this Python's points were given nothing.
    assert worker_lines(log) == ["-X gil=0 -m threadlab.worker PYTHON_GIL=0"] * 2


def on_a_free_threaded_build(result: Result, *, gil_enabled: bool, cause: str | None = None) -> Result:
    """``result`` as if every point had run on a 3.13.5t, its GIL as given (the measured numbers kept)."""
    interpreter = Interpreter(
        "/x/python3.13t", "3.13.5", free_threaded=True, gil_enabled=gil_enabled, gil_cause=cause
    )
    return dataclasses.replace(
        result,
        measurements=tuple(dataclasses.replace(m, interpreter=interpreter) for m in result.measurements),
    )


def test_threads_that_scale_on_a_build_without_a_gil_are_said_to_run_in_parallel_for_that() -> None:
    measured = on_a_free_threaded_build(threadlab.load_result(DATA / "kinds-here.json"), gil_enabled=False)

    (hash_advice,) = [r for r in analyse(measured).recommendations if r.workload.startswith("hash")]

    assert hash_advice.strategy == "threads"
    assert hash_advice.chosen is not None and hash_advice.chosen.no_gil
    assert advice_text(hash_advice).endswith(
        "The work runs in parallel: this build has no GIL, so threads compute at once."
    )
    assert "work classified as cpu-bound, in parallel on threads: this build has no GIL" in map(
        fact_text, hash_advice.reasons
    )


def test_a_gil_turned_back_on_is_said_with_its_cause() -> None:
    cause = "module '_gilful' imported without free-threading support"
    measured = on_a_free_threaded_build(
        threadlab.load_result(DATA / "kinds-here.json"), gil_enabled=True, cause=cause
    )

    advice = {advice_text(r).split(":")[0]: advice_text(r) for r in analyse(measured).recommendations}

    assert advice["count"].endswith(f"as on processes. On Python 3.13.5t the GIL was on: {cause}.")
    assert advice["hash"].endswith(
        "The work runs in C code that releases the GIL, so threads compute in parallel."
    )


def test_the_which_python_lesson_measures_a_free_threaded_build_with_its_gil_off_and_on() -> None:
    free = LessonPython("/a/python3.13t", "3.13.5", free_threaded=True, subinterpreters=True)
    other = LessonPython("/b/python3.12", "3.12.1", subinterpreters=True)

    specs = which_python_specs((free, other), False, 60.0)

    assert [(s.python, s.gil, s.strategies) for s in specs] == [
        ("/a/python3.13t", "default", ("sequential", "threads", "interpreters")),
        ("/a/python3.13t", "on", ("sequential", "threads")),
        ("/b/python3.12", "default", ("sequential", "threads", "interpreters")),
    ]


def test_the_which_python_lesson_says_what_the_gil_alone_does_on_the_same_binary() -> None:
    def measured(
        python: str, strategy: str, wall: float, gil: Gil = "default", free: bool = True
    ) -> Measurement:
        # Six interleaved rounds of samples that took the same time each: the intervals are points.
        return Measurement(
            point=Point(
                "count",
                strategy,
                1 if strategy == "sequential" else 2,
                2,
                params={"iterations": ITERATIONS[False]},
                python=python,
                gil=gil,
            ),
            status="ok",
            interpreter=Interpreter(
                python,
                "3.13.5" if free else "3.13.0",
                free_threaded=free,
                gil_enabled=gil == "on" or not free,
            ),
            samples=tuple(Sample(wall_s=wall, tasks_ok=2, round=r) for r in range(6)),
        )

    environment = threadlab.Environment("3.11.7", sys.executable, False, True, 2, "linux", "0.1.0", "now")
    result = Result(
        threadlab.Spec(("count",), ("sequential", "threads"), (2,)),
        environment,
        (
            measured("/a", "sequential", 0.3),
            measured("/a", "threads", 0.15),
            measured("/a", "sequential", 0.25, gil="on"),
            measured("/a", "threads", 0.25, gil="on"),
            measured("/b", "sequential", 0.2, free=False),
            measured("/b", "threads", 0.2, free=False),
        ),
        rounds=(Rounds((0, 1, 2, 3, 4, 5), 6, 3.0, 0.05, 0.0, 30.0, "precise"),),
    )

    lesson = which_python_finding(summarise(result))

    assert lesson is not None
    assert lesson.text.startswith(
        "3.13.5t: one worker 300.0 ms, threads 2.00× (2.00–2.00), no subinterpreters (3.12+); "
        "3.13.5t (GIL on): one worker 250.0 ms, threads 1.00× (1.00–1.00); "
    )
    assert (
        "The same 3.13.5t binary ran threads 2.00× (2.00–2.00) with its GIL off and 1.00× (1.00–1.00) "
        "with it on (-X gil=1): the GIL alone is what makes threads take turns."
    ) in lesson.text
    assert "Threads did not run the loop in parallel on 3.13.5t (GIL on), 3.13.0: under a GIL" in lesson.text
    assert lesson.text.endswith(
        "What free-threading costs one thread: 3.13.5t took 1.50× the time of 3.13.0 with its GIL "
        "(95% CI 1.50–1.50×, paired round by round)."
    )


def test_speedups_compare_like_with_like() -> None:
    def measured(python: str, strategy: str, wall: float, label: str, gil: str = "default") -> Measurement:
        return Measurement(
            point=Point("count", strategy, 1 if strategy == "sequential" else 2, 2, python=python, gil=gil),
            status="ok",
            interpreter=Interpreter(python, label, free_threaded=label.endswith("t")),
            samples=(Sample(wall_s=wall, tasks_ok=2),),
        )

    environment = threadlab.Environment("3.11.7", sys.executable, False, True, 2, "linux", "0.1.0", "now")
    spec = threadlab.Spec(("count",), ("sequential", "threads"), (2,))
    result = Result(
        spec,
        environment,
        (
            measured("/a/python3.14t", "sequential", 1.0, "3.14.0", "off"),
            measured("/a/python3.14t", "sequential", 2.0, "3.14.0", "on"),
            measured("/b/python3.12", "sequential", 4.0, "3.12.1"),
            measured("/a/python3.14t", "threads", 0.5, "3.14.0", "off"),
            measured("/b/python3.12", "threads", 4.0, "3.12.1"),
        ),
    )

    speedups = [summary.speedup_vs_sequential if summary else None for _, summary in summarise(result)]

    assert speedups == [1.0, 1.0, 1.0, 2.0, 1.0]


def test_the_point_and_spec_keep_their_python_and_gil_through_the_results_file() -> None:
    spec = threadlab.Spec(("count",), ("threads",), (2,), python="/a", pythons=("/a", "/b"), gil="off")
    point = Point("count", "threads", 2, 2, python="/a", gil="off")
    environment = threadlab.Environment("3.11.7", sys.executable, False, True, 2, "linux", "0.1.0", "now")
    result = Result(spec, environment, (Measurement(point, "ok", samples=(Sample(wall_s=1.0, tasks_ok=2),)),))

    loaded = result_from_json(json.loads(json.dumps(result_to_json(result))))

    assert loaded.spec == spec
    assert loaded.measurements[0].point == point


def test_a_gil_mode_not_known_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match=r"^gil: expected one of on, off, default, found 'maybe'$"):
        Point("count", "threads", 2, 2, gil="maybe")  # type: ignore[arg-type]  # the point of the test


def test_gil_off_keeps_the_gil_builds_and_notes_them() -> None:
    free = FoundInterpreter("/a/python3.14t", "PATH", version="3.14.0", free_threaded=True, gil_enabled=False)
    gil_build = FoundInterpreter("/b/python3.12", "pyenv", version="3.12.1")
    notes: list[str] = []

    assert check_gil([free, gil_build], "off", notes) == ["off", "default"]
    assert notes == ["GIL off: Python 3.12.1 is built with the GIL and keeps it"]
    with pytest.raises(SpecError, match=r"^gil: 'off' needs a free-threaded build \(3\.13t, 3\.14t\); "):
        check_gil([gil_build], "off", [])


# ── the interpreters command ─────────────────────────────────────────────────
# (choosing the Pythons the tour's "which Python" lesson compares: tests/test_tour.py)


def test_the_interpreters_command_lists_only_the_python_given(
    standin: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, _ = standin
    monkeypatch.setenv("COLUMNS", "250")

    code, out, err = threadlab_cli(capsys, "interpreters", "--python", str(script))

    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line.strip() and not set(line.strip()) <= {"─"}]
    assert rows[1:] == [
        ["3.14.0t", "free-threaded", "off", "no", "yes", "given", str(script)]
    ]  # no subinterpreters: 3.11 inside
    assert err.startswith("1 Python(s) found, 1 can run threadlab's worker; cached in ")


@pytest.mark.parametrize(
    ("given", "why"),
    [("/nonexistent/python", "it does not exist"), ("/etc/passwd", "it cannot be run: Permission denied")],
)
def test_the_interpreters_command_refuses_a_path_that_is_no_python_as_run_does(
    given: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if given == "/etc/passwd" and os.access(given, os.X_OK):
        pytest.skip("/etc/passwd is executable here")
    refusal = f"threadlab: error: --python: '{given}' cannot be used: {why}\n"

    assert threadlab_cli(capsys, "interpreters", "--python", given) == (2, "", refusal)
    assert threadlab_cli(capsys, "run", "-w", "count", "-s", "sequential", "--python", given) == (
        2,
        "",
        refusal,
    )


def test_advise_sweeps_each_python_and_recommends_for_each(
    python312: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "advice.json"

    code, stdout, err = threadlab_cli(
        capsys,
        "advise", target("interpreter_tasks", "spin"), "--python", f"{sys.executable},{python312}",
        "--budget", "6", "--repeat", "2", "--warmup", "0", "--tasks", "4", "-q", "-o", str(out),
    )  # fmt: skip

    assert code in (0, 1), err  # 1: a point cut by the budget is not a failure of this test
    other = describe(python312).label()
    assert f"[{THIS}]" in stdout and f"[{other}]" in stdout
    saved = threadlab.load_result(out)
    assert {m.point.python for m in saved.measurements} == {sys.executable, python312}
    assert saved.spec.pythons == (sys.executable, python312)
