"""The progress bar of long commands: on a terminal it shows the point starting, then the
group's round and the precision reached, and the time elapsed; ``--quiet`` silences it; in
pipes and logs the output is clean, with no bar and no escape codes.

Each test starts ``threadlab run`` as a real process, its stderr a pseudo-terminal
or a pipe, as a person's shell or a CI log would give it.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from rich.console import Console

import threadlab
from conftest import FIXTURES
from threadlab import cli
from threadlab.cli import main
from threadlab.orchestrate._progress import Progress, RoundProgress, RunDone

pytestmark = pytest.mark.timeout(60)

RUN = [
    *("run", "-w", "sleep", "-s", "threads", "-n", "1,2"),
    *("-p", "duration=0.25", "--repeat", "2", "--warmup", "0", "--max-time", "0.5"),
]
ANSI = re.compile(r"\x1b\[")
ELAPSED = re.compile(r"\d+:\d\d:\d\d")


def clean_environment() -> dict[str, str]:
    """This environment without what forces rich's hand (colour, terminal), with a known terminal type."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS")
    }
    environment["TERM"] = "xterm-256color"
    return environment


def threadlab_process(args: list[str], *, stderr_terminal: bool) -> tuple[int, str, str]:
    """Run threadlab in a new process, stdout a pipe, stderr a pseudo-terminal or a pipe."""
    command = [sys.executable, "-c", "from threadlab.cli import main; main()", *args]
    if not stderr_terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=50, env=clean_environment())
        return done.returncode, done.stdout, done.stderr
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL, env=clean_environment()
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the process closed its end of the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=10), out, shown.decode(errors="replace")


def test_on_a_terminal_the_bar_shows_each_start_then_the_rounds_and_the_time() -> None:
    code, out, err = threadlab_process(RUN, stderr_terminal=True)

    assert code == 0
    # The bar names each point as the tables do (one naming function, Swept.point_label).
    assert "starting sleep · threads ×1" in err
    assert "starting sleep · threads ×2" in err
    # Both points are one group, measured in rounds: the bar follows the group's rounds.
    assert re.search(r"\[1/1\] sleep: round 1, ±\d+\.\d% \(asked ±5%\)", err)
    assert ELAPSED.search(err)
    assert ANSI.search(err)  # a live bar redraws itself
    assert not ANSI.search(out)  # stdout is a pipe: the table stays plain
    assert "\n  threads ×2 " in out  # the compact table, its rows under "sleep [python]"


def test_quiet_silences_the_bar_even_on_a_terminal() -> None:
    code, out, err = threadlab_process([*RUN, "--quiet"], stderr_terminal=True)

    assert code == 0
    assert "[1/1]" not in err
    assert "starting" not in err
    assert "━" not in err
    assert "\n  threads ×2 " in out


def test_in_pipes_there_is_no_bar_and_no_escape_code() -> None:
    code, out, err = threadlab_process(RUN, stderr_terminal=False)

    assert (code, err) == (0, "")
    assert not ANSI.search(out)
    assert "[1/1]" not in out
    assert "\n  threads ×2 " in out


class Started(Exception):
    """Raised where a command would start its progress bar: the test has seen what it needs."""


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "not-quiet"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "-w", "sleep", "--max-time", "0.5"],
        ["advise", f"{FIXTURES / 'user_tasks.py'}:record_call", "--budget", "1"],
        ["tour", "--quick"],
    ],
    ids=["run", "advise", "tour"],
)
def test_every_long_command_hands_quiet_to_its_progress_bar(
    command: list[str], quiet: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[bool] = []

    def start(view: object, quiet: bool) -> None:
        seen.append(quiet)
        raise Started

    monkeypatch.setattr(cli._ProgressView, "__init__", start)
    monkeypatch.chdir(tmp_path)  # the tour's default results file, had it got that far
    with pytest.raises(Started):
        main([*command, *(["--quiet"] if quiet else [])])

    assert seen == [quiet]


def test_a_quiet_bar_is_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Console, "is_terminal", property(lambda console: True))

    assert cli._ProgressView(quiet=True).progress.disable
    assert not cli._ProgressView(quiet=False).progress.disable


@pytest.mark.parametrize("command", ["run", "advise", "tour"])
def test_every_long_command_has_quiet(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])

    assert exited.value.code == 0
    assert re.search(r"-q, --quiet\s+No progress bar\.", capsys.readouterr().out)


def test_a_runs_end_is_worded_as_what_ended_its_groups_rounds_and_time() -> None:
    assert RunDone(8, 8, 61, 47.9).line() == "done: 8 groups, 61 rounds in 48 s"
    assert RunDone(1, 1, 1, 5.25).line() == "done: 1 group, 1 round in 5.2 s"
    assert RunDone(3, 8, 20, 12.0, interrupted=True).line() == "interrupted: 3 of 8 groups, 20 rounds in 12 s"


def test_the_runs_end_is_the_last_thing_its_progress_is_told() -> None:
    told: list[object] = []

    class Recording(Progress):
        def round_done(self, where: RoundProgress) -> None:
            told.append(where)

        def run_done(self, where: RunDone) -> None:
            told.append(where)

    result = threadlab.run(
        "sleep",
        ["sequential", "threads"],
        2,
        params={"duration": 0.001},
        repeat=3,
        warmup=0,
        max_time=0.1,
        progress=Recording(),
    )

    assert [type(where) for where in told[:-1]] == [RoundProgress] * len(told[:-1])
    assert told[-1] == RunDone(1, 1, result.rounds[0].rounds, cast(RunDone, told[-1]).elapsed_s)
    assert result.rounds[0].rounds == len(told) - 1 >= 3
