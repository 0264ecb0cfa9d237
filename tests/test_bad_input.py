"""Bad input, command by command: refused in one line, exit code 2, before any worker starts.

One table of bad options, bad values, values out of range, unknown names,
huge numbers, NaN and infinities, empty strings, 100,000-character values,
unwritable output paths and control characters, across every subcommand.
Each case runs the CLI in this process (``cli_runner``) with the worker's
launch replaced by a failure, and asserts what a user sees: exit code 2,
nothing on stdout, exactly one line on stderr, short, without a traceback or
a raw control character.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import threadlab
from cli_runner import threadlab_cli
from threadlab import SpecError
from threadlab.orchestrate import _plan, _runner
from threadlab.worker import workloads as workload_registry
from threadlab.worker._params import Param
from threadlab.worker.strategies import Strategy
from threadlab.worker.workloads import Workload

pytestmark = pytest.mark.timeout(30)

HERE = Path(__file__).resolve().parent
SMALL = str(HERE / "data" / "results-small.json")
NOT_JSON = str(HERE / "cli_runner.py")
TARGET = f"{HERE / 'fixtures' / 'advise_targets.py'}:python_loop"
MISSING_DIR = "/nonexistent-threadlab-dir/out"
HUGE = "a" * 100_000
HUGE_NUMBER = "9" * 100_000
ESCAPES = "x\x1b[2J\x1b]0;title\x07"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# A line of the error is at most this long: every value it echoes is cut to about 80 characters.
LONGEST_LINE = 600

RUN = ("run", "-w", "sleep", "-p", "duration=0.01", "-q")
ADVISE = ("advise", TARGET, "-q")


def case(case_id: str, *args: str, marks: pytest.MarkDecorator | tuple[()] = ()) -> Any:
    """One row of the table: the arguments after ``threadlab``, named ``case_id``."""
    return pytest.param(args, id=case_id, marks=marks)


CASES = [
    # --- run: workloads and strategies -------------------------------------------------------------
    case("run-w-empty", "run", "-w", "", "-q"),
    case("run-w-commas", "run", "-w", ",,", "-q"),
    case("run-w-unknown", "run", "-w", "slep", "-q"),
    case("run-w-huge", "run", "-w", HUGE, "-q"),
    case("run-w-escapes", "run", "-w", ESCAPES, "-q"),
    case("run-w-markup", "run", "-w", "[bold]nosuch[/b]", "-q"),
    case("run-w-no-module", "run", "-w", "no_such_module_threadlab:f", "-q"),
    case("run-w-no-file", "run", "-w", "/nonexistent-threadlab/f.py:g", "-q"),
    case("run-w-missing", "run", "-q"),
    case("run-s-empty", *RUN, "-s", ""),
    case("run-s-unknown", *RUN, "-s", "thread"),
    case("run-s-huge", *RUN, "-s", HUGE),
    case("run-s-escapes", *RUN, "-s", ESCAPES),
    case("run-pair-unsupported", "run", "-w", "count", "-s", "asyncio", "-q"),
    # --- run: counts -------------------------------------------------------------------------------
    case("run-n-empty", *RUN, "-n", ""),
    case("run-n-zero", *RUN, "-n", "0"),
    case("run-n-negative", *RUN, "-n", "-1"),
    case("run-n-fraction", *RUN, "-n", "1.5"),
    case("run-n-word", *RUN, "-n", "two"),
    case("run-n-item-empty", *RUN, "-n", "1,,x"),
    case("run-n-overflow", *RUN, "-n", "99999999999999999999999999"),
    case("run-n-huge", *RUN, "-n", HUGE_NUMBER),
    case("run-n-above-safe", *RUN, "-s", "threads", "-n", "100000"),
    case("run-n-nan", *RUN, "-n", "nan"),
    case("run-tasks-zero", *RUN, "--tasks", "0"),
    case("run-tasks-negative", *RUN, "--tasks", "-5"),
    case("run-tasks-exponent", *RUN, "--tasks", "1e3"),
    case("run-tasks-overflow", *RUN, "--tasks", "99999999999999999999999999"),
    case("run-tasks-above-most", *RUN, "--tasks", "10000001"),
    case("run-tasks-huge", *RUN, "--tasks", HUGE_NUMBER),
    case("run-tasks-nan", *RUN, "--tasks", "nan"),
    case("run-tasks-empty", *RUN, "--tasks", ""),
    case("run-repeat-zero", *RUN, "--repeat", "0"),
    case("run-repeat-fraction", *RUN, "--repeat", "1.5"),
    case("run-repeat-above-most", *RUN, "--repeat", "99999999999"),
    case("run-warmup-negative", *RUN, "--warmup", "-1"),
    case("run-warmup-word", *RUN, "--warmup", "x"),
    case("run-max-workers-zero", *RUN, "--max-workers", "0"),
    case("run-max-workers-word", *RUN, "--max-workers", "x"),
    case("run-max-workers-above-most", *RUN, "--max-workers", "99999999999"),
    # --- run: precision and time --------------------------------------------------------------------
    case("run-precision-zero", *RUN, "--precision", "0"),
    case("run-precision-one", *RUN, "--precision", "1"),
    case("run-precision-two", *RUN, "--precision", "2"),
    case("run-precision-negative", *RUN, "--precision", "-0.1"),
    case("run-precision-nan", *RUN, "--precision", "nan"),
    case("run-precision-inf", *RUN, "--precision", "inf"),
    case("run-precision-empty", *RUN, "--precision", ""),
    case("run-precision-word", *RUN, "--precision", "tight"),
    case("run-precision-100-percent", *RUN, "--precision", "100%"),
    case("run-precision-percent-twice", *RUN, "--precision", "5%%"),
    case("run-precision-huge", *RUN, "--precision", HUGE),
    case("run-max-time-zero", *RUN, "--max-time", "0"),
    case("run-max-time-negative", *RUN, "--max-time", "-1"),
    case("run-max-time-nan", *RUN, "--max-time", "nan"),
    case("run-max-time-inf", *RUN, "--max-time", "inf"),
    case("run-max-time-1e300", *RUN, "--max-time", "1e300"),
    case("run-max-time-above-a-day", *RUN, "--max-time", "86401"),
    case("run-max-time-empty", *RUN, "--max-time", ""),
    case("run-max-time-huge", *RUN, "--max-time", HUGE_NUMBER),
    case("run-timeout-zero", *RUN, "--timeout", "0"),
    case("run-timeout-word", *RUN, "--timeout", "soon"),
    case("run-timeout-1e9", *RUN, "--timeout", "1e9"),
    # --- run: parameters ----------------------------------------------------------------------------
    case("param-duration-1e300", *RUN, "-p", "duration=1e300"),
    case("param-duration-negative", *RUN, "-p", "duration=-1"),
    case("param-duration-nan", *RUN, "-p", "duration=nan"),
    case("param-duration-inf", *RUN, "-p", "duration=inf"),
    case("param-duration-minus-inf", *RUN, "-p", "duration=-inf"),
    case("param-duration-empty", *RUN, "-p", "duration="),
    case("param-duration-word", *RUN, "-p", "duration=abc"),
    case("param-duration-above-a-day", *RUN, "-p", "duration=86401"),
    case("param-duration-huge", *RUN, "-p", f"duration={HUGE_NUMBER}"),
    case("param-duration-escapes", *RUN, "-p", f"duration={ESCAPES}"),
    case("param-unknown", *RUN, "-p", "nosuch=1"),
    case("param-no-key", *RUN, "-p", "=1"),
    case("param-no-equals", *RUN, "-p", "duration"),
    case("param-huge-key", *RUN, "-p", f"{HUGE}=1"),
    case("param-hash-mb-1e12", "run", "-w", "hash", "-p", "mb=1e12", "-q"),
    case("param-hash-mb-zero", "run", "-w", "hash", "-p", "mb=0", "-q"),
    case("param-hash-mb-negative", "run", "-w", "hash", "-p", "mb=-1", "-q"),
    case("param-hash-mb-nan", "run", "-w", "hash", "-p", "mb=nan", "-q"),
    case("param-hash-mb-past-memory", "run", "-w", "hash", "-p", "mb=1000000", "-q"),
    case("param-compress-level-10", "run", "-w", "compress", "-p", "level=10", "-q"),
    case("param-compress-level-fraction", "run", "-w", "compress", "-p", "level=1.5", "-q"),
    case("param-compress-mb-1e400", "run", "-w", "compress", "-p", "mb=1e400", "-q"),
    case("param-count-iterations-zero", "run", "-w", "count", "-p", "iterations=0", "-q"),
    case("param-count-iterations-1e12", "run", "-w", "count", "-p", "iterations=1e12", "-q"),
    case("param-count-iterations-fraction", "run", "-w", "count", "-p", "iterations=1.5", "-q"),
    case("param-count-iterations-overflow", "run", "-w", "count", "-p", f"iterations={'9' * 30}", "-q"),
    case("param-mixed-rounds-zero", "run", "-w", "mixed", "-p", "rounds=0", "-q"),
    case("param-mixed-rounds-above-most", "run", "-w", "mixed", "-p", "rounds=10000001", "-q"),
    case("param-mixed-io-above-an-hour", "run", "-w", "mixed", "-p", "io=3601", "-q"),
    case("param-file-io-mb-5000", "run", "-w", "file-io", "-p", "mb=5000", "-q"),
    case("param-file-io-fsync-maybe", "run", "-w", "file-io", "-p", "fsync=maybe", "-q"),
    case("param-http-port", "run", "-w", "http", "-p", "port=70000", "-q"),
    case("param-http-latency-negative", "run", "-w", "http", "-p", "latency=-1", "-q"),
    case("param-http-kb-zero", "run", "-w", "http", "-p", "kb=0", "-q"),
    case("param-http-bandwidth-1e10", "run", "-w", "http", "-p", "bandwidth=1e10", "-q"),
    case("param-http-timeout-zero", "run", "-w", "http", "-p", "timeout=0", "-q"),
    case("param-http-timeout-above-a-day", "run", "-w", "http", "-p", "timeout=1e6", "-q"),
    case("param-http-client-unknown", "run", "-w", "http", "-p", "client=curl", "-q"),
    case("param-http-connections-zero", "run", "-w", "http", "-p", "connections=0", "-q"),
    case("param-processes-start-method", *RUN, "-s", "processes", "-p", "start_method=teleport"),
    # --- run: Pythons, GIL, output, options ---------------------------------------------------------
    case("run-python-version-unknown", *RUN, "--python", "9.99"),
    case("run-python-path-missing", *RUN, "--python", "/nonexistent-threadlab/python3"),
    case("run-python-huge", *RUN, "--python", HUGE),
    case("run-python-empty", *RUN, "--python", ""),
    case("run-python-escapes", *RUN, "--python", ESCAPES),
    case("run-gil-maybe", *RUN, "--gil", "maybe"),
    case("run-gil-empty", *RUN, "--gil", ""),
    case("run-gil-huge", *RUN, "--gil", HUGE),
    case("run-out-missing-dir", *RUN, "--out", f"{MISSING_DIR}/r.json"),
    case("run-out-a-directory", *RUN, "--out", "/"),
    case("run-scheduler-without-dask", *RUN, "--scheduler", "tcp://127.0.0.1:1"),
    case("run-unknown-option", *RUN, "--bogus"),
    case("run-huge-option", *RUN, f"--{HUGE}"),
    case("run-extra-argument", *RUN, "extra"),
    # --- advise -------------------------------------------------------------------------------------
    case("advise-no-target", "advise", "-q"),
    case("advise-no-module", "advise", "no_such_module_threadlab:f", "-q"),
    case("advise-huge-target", "advise", HUGE, "-q"),
    case("advise-not-a-target", "advise", "sleep", "-q"),
    case("advise-args-not-json", *ADVISE, "--args", "[1,"),
    case("advise-args-not-a-list", *ADVISE, "--args", '{"a": 1}'),
    case("advise-args-and-inputs", *ADVISE, "--args", "[1]", "--inputs", "m:x"),
    case("advise-budget-zero", *ADVISE, "--budget", "0"),
    case("advise-budget-nan", *ADVISE, "--budget", "nan"),
    case("advise-budget-1e300", *ADVISE, "--budget", "1e300"),
    case("advise-precision-zero", *ADVISE, "--precision", "0"),
    case("advise-tasks-zero", *ADVISE, "--tasks", "0"),
    case("advise-tasks-overflow", *ADVISE, "--tasks", "99999999999999999999"),
    case("advise-repeat-zero", *ADVISE, "--repeat", "0"),
    case("advise-warmup-negative", *ADVISE, "--warmup", "-1"),
    case("advise-python-unknown", *ADVISE, "--python", "9.99"),
    case("advise-gil-maybe", *ADVISE, "--gil", "maybe"),
    case("advise-out-missing-dir", *ADVISE, "--out", f"{MISSING_DIR}/a.json"),
    # --- tour ---------------------------------------------------------------------------------------
    case("tour-python-unknown", "tour", "--quick", "-q", "--python", "9.99"),
    case("tour-python-missing", "tour", "--quick", "-q", "--python", "/nonexistent-threadlab/python3"),
    case("tour-out-missing-dir", "tour", "--quick", "-q", "--out", f"{MISSING_DIR}/t.json"),
    case("tour-unknown-option", "tour", "--bogus"),
    case("tour-extra-argument", "tour", "extra"),
    # --- show ---------------------------------------------------------------------------------------
    case("show-format-unknown", "show", SMALL, "--format", "cvs"),
    case("show-format-empty", "show", SMALL, "--format", ""),
    case("show-format-huge", "show", SMALL, "-f", HUGE),
    case("show-format-escapes", "show", SMALL, "-f", ESCAPES),
    case("show-no-file", "show"),
    case("show-missing-file", "show", "/nonexistent-threadlab/r.json"),
    case("show-a-directory", "show", "/"),
    case("show-not-json", "show", NOT_JSON),
    # --- plot ---------------------------------------------------------------------------------------
    case("plot-kind-unknown", "plot", SMALL, "--kind", "pie", "-o", "p.svg"),
    case("plot-out-jpg", "plot", SMALL, "-o", "p.jpg"),
    case("plot-out-no-suffix", "plot", SMALL, "-o", "p"),
    case("plot-out-missing", "plot", SMALL),
    case("plot-out-missing-dir", "plot", SMALL, "-o", f"{MISSING_DIR}/p.svg"),
    case("plot-point-not-timeline", "plot", SMALL, "--point", "7", "-o", "p.svg"),
    case("plot-point-zero", "plot", SMALL, "-k", "timeline", "--point", "0", "-o", "p.svg"),
    case("plot-point-past-the-end", "plot", SMALL, "-k", "timeline", "--point", "999", "-o", "p.svg"),
    case("plot-point-word", "plot", SMALL, "-k", "timeline", "--point", "x", "-o", "p.svg"),
    case("plot-point-empty", "plot", SMALL, "-k", "timeline", "--point", "", "-o", "p.svg"),
    case("plot-point-huge", "plot", SMALL, "-k", "timeline", "--point", HUGE_NUMBER, "-o", "p.svg"),
    case("plot-missing-file", "plot", "/nonexistent-threadlab/r.json", "-o", "p.svg"),
    # --- compare ------------------------------------------------------------------------------------
    case("compare-fail-slower-negative", "compare", SMALL, SMALL, "--fail-slower", "-1"),
    case("compare-fail-slower-nan", "compare", SMALL, SMALL, "--fail-slower", "nan"),
    case("compare-fail-slower-word", "compare", SMALL, SMALL, "--fail-slower", "abc"),
    case("compare-format-html", "compare", SMALL, SMALL, "--format", "html"),
    case("compare-one-file", "compare", SMALL),
    case("compare-missing-file", "compare", SMALL, "/nonexistent-threadlab/r.json"),
    case("compare-not-json", "compare", NOT_JSON, SMALL),
    # --- report -------------------------------------------------------------------------------------
    case("report-no-file", "report"),
    case("report-out-missing-dir", "report", SMALL, "-o", f"{MISSING_DIR}/r.html"),
    case("report-out-a-directory", "report", SMALL, "-o", "/"),
    case("report-missing-file", "report", "/nonexistent-threadlab/r.json", "-o", "r.html"),
    # --- the listings and the command itself ------------------------------------------------------
    case("workloads-extra-argument", "workloads", "extra"),
    case("workloads-unknown-option", "workloads", "--bogus"),
    case("strategies-extra-argument", "strategies", "extra"),
    case("strategies-unknown-option", "strategies", "--bogus"),
    case("interpreters-extra-argument", "interpreters", "extra"),
    case("interpreters-unknown-option", "interpreters", "--bogus"),
    case("unknown-option", "--bogus"),
    case("unknown-command", "runn"),
    case("huge-command", HUGE),
]


@pytest.fixture(autouse=True)
def no_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail the test if a worker starts (the launch is replaced), and check none did after it."""
    started: list[str] = []

    def refuse(*args: object, **kwargs: object) -> list[str]:
        started.append(repr(args))
        raise AssertionError("a worker was started for bad input")

    monkeypatch.setattr(_runner, "worker_command", refuse)
    yield started
    assert started == []


@pytest.mark.parametrize("args", CASES)
def test_bad_input_is_refused_in_one_line_before_any_work(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # what a case might write lands here
    monkeypatch.setenv("THREADLAB_CACHE_DIR", str(tmp_path / "cache"))

    code, out, err = threadlab_cli(capsys, *args)

    assert (code, out) == (2, ""), err[:2000]
    lines = err.splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith("threadlab"), lines[0][:200]
    assert "Traceback" not in err
    assert len(lines[0]) <= LONGEST_LINE, lines[0][:200]
    assert CONTROL.search(lines[0]) is None, lines[0][:200]


def test_the_table_is_long_enough() -> None:
    assert len(CASES) >= 100
    assert len({p.id for p in CASES}) == len(CASES)


# --- ranges, through the Python API ---------------------------------------------------------------


def _numbers() -> list[tuple[str, Param]]:
    """Every numeric parameter of every workload and strategy (dask's included), named owner.param."""
    owners: list[Workload | Strategy] = [workload_registry.get(name) for name in workload_registry.names()]
    owners += [threadlab.strategy(name) for name in threadlab.strategy_names()]
    return [
        (f"{owner.name}.{param.name}", param)
        for owner in owners
        for param in owner.params
        if param.kind in ("int", "float")
    ]


@pytest.mark.parametrize(("name", "param"), _numbers(), ids=[name for name, _ in _numbers()])
def test_every_number_a_workload_or_strategy_takes_has_a_maximum(name: str, param: Param) -> None:
    assert param.maximum is not None, name
    with pytest.raises(ValueError, match=r"is not accepted; expected .*(to|at most) "):
        param.parse(repr(param.maximum * 10 + 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"params": {"duration": 1e300}},
            r"^params: duration='1e\+300' is not accepted; expected a number from 0 ",
        ),
        # Refused by the spec's own declaration, before the planner's check of each parameter.
        (
            {"params": {"duration": math.nan}},
            r"^run\(\): params\.duration: expected a finite number, a string, true or false, found NaN$",
        ),
        (
            {"params": {"duration": 10**400}},
            r"^params: duration='1000000000000.*' \(401 characters\) is not",
        ),
        ({"tasks": 10**7 + 1}, r"^tasks: 10,000,001 is above 10,000,000; expected at most"),
        (
            {"tasks": 10**20},
            r"^run\(\): tasks: expected a whole number from 1 to 2\*\*53, or null, found 1000+$",
        ),
        ({"workers": 10**8}, r"^workers: 100,000,000 is above 10,000,000; expected at most"),
    ],
    ids=["duration-1e300", "duration-nan", "duration-10**400", "tasks", "tasks-10**20", "workers"],
)
def test_the_python_api_refuses_values_out_of_range_before_any_worker(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"workers": 1, **kwargs}
    workers = arguments.pop("workers")

    with pytest.raises(SpecError, match=message):
        threadlab.run("sleep", "sequential", workers, max_time=1, **arguments)


def test_megabytes_held_are_checked_against_the_memory_available(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_plan, "available_memory", lambda: 512 * 1024 * 1024)

    code, out, err = threadlab_cli(capsys, "run", "-w", "hash", "-p", "mb=600", "-q")

    assert (code, out) == (2, "")
    assert err == (
        "threadlab: error: --param: mb=600 needs 600.0 MiB of memory and this machine has 512.0 MiB "
        "available; expected at most 512 (megabytes hashed per task)\n"
    )


def test_available_memory_is_a_positive_number_of_bytes_where_it_can_be_read() -> None:
    free = _plan.available_memory()

    assert free is None or free > 0


def test_a_value_echoed_in_an_error_is_cut_to_80_characters(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = threadlab_cli(capsys, "run", "-w", HUGE, "-q")

    assert code == 2
    assert err == (
        f"threadlab: error: --workload: unknown workload '{'a' * 80}…' (100,000 characters); "
        "expected one of: compress, count, file-io, hash, http, locked, matmul, mixed, sleep\n"
    )
