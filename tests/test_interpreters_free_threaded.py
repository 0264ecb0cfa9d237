"""The free-threaded paths, on a real free-threaded CPython (3.13t): no stand-in.

CI builds one from Debian's source with ``scripts/free-threaded-python.sh``
(``scripts/test.sh`` does it, or reuses the build); where none could be
built, every test here skips with the one line the script said.

What runs: discovery finds the build in threadlab's cache; the same binary
run with ``--gil off`` and ``--gil on``; the whole strategy behaviour suite
(``strategy_suite.StrategySuite``) with every point under it; and a GIL turned
back on at run time by a C extension that declares no free-threading
support, built here with the C compiler, its cause recorded per point.
No speedup is asserted: timings are the benchmarks' business.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import FREE_THREADED_PYTHON, NO_FREE_THREADED
from strategy_suite import StrategySuite
from threadlab.model import Measurement
from threadlab.orchestrate._discover import describe, discover, pythons_dir
from threadlab.orchestrate._select import select

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(FREE_THREADED_PYTHON is None, reason=NO_FREE_THREADED),
]


@pytest.fixture(scope="module")
def free_threaded() -> str:
    assert FREE_THREADED_PYTHON is not None
    return FREE_THREADED_PYTHON


def only_measurement(result: threadlab.Result) -> Measurement:
    (measurement,) = result.measurements
    return measurement


# ── discovery ─────────────────────────────────────────────────────────────────


def test_the_build_is_probed_as_free_threaded_with_the_gil_off(free_threaded: str) -> None:
    found = describe(free_threaded)

    assert (found.free_threaded, found.gil_enabled, found.can_host) == (True, False, True), found
    assert found.label() == found.version + "t"


def test_discovery_finds_the_build_in_threadlabs_cache_and_a_version_picks_it(free_threaded: str) -> None:
    if not Path(free_threaded).is_relative_to(pythons_dir()):
        pytest.skip(f"{free_threaded} was given, not built into {pythons_dir()}")
    minor = ".".join(describe(free_threaded).version.split(".")[:2])

    (found,) = [f for f in discover() if f.executable == free_threaded]
    (chosen,) = select([f"{minor}t"]).interpreters

    assert (found.source, found.free_threaded, found.gil_enabled) == ("threadlab", True, False)
    assert chosen.executable == free_threaded
    assert free_threaded in select(["all"]).executables


def test_the_interpreters_command_lists_it_as_free_threaded_with_the_gil_off(
    free_threaded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")

    code, out, err = threadlab_cli(capsys, "interpreters", "--python", free_threaded)

    assert code == 0, err
    (row,) = [line.split() for line in out.splitlines() if free_threaded in line]
    assert row[1:3] == ["free-threaded", "off"]
    assert row[-2:] == ["given", free_threaded]


# ── the GIL, on and off, on the same binary ───────────────────────────────────


@pytest.mark.parametrize(
    ("gil", "on", "cause"), [("off", False, None), ("default", False, None), ("on", True, "-X gil=1")]
)
def test_the_same_binary_runs_with_the_gil_on_and_off_and_records_it(
    free_threaded: str, gil: str, on: bool, cause: str | None
) -> None:
    result = threadlab.run(
        "count",
        "threads",
        2,
        params={"iterations": 10_000},
        repeat=1,
        python=free_threaded,
        gil=gil,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.interpreter is not None
    assert measurement.interpreter.executable == free_threaded
    assert (measurement.interpreter.free_threaded, measurement.interpreter.gil_enabled) == (True, on)
    assert measurement.interpreter.gil_cause == cause


@pytest.mark.parametrize(("gil", "lines"), [("off", False), ("on", True)])
def test_the_breakdown_of_waits_is_read_there_its_lines_only_with_the_gil_on(
    free_threaded: str, gil: str, lines: bool
) -> None:
    # Reading another running thread's frames is unsafe with the GIL off (worker/_waits.py):
    # the sidecar's categories are read, the stacks are not. Stacks are read at 20 Hz: a 0.05 s
    # sleep saw none of them once, beside a one-core hog and a loaded machine; 0.5 s sees ten.
    result = threadlab.run(
        "sleep",
        "threads",
        2,
        params={"duration": 0.5},
        repeat=1,
        python=free_threaded,
        gil=gil,
        max_time=0.1,
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    waits = measurement.samples[0].waits
    assert waits is not None and waits.note is None, waits
    assert waits.threads >= 2
    assert waits.sleep_s > waits.total_s / 2
    assert bool(waits.lines) is lines
    if gil == "off":
        assert waits.gil_s == 0.0  # no GIL to wait for


def test_python_gil_in_the_environment_is_named_as_the_cause(free_threaded: str) -> None:
    env = {**os.environ, "PYTHON_GIL": "1"}
    code = (
        "from threadlab.worker._protocol import interpreter_info; i = interpreter_info(); "
        "print(i['gil_enabled'], i['gil_cause'])"
    )
    source = str(Path(threadlab.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = source

    done = subprocess.run([free_threaded, "-c", code], env=env, capture_output=True, text=True, timeout=60)

    assert (done.returncode, done.stdout) == (0, "True PYTHON_GIL=1\n"), done.stderr


# ── an extension module without free-threading support turns the GIL back on ──

# Single-phase initialisation and no Py_mod_gil slot: CPython 3.13t cannot know that the module
# is safe without the GIL, so importing it turns the GIL on and warns, naming it.
GILFUL_C = r"""
#include <Python.h>

static struct PyModuleDef gilful = {PyModuleDef_HEAD_INIT, "_gilful", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__gilful(void) { return PyModule_Create(&gilful); }
"""

TARGET = """
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _gilful  # noqa: E402


def task():
    return sum(range(1000))
"""


@pytest.fixture(scope="module")
def gilful_target(free_threaded: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A target that imports ``_gilful``, an extension built here for the free-threaded build."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc or cc) to build the extension module")
    where = tmp_path_factory.mktemp("gilful")
    paths = subprocess.run(
        [
            free_threaded,
            "-c",
            "import sysconfig as s; print(s.get_paths()['include']); print(s.get_config_var('EXT_SUFFIX'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    include, suffix = paths
    (where / "gilful.c").write_text(GILFUL_C)
    subprocess.run(
        [
            compiler,
            "-shared",
            "-fPIC",
            f"-I{include}",
            "-o",
            str(where / f"_gilful{suffix}"),
            str(where / "gilful.c"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (where / "uses_gilful.py").write_text(TARGET)
    return f"{where / 'uses_gilful.py'}:task"


def test_an_extension_without_free_threading_support_turns_the_gil_on_and_is_named(
    free_threaded: str, gilful_target: str
) -> None:
    result = threadlab.run(gilful_target, "threads", 2, repeat=1, python=free_threaded, max_time=0.1)

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.interpreter is not None
    assert measurement.interpreter.gil_enabled is True
    assert measurement.interpreter.gil_cause == "module '_gilful' imported without free-threading support"
    assert measurement.interpreter.label().endswith("t (GIL on)")


def test_with_the_gil_forced_off_the_extension_leaves_it_off(free_threaded: str, gilful_target: str) -> None:
    result = threadlab.run(
        gilful_target, "threads", 2, repeat=1, python=free_threaded, gil="off", max_time=0.1
    )

    measurement = only_measurement(result)
    assert measurement.status == "ok", measurement.errors
    assert measurement.interpreter is not None
    assert (measurement.interpreter.gil_enabled, measurement.interpreter.gil_cause) == (False, None)


# ── the strategy behaviour suite, every point under the build ─────────────────


def _runs_there(name: str) -> str:
    """``name``, or skip with why the free-threaded build cannot run it."""
    assert FREE_THREADED_PYTHON is not None
    reason = describe(FREE_THREADED_PYTHON).unavailable.get(name)
    if reason:
        pytest.skip(f"{name} cannot run on {FREE_THREADED_PYTHON}: {reason}")
    return name


class TestEveryStrategyFreeThreaded(StrategySuite):
    """The suite, for every strategy the build can run, with every point under it."""

    @pytest.fixture(scope="class")
    @classmethod
    def points_python(cls) -> str:
        assert FREE_THREADED_PYTHON is not None
        return FREE_THREADED_PYTHON

    @pytest.fixture(scope="class", params=threadlab.strategy_names(), ids=str)
    @classmethod
    def strategy(cls, request: pytest.FixtureRequest) -> str:
        return _runs_there(request.param)

    @pytest.fixture(
        params=[n for n in threadlab.strategy_names() if threadlab.strategy(n).mode != "async"], ids=str
    )
    def sync_strategy(self, request: pytest.FixtureRequest) -> str:
        return _runs_there(request.param)
