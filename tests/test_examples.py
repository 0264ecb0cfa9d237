"""Run the classic demo scripts in examples/ as a user would and check their output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOTAL_LINE = re.compile(r"^Total execution time: (\d+\.\d\d) seconds$")


def run_example(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def reported_seconds(result: subprocess.CompletedProcess[str]) -> float:
    """Check the run succeeded and return the time from its last stdout line."""
    assert result.returncode == 0, result.stderr
    last_line = result.stdout.splitlines()[-1]
    match = TOTAL_LINE.match(last_line)
    assert match, f"unexpected last line: {last_line!r}"
    return float(match.group(1))


@pytest.mark.timeout(60)
def test_one_worker() -> None:
    assert reported_seconds(run_example("one_worker.py")) >= 1.0


@pytest.mark.timeout(60)
def test_two_workers_sequence() -> None:
    assert reported_seconds(run_example("two_workers_sequence.py")) >= 2.0


@pytest.mark.timeout(60)
def test_multiple_thread_default() -> None:
    assert reported_seconds(run_example("multiple_thread.py")) >= 1.0


@pytest.mark.timeout(60)
def test_multiple_thread_sleeps_overlap() -> None:
    seconds = reported_seconds(run_example("multiple_thread.py", "50"))
    assert 1.0 <= seconds < 1.9


@pytest.mark.timeout(60)
def test_multiple_thread_runs_from_inside_examples() -> None:
    result = subprocess.run(
        [sys.executable, "multiple_thread.py", "3"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
        cwd=EXAMPLES,
    )
    assert reported_seconds(result) >= 1.0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("threads", ["1", "3"])
def test_multiple_cpu_thread(threads: str) -> None:
    result = run_example("multiple_cpu_thread.py", threads, "--iterations", "100000")
    reported_seconds(result)
    assert "x 100_000 iterations each" in result.stdout


@pytest.mark.timeout(60)
@pytest.mark.parametrize("script", ["multiple_thread.py", "multiple_cpu_thread.py"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc", "is not a whole number"),
        ("0", "is less than 1"),
        ("-1", "is less than 1"),
        ("1.5", "is not a whole number"),
    ],
)
def test_bad_thread_count(script: str, value: str, problem: str) -> None:
    result = run_example(script, value)
    assert result.returncode == 2
    assert result.stdout == ""
    error_line = result.stderr.splitlines()[-1]
    assert error_line == (
        f"{script}: error: argument N: '{value}' {problem}; expected a thread count of 1 or more"
    )


@pytest.mark.timeout(60)
def test_thread_count_is_capped() -> None:
    result = run_example("multiple_thread.py", "20000")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "multiple_thread.py: error: argument N: '20000' is more than 10000 threads; "
        "this demo is capped at 10000 threads, so use 1 to 10000"
    )


@pytest.mark.timeout(60)
def test_bad_iterations() -> None:
    result = run_example("multiple_cpu_thread.py", "2", "--iterations", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "multiple_cpu_thread.py: error: argument --iterations: '0' is less than 1; "
        "expected an iteration count of 1 or more"
    )
