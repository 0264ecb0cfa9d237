"""What the test modules share: one point planned and measured as a run would,
user-function targets in ``tests/fixtures``, the CPythons 3.12+ installed here,
a small real run, and process checks. (Test modules never import each other:
what two of them share lives here, or in a helper module such as
``strategy_suite.py``.)"""

from __future__ import annotations

import glob
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import threadlab
from threadlab.model import Measurement, Point, Result, Spec
from threadlab.orchestrate._discover import pythons_dir
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._probe_target import PROBE_MODULE
from threadlab.orchestrate._runner import OnSample, measure_point
from threadlab.worker._params import ParamValue

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="process checks read /proc (Linux only)"
)


def installed(minor: str) -> str | None:
    """The newest pyenv CPython ``minor`` (e.g. ``3.12``) with the GIL, or None."""
    found = []
    for path in glob.glob(str(PYENV_ROOT / "versions" / f"{minor}.*" / "bin" / "python")):
        version = Path(path).parent.parent.name
        if re.fullmatch(rf"{re.escape(minor)}\.\d+", version):
            found.append((int(version.rsplit(".", 1)[1]), path))
    return max(found)[1] if found else None


# The CPythons with subinterpreters of their own GIL installed here, whatever Python runs pytest.
SUBINTERPRETER_PYTHONS = [p for p in (installed("3.12"), installed("3.13"), installed("3.14")) if p]


# CI (scripts/test.sh) builds a free-threaded CPython with scripts/free-threaded-python.sh and names it
# here; where the build failed, the script's one line saying why is the reason its tests skip.
FREE_THREADED_ENV = "THREADLAB_FREE_THREADED_PYTHON"
FREE_THREADED_MISSING_ENV = "THREADLAB_FREE_THREADED_MISSING"


def _free_threaded_python() -> str | None:
    """The free-threaded CPython named by ``$THREADLAB_FREE_THREADED_PYTHON``, else the newest
    one ``scripts/free-threaded-python.sh`` built into threadlab's cache; or None."""
    given = os.environ.get(FREE_THREADED_ENV)
    if given:
        return given
    built = glob.glob(str(pythons_dir() / "*" / "bin" / "python3.*t"))
    return (
        max(built, key=lambda path: [int(n) for n in re.findall(r"\d+", Path(path).parent.parent.name)])
        if built
        else None
    )


FREE_THREADED_PYTHON = _free_threaded_python()
NO_FREE_THREADED = "no free-threaded CPython here: " + (
    os.environ.get(FREE_THREADED_MISSING_ENV)
    or f"none built in {pythons_dir()}; bash scripts/free-threaded-python.sh builds one"
)


def _other_python() -> str | None:
    """A CPython installed here of another minor version than this one, or None."""
    this = ".".join(platform.python_version_tuple()[:2])
    others = [*SUBINTERPRETER_PYTHONS, installed("3.11"), installed("3.10")]
    return next((p for p in others if p and f"/{this}." not in p), None)


OTHER_PYTHON = _other_python()
NO_OTHER_PYTHON = f"no CPython of another minor version than this one installed here (under {PYENV_ROOT})"
NO_SUBINTERPRETERS = "no CPython 3.12+ installed here (pyenv install 3.12, or uv python install 3.12)"


def python_id(python: str | None) -> str:
    """A test id for a pyenv Python: its version directory (``3.12.1``)."""
    return Path(python).parent.parent.name if python else "none"


def target(module: str, function: str) -> str:
    """A ``path/to/file.py:function`` workload from ``tests/fixtures``."""
    return f"{FIXTURES / module}.py:{function}"


def one_point(
    workload: str,
    strategy: str,
    workers: int,
    tasks: int | None = None,
    *,
    python: str = sys.executable,
    **params: ParamValue,
) -> Point:
    """The one point ``plan`` makes of this workload, strategy and worker count (defaults filled in)."""
    spec = Spec(
        workloads=(workload,),
        strategies=(strategy,),
        workers=(workers,),
        tasks=tasks,
        params=params,
        python=python,
    )
    (point,) = plan(spec)
    return point


def measure(
    point: Point,
    *,
    repeat: int = 1,
    warmup: int = 0,
    timeout_s: float = 30.0,
    on_sample: OnSample | None = None,
) -> Measurement:
    """Measure one point in a fresh worker process, as a run does."""
    return measure_point(point, repeat=repeat, warmup=warmup, timeout_s=timeout_s, on_sample=on_sample)


def _stat_fields(pid: int | str) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, …"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended.

    A zombie counts as ended: it runs nothing and holds nothing but its exit
    status, and where init does not reap orphans (this sandbox's init does
    not) an orphaned pool child that was killed stays one.
    """
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def session_members(session: int) -> list[int]:
    """The running processes of a session: a worker and everything it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields is not None and int(fields[3]) == session and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def worker_pids(measurement: Measurement) -> set[int]:
    """The pids that ran tasks, from the ``pid:thread`` labels of the kept samples."""
    return {
        int(label.split(":", 1)[0])
        for sample in (*measurement.warmups, *measurement.samples)
        for label in sample.spans.workers
    }


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """A real run, small: sleep 0.05 s on sequential and threads, 1 and 2 workers, saved.

    Its one group is measured in exactly ``repeat`` = 2 interleaved rounds: a
    max time shorter than one round ends the rounds as soon as the fewest are done.
    """
    out = tmp_path_factory.mktemp("small-run") / "results.json"
    result = threadlab.run(
        "sleep",
        ["sequential", "threads"],
        [1, 2],
        params={"duration": 0.05},
        repeat=2,
        warmup=1,
        max_time=0.1,
        timeout=60,
        out=out,
    )
    return result, out


@pytest.fixture(scope="session", autouse=True)
def interpreter_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Probe answers about the Pythons found here (``threadlab interpreters``, ``--python``,
    the tour) are cached in a temporary directory, never in the user's cache."""
    path = tmp_path_factory.mktemp("interpreter-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("THREADLAB_CACHE_DIR", str(path))
        yield path


@pytest.fixture
def no_workers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail any attempt to start a process (a worker); return the commands attempted.

    The probe of a user's target (``threadlab.worker._target_probe``) may
    start: it is how a target is checked before any worker, without
    importing it here.
    """
    attempted: list[object] = []
    popen = subprocess.Popen

    def refuse(command: object, *args: object, **options: object) -> object:
        if isinstance(command, list) and PROBE_MODULE in command:
            return popen(command, *args, **options)  # type: ignore[call-overload]  # as given
        attempted.append(command)
        raise AssertionError(f"a process was started: {command}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    return attempted
