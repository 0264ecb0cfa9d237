"""The command line, run in-process: bad input is refused before any work, in one line.

Each refusal is ``threadlab: error: <option>: <message>`` on stderr, exit code
2, nothing on stdout, no worker started and no results file written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from threadlab import Result, Spec, SpecError, load_result
from threadlab.orchestrate._plan import plan
from threadlab.worker import workloads

pytestmark = pytest.mark.timeout(30)

WORKERS_EXPECTED = "expected worker counts of 1 or more, comma-separated, like 1,2,8"
SECONDS_EXPECTED = "expected seconds above 0 and at most 86,400, like 30"
WORKLOADS = ", ".join(workloads.names())
STRATEGIES = ", ".join(threadlab.strategy_names())


@pytest.fixture(autouse=True)
def wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)


BAD_INPUT = [
    (["-n", "abc"], f"--workers: 'abc' is not a whole number; {WORKERS_EXPECTED}"),
    (["-n", "0"], f"--workers: '0' is below 1; {WORKERS_EXPECTED}"),
    (["-n", "-1"], f"--workers: '-1' is below 1; {WORKERS_EXPECTED}"),
    (["-n", "1.5"], f"--workers: '1.5' is not a whole number; {WORKERS_EXPECTED}"),
    (["-n", ","], f"--workers: ',' names no worker count; {WORKERS_EXPECTED}"),
    (
        ["-s", "threads", "-n", "20000"],
        "--workers: 20000 is above the safe limit of 10000 workers for threads; "
        "pass --max-workers 20000 to allow it",
    ),
    (
        ["-w", "slep"],
        f"--workload: unknown workload 'slep'; did you mean 'sleep'? expected one of: {WORKLOADS}",
    ),
    (
        ["-s", "thread"],
        f"--strategy: unknown strategy 'thread'; did you mean 'threads'? expected one of: {STRATEGIES}",
    ),
    (
        ["-w", "count", "-s", "asyncio"],
        "--strategy: workload 'count' cannot run on 'asyncio': its task is a blocking function, "
        "which would stall the event loop; asyncio runs async workloads (http, mixed, sleep)",
    ),
    (
        ["-p", "duraton=1"],
        "--param: unknown parameter 'duraton' for workload sleep, strategy sequential, strategy threads; "
        "did you mean 'duration'? accepted: duration, inner_threads",
    ),
    (
        ["-p", "duration=abc"],
        "--param: duration='abc' is not accepted; "
        "expected a number from 0 to 86400 (seconds each task waits)",
    ),
    (
        ["-p", "duration=-1"],
        "--param: duration='-1' is not accepted; expected a number from 0 to 86400 (seconds each task waits)",
    ),
    (["-p", "duration"], "--param: 'duration' is not accepted; expected key=value, like duration=0.5"),
    (["--repeat", "0"], "--repeat: '0' is below 1; expected a whole number from 1 to 10,000,000"),
    (["--warmup", "-1"], "--warmup: '-1' is below 0; expected a whole number from 0 to 10,000,000"),
    (["--tasks", "x"], "--tasks: 'x' is not a whole number; expected a whole number from 1 to 10,000,000"),
    (["--max-workers", "0"], "--max-workers: '0' is below 1; expected a whole number from 1 to 10,000,000"),
    (["--timeout", "0"], f"--timeout: '0' is not accepted; {SECONDS_EXPECTED}"),
    (["--timeout", "soon"], f"--timeout: 'soon' is not accepted; {SECONDS_EXPECTED}"),
    (
        ["--precision", "2"],
        "--precision: '2' is not accepted; expected a share above 0 and below 1, like 0.05 or 5%",
    ),
    (
        ["--precision", "0%"],
        "--precision: '0%' is not accepted; expected a share above 0 and below 1, like 0.05 or 5%",
    ),
    (["--max-time", "0"], f"--max-time: '0' is not accepted; {SECONDS_EXPECTED}"),
    (["--max-time", "later"], f"--max-time: 'later' is not accepted; {SECONDS_EXPECTED}"),
    # Refused by the Python API, which names its parameter; the CLI names the flag.
    (
        ["--scheduler", "tcp://127.0.0.1:1"],
        "--scheduler: 'tcp://127.0.0.1:1' is for the dask strategy, which is not among the strategies",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(args) for args, _ in BAD_INPUT])
def test_bad_input_is_refused_in_one_line_before_any_work(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    no_workers: list[object],
    tmp_path: Path,
) -> None:
    out_file = tmp_path / "results.json"
    options = ["-w", "sleep", *args] if "-w" not in args else args

    code, out, err = threadlab_cli(capsys, "run", *options, "-o", str(out_file))

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: {message}\n"
    assert no_workers == []
    assert list(tmp_path.iterdir()) == []


def test_an_output_path_that_cannot_be_written_is_refused(
    capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", "-o", "/nonexistent/dir/x.json")

    assert (code, out) == (2, "")
    assert (
        err == "threadlab: error: --out: cannot write '/nonexistent/dir/x.json': No such file or directory\n"
    )
    assert no_workers == []


def test_an_output_path_that_is_a_directory_is_refused(
    capsys: pytest.CaptureFixture[str], no_workers: list[object], tmp_path: Path
) -> None:
    code, _, err = threadlab_cli(capsys, "run", "-w", "sleep", "-o", str(tmp_path))

    assert code == 2
    assert err == (
        f"threadlab: error: --out: cannot write {str(tmp_path)!r}: it is a directory; expected a file path\n"
    )
    assert no_workers == []


def test_the_api_names_its_parameter_where_the_cli_names_the_flag(no_workers: list[object]) -> None:
    with pytest.raises(
        SpecError,
        match=(
            r"^scheduler: 'tcp://127\.0\.0\.1:1' is for the dask strategy, "
            r"which is not among the strategies$"
        ),
    ):
        threadlab.run("sleep", "threads", 2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(
        SpecError, match=r"^precision: 1\.5 is not accepted; expected a share below 1, like 0\.05$"
    ):
        threadlab.run("sleep", "threads", 2, precision=1.5)
    with pytest.raises(
        SpecError, match=r"^max_time: 0 is not accepted; expected seconds above 0, at most 86,400$"
    ):
        threadlab.run("sleep", "threads", 2, max_time=0)
    assert no_workers == []


def test_max_workers_lifts_the_safe_limit() -> None:
    spec = Spec(
        workloads=("sleep",),
        strategies=("threads",),
        workers=(20000,),
        max_workers=20000,
        python=sys.executable,
    )
    (point,) = plan(spec)
    assert (point.strategy, point.workers, point.tasks) == ("threads", 20000, 20000)
    with pytest.raises(
        SpecError, match=r"^workers: 20000 is above the safe limit of 10000 workers for threads;"
    ):
        plan(Spec(workloads=("sleep",), strategies=("threads",), workers=(20000,), python=sys.executable))


def test_debug_shows_the_traceback_of_a_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = threadlab_cli(capsys, "--debug", "run", "-w", "slep")

    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    # The traceback is the API's error, naming its parameter; the CLI's line names the flag.
    assert "threadlab._errors.SpecError: workloads: unknown workload 'slep';" in err
    assert re.fullmatch(r"threadlab: error: --workload: unknown workload 'slep'; .*", lines[-1])


def test_an_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = threadlab_cli(capsys, "run", "-w", "sleep", "--wrokers", "2")

    assert (code, out) == (2, "")
    # The wording after "error:" is click's own; its form is threadlab's.
    assert err.startswith("threadlab run: error: No such option")
    assert "--wrokers" in err
    assert len(err.splitlines()) == 1


THREADLAB_COMMAND = Path(sys.executable).parent / "threadlab"  # the console script of this environment


@pytest.mark.skipif(not THREADLAB_COMMAND.exists(), reason=f"no threadlab command at {THREADLAB_COMMAND}")
@pytest.mark.parametrize("args", [["--version"], ["strategies"], ["no-such-command"]], ids=" ".join)
def test_python_m_threadlab_is_the_threadlab_command(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}

    def run(*command: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False
        )
        return done.returncode, done.stdout, done.stderr

    as_module = run(sys.executable, "-m", "threadlab")

    assert as_module == run(str(THREADLAB_COMMAND))
    assert as_module[0] == (2 if args == ["no-such-command"] else 0)
    assert as_module[1 if as_module[0] == 0 else 2] != ""


@pytest.mark.parametrize(
    ("command", "names"), [("workloads", workloads.names()), ("strategies", threadlab.strategy_names())]
)
def test_the_catalogues_list_every_name_and_whether_it_runs_here(
    command: str, names: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = threadlab_cli(capsys, command)

    assert (code, err) == (0, "")
    listed = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert listed == list(names)
    runs_here = [
        line.split(None, 2)[2].strip() for line in out.splitlines() if line.strip().startswith("runs here")
    ]
    assert len(runs_here) == len(names)
    assert all(answer == "yes" or answer.startswith("no: ") for answer in runs_here)


def test_show_prints_the_table_of_a_results_file(
    small_run: tuple[Result, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, results = small_run

    code, out, err = threadlab_cli(capsys, "show", str(results))

    assert (code, err) == (0, "")
    header = next(line for line in out.splitlines() if line.split()[:1] == ["point"])
    assert header.split() == [
        "point",
        "wall",
        "min–max",
        "tasks/s",
        "speedup",
        "95%",
        "CI",
        "CPU/wall",
        "peak",
        "RSS",
        "status",
    ]
    rows = [line.strip() for line in out.splitlines() if line.strip().startswith("sleep · ")]
    assert [row.rsplit(None, 1)[-1] for row in rows] == ["ok"] * 4
    assert [re.split(r"\s{2,}", row)[0] for row in rows] == [
        "sleep · sequential ×1",
        "sleep · sequential ×1 (2 tasks)",
        "sleep · threads ×1",
        "sleep · threads ×2",
    ]


def test_show_of_a_missing_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"

    code, out, err = threadlab_cli(capsys, "show", str(missing))

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: cannot read {str(missing)!r}: No such file or directory\n"


def test_a_run_prints_its_table_and_writes_its_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "results.json"

    code, out, err = threadlab_cli(
        capsys,
        "run",
        "-w",
        "sleep",
        "-s",
        "threads",
        "-n",
        "2",
        "-p",
        "duration=0.01",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--max-time",
        "0.1",
        "-o",
        str(out_file),
    )

    assert code == 0
    # The compact table (the default): the point under its workload and Python.
    assert re.search(r"^sleep \[[^]]+\] *\n  threads ×2 ", out, re.MULTILINE), out
    assert err == f"Results written to {out_file}\n"
    saved = load_result(out_file)
    assert saved.spec.max_time_s == 0.1
    # Out of time at once: exactly --repeat rounds, one sample each.
    assert [len(m.samples) for m in saved.measurements] == [1]
    assert [(r.rounds, r.ended) for r in saved.rounds] == [(1, "time")]
