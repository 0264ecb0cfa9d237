"""``threadlab advise`` and ``threadlab.advise()`` on user functions kept in ``fixtures/advise_targets.py``.

Real sweeps with small budgets where the physics cannot be in doubt on a busy
machine: waiting work (sleeps overlap on any number of cores) goes on threads
or asyncio. What the sweep measures is checked on any work: the strategies
that apply, worker counts 2, 4, …, one group measured in interleaved rounds.
What advice computing work gets is never judged live here: a CPU speedup
measured on this machine depends on how many cores the host lends it at the
time. The analysis behind it is tested in ``test_analysis.py``, on synthetic
samples and on results files recorded with ``threadlab run``; the live
figures are printed by ``benchmarks/bench_classify.py``. Then
the edges: coroutine functions, functions that cannot be pickled or imported
by name, functions that raise, and every kind of bad target or input, which
the command line refuses in one line before any work starts.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import FIXTURES, NO_OTHER_PYTHON, OTHER_PYTHON, target
from threadlab import Advice, Recommendation, SpecError
from threadlab.analysis import Kind
from threadlab.cli import main
from threadlab.orchestrate._advise import target_of
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._rounds import MIN_PAIRED_ROUNDS
from threadlab.worker import strategies
from threadlab.worker.workloads._function import load_function

THREADS = ("threads", "thread-pool")
# What advise tries on a blocking function here: interpreters only where this Python has them.
BLOCKING = ["sequential", "threads", "thread-pool", "processes"] + (
    [] if strategies.get("interpreters").unavailable_reason() else ["interpreters"]
)


def advise_target(name: str) -> str:
    return target("advise_targets", name)


def check_recommendation(advice: Advice, name: str) -> Recommendation:
    """The recommendation's fields agree with each other and with what was measured."""
    recommendation = advice.recommendation
    assert recommendation is not None
    assert advice.analysis.recommendations == (recommendation,)
    assert advice.analysis.classifications == (recommendation.classification,)
    assert recommendation.workload == advise_target(name)
    assert recommendation.reasons
    assert recommendation.classification.evidence
    if recommendation.strategy not in (None, "sequential"):
        assert recommendation.workers is not None and recommendation.workers >= 2
        assert recommendation.speedup is not None and recommendation.interval is not None
        low, high = recommendation.interval
        assert low <= recommendation.speedup <= high
        assert f"use {recommendation.strategy} with {recommendation.workers} workers" in recommendation.text
        assert f"{recommendation.speedup:.2f}× (95% CI {low:.2f}–{high:.2f}×)" in recommendation.text
        measured = {(m.point.strategy, m.point.workers) for m in advice.result.measurements}
        assert (recommendation.strategy, recommendation.workers) in measured
    return recommendation


def strategies_measured(advice: Advice) -> list[str]:
    return list(dict.fromkeys(m.point.strategy for m in advice.result.measurements))


def summary(advice: Advice) -> str:
    """What the sweep found, for the message of a failed assertion or a skip."""
    recommendation = advice.recommendation
    if recommendation is None:
        return "no recommendation"
    return (
        f"{recommendation.classification.kind!r}, {recommendation.strategy} ×{recommendation.workers}: "
        f"{recommendation.text} (evidence: {'; '.join(recommendation.classification.evidence)})"
    )


# ---------------------------------------------------------------------------
# Each kind of work, through the Python API


@pytest.mark.timeout(60)
def test_waiting_work_is_io_bound_and_goes_on_threads() -> None:
    advice = threadlab.advise(advise_target("http_like"), budget=6)

    recommendation = check_recommendation(advice, "http_like")
    assert recommendation.classification.kind is Kind.IO, summary(advice)
    assert recommendation.strategy in THREADS, summary(advice)
    assert recommendation.workers is not None and recommendation.workers >= 2
    # Twenty-millisecond sleeps on two or more threads overlap on any number of cores.
    assert recommendation.speedup is not None and recommendation.speedup > 1.3
    assert strategies_measured(advice) == BLOCKING
    assert "not a coroutine function: asyncio does not apply" in advice.notes


@pytest.mark.timeout(60)
def test_the_sweep_is_one_group_of_two_or_more_workers_measured_in_rounds() -> None:
    # What the sweep measures, whatever the machine makes of the loop's speed.
    advice = threadlab.advise(advise_target("python_loop"), budget=6, repeat=2, warmup=0)

    result = advice.result
    assert strategies_measured(advice) == BLOCKING
    points = [(m.point.strategy, m.point.workers) for m in result.measurements]
    assert points[0] == ("sequential", 1)
    # Computing work: worker counts 2, 4, … up to about the cores; no ×1 point but sequential's.
    counts = sorted({workers for strategy, workers in points if strategy != "sequential"})
    assert counts[0] == 2 and all(b == 2 * a for a, b in itertools.pairwise(counts))
    assert len(points) == 1 + len(counts) * (len(BLOCKING) - 1)
    # One task count for all, each point with a sample in every round of the one group.
    assert len({m.point.tasks for m in result.measurements}) == 1
    (rounds,) = result.rounds
    assert rounds.points == tuple(range(len(points)))
    assert rounds.rounds >= 2
    for measurement in result.measurements:
        assert measurement.status == "ok", measurement.errors
        # A point clearly slower than sequential after six paired rounds may be left out of the rest.
        taken = [s.round for s in measurement.samples]
        assert taken == list(range(len(taken)))
        assert len(taken) >= min(rounds.rounds, MIN_PAIRED_ROUNDS)
    assert len(result.measurements[0].samples) == rounds.rounds  # sequential, the baseline: every round
    assert result.spec.strategies == tuple(BLOCKING)
    assert advice.recommendation is not None


@pytest.mark.timeout(60)
def test_a_coroutine_function_is_measured_on_asyncio_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Passed as a function object: it must resolve to "module:function", importable by workers too.
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.setenv("PYTHONPATH", str(FIXTURES))
    import advise_targets

    advice = threadlab.advise(advise_targets.async_wait, budget=5)

    assert strategies_measured(advice) == ["sequential", "asyncio"]
    assert advice.notes[0] == "a coroutine function: measured on asyncio against awaiting one call at a time"
    recommendation = advice.recommendation
    assert recommendation is not None
    assert recommendation.workload == "advise_targets:async_wait"
    assert recommendation.classification.kind is Kind.IO, summary(advice)
    assert recommendation.strategy == "asyncio", summary(advice)
    assert recommendation.workers is not None and recommendation.workers >= 2
    assert recommendation.speedup is not None and recommendation.interval is not None
    low, high = recommendation.interval
    assert 1.3 < low <= recommendation.speedup <= high
    assert f"use asyncio with {recommendation.workers} workers — {recommendation.speedup:.2f}×" in (
        recommendation.text
    )


@pytest.mark.timeout(60)
def test_a_function_that_cannot_be_pickled_skips_processes_with_the_reason() -> None:
    advice = threadlab.advise(advise_target("closure"), tasks=2, repeat=1, warmup=0, budget=6)

    (skipped,) = [note for note in advice.notes if note.startswith("processes skipped: ")]
    assert skipped.startswith("processes skipped: the function cannot be pickled (")
    assert "closure_call" in skipped
    measured = [(m.point.strategy, m.point.workers) for m in advice.result.measurements]
    # Two tasks keep no more than 2 workers busy; one worker is never the advice, so never measured.
    expected = [("sequential", 1), ("threads", 2), ("thread-pool", 2)]
    if "interpreters" in BLOCKING:
        expected.append(("interpreters", 2))
    assert measured == expected


@pytest.mark.timeout(60)
def test_a_function_that_raises_on_every_call_is_refused_at_once() -> None:
    with pytest.raises(
        SpecError, match=r"^advise: every call of the function raised: ValueError: negative input -1$"
    ):
        threadlab.advise(advise_target("fail_on_negative"), args=[-1], tasks=2, repeat=1, warmup=0, budget=4)


@pytest.mark.timeout(60)
def test_the_command_refuses_a_function_that_raises_on_every_call_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [advise_target("fail_on_negative"), "--args", "[-1]", "--budget", "4", "-q"]

    code, out, err = threadlab_cli(capsys, "advise", *args, "-o", str(tmp_path / "results.json"))

    assert (code, out) == (2, "")
    assert (
        err == "threadlab: error: advise: every call of the function raised: ValueError: negative input -1\n"
    )
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# Functions that cannot be imported by name


@pytest.mark.timeout(30)
def test_a_function_of_a_script_run_as_main_resolves_to_its_file(tmp_path: Path) -> None:
    script = tmp_path / "advise_main_script.py"
    script.write_text(
        "from threadlab.orchestrate._advise import target_of\n"
        "\n"
        "def work():\n"
        "    return 42\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    print(target_of(work))\n"
    )

    # Run by a relative path, as a user would: the target must still be absolute.
    done = subprocess.run(
        [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=30, check=True
    )

    assert done.stdout == f"{script}:work\n"
    assert load_function(done.stdout.strip())() == 42


@pytest.mark.timeout(30)
def test_target_of_names_a_module_level_function_by_its_module() -> None:
    assert target_of(load_function) == "threadlab.worker.workloads._function:load_function"
    assert target_of("pkg.mod:f") == "pkg.mod:f"


# ---------------------------------------------------------------------------
# The command line: refusals


REFUSED = [
    pytest.param(
        ["nosuchmodule:f"],
        "TARGET: 'nosuchmodule:f': cannot import 'nosuchmodule': "
        "ModuleNotFoundError: No module named 'nosuchmodule'",
        id="no-such-module",
    ),
    pytest.param(
        [advise_target("nope")],
        f"TARGET: '{advise_target('nope')}': module 'advise_targets' has no attribute 'nope'",
        id="no-such-function",
    ),
    pytest.param(
        ["count"],
        "TARGET: 'count' is not a target; expected package.module:function or path/to/file.py:function",
        id="built-in-workload",
    ),
    pytest.param(
        [advise_target("http_like"), "--args", "{}"],
        "--args: args='{}' is not accepted; expected a JSON list of arguments, like [1, \"a\"]",
        id="args-not-a-list",
    ),
    pytest.param(
        [advise_target("http_like"), "--args", "[1,"],
        "--args: args='[1,' is not accepted; expected a JSON list of arguments, like [1, \"a\"]",
        id="args-not-json",
    ),
    pytest.param(
        [advise_target("fail_on_negative"), "--args", "[1]", "--inputs", advise_target("INPUTS")],
        "--args: --args and --inputs exclude each other; give one of them",
        id="args-and-inputs",
    ),
    pytest.param(
        [advise_target("http_like"), "--budget", "0"],
        "--budget: '0' is not accepted; expected seconds above 0 and at most 86,400, like 30",
        id="budget-zero",
    ),
    pytest.param(
        [advise_target("http_like"), "--precision", "1"],
        "--precision: '1' is not accepted; expected a share above 0 and below 1, like 0.05 or 5%",
        id="precision-one",
    ),
    pytest.param(
        [advise_target("http_like"), "--gil", "off"],
        "--gil: 'off' needs a free-threaded build (3.13t, 3.14t); this Python is built with the GIL",
        id="gil-off-on-a-gil-build",
    ),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"budget": 0.0},
            "budget: 0.0 is not accepted; expected seconds above 0, at most 86,400",
            id="budget",
        ),
        pytest.param(
            {"precision": 1.5},
            "precision: 1.5 is not accepted; expected a share below 1, like 0.05",
            id="precision",
        ),
        pytest.param(
            {"args": [1], "inputs": "m:n"},
            "args: args and inputs exclude each other; give one of them",
            id="args",
        ),
    ],
)
def test_the_api_refuses_bad_values_naming_its_parameter(
    options: dict[str, Any], message: str, no_workers: list[object]
) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        threadlab.advise(advise_target("http_like"), **options)
    assert no_workers == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_bad_input_is_refused_in_one_line_before_any_work(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    no_workers: list[object],
    tmp_path: Path,
) -> None:
    code, out, err = threadlab_cli(capsys, "advise", *args, "-o", str(tmp_path / "results.json"))

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: {message}\n"
    assert no_workers == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("option", "expected"),
    [
        pytest.param(
            [], r"TARGET: '[^']+:NOT_CALLABLE': NOT_CALLABLE is an? int, not a function", id="target"
        ),
        pytest.param(
            ["--inputs"],
            r"--inputs: inputs '[^']+:NOT_CALLABLE' is an? int, not an iterable; expected a list, a tuple, "
            r"a generator or a function returning one",
            id="inputs",
        ),
    ],
)
def test_something_not_callable_or_iterable_is_refused_in_one_line(
    option: list[str], expected: str, capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    args = [advise_target("NOT_CALLABLE")] if not option else [advise_target("http_like"), *option]
    if option:
        args.append(advise_target("NOT_CALLABLE"))

    code, out, err = threadlab_cli(capsys, "advise", *args)

    assert (code, out) == (2, "")
    assert re.fullmatch(f"threadlab: error: {expected}\n", err), err
    assert no_workers == []


# ---------------------------------------------------------------------------
# The command line: a function raising on some inputs, --out, and show


@pytest.fixture(scope="module")
def raising_sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, str, Path]]:
    """``threadlab advise`` of a function that raises on 2 of its 8 inputs, with ``--out``."""
    out_file = tmp_path_factory.mktemp("advise") / "advice.json"
    args = [
        "advise",
        advise_target("fail_on_negative"),
        "--inputs",
        advise_target("INPUTS"),
        "--budget",
        "4",
        "--repeat",
        "2",
        "--warmup",
        "0",
        "-o",
        str(out_file),
    ]
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        pytest.raises(SystemExit) as exited,
    ):
        patch.setenv("COLUMNS", "120")
        main(args)
    code = exited.value.code
    yield (code if isinstance(code, int) else -1), stdout.getvalue(), stderr.getvalue(), out_file


@pytest.mark.timeout(60)
def test_raising_on_some_inputs_is_reported_with_counts_and_the_traceback(
    raising_sweep: tuple[int, str, str, Path],
) -> None:
    code, out, err, out_file = raising_sweep

    assert code == 1  # points with task errors: status "errors"
    assert err == f"Results written to {out_file}\n"
    assert "Problems:" in out
    # 2 of the 8 inputs raise, in every sample (the 2 rounds asked for, or fewer where the budget,
    # a bound, ran out first).
    found = re.search(
        r"^advise_targets\.py:fail_on_negative · sequential ×1 \(8 tasks\): "
        r"task: (\d+) of (\d+) tasks raised$",
        out,
        re.MULTILINE,
    )
    assert found is not None, out
    raised, ran = int(found[1]), int(found[2])
    assert ran >= 8 and ran % 8 == 0 and raised * 4 == ran
    assert "    ValueError: negative input -1" in out.splitlines()

    data = json.loads(out_file.read_text())
    assert {point["status"] for point in data["points"]} == {"errors"}
    first = data["points"][0]["errors"][0]
    assert (first["kind"], first["count"]) == ("task", raised)
    assert len(data["points"][0]["samples"]) * 8 == ran
    assert first["traceback"].startswith("Traceback (most recent call last):")
    assert first["traceback"].rstrip().endswith("ValueError: negative input -1")
    # 8 inputs keep at most 8 workers busy: none measured with more.
    assert all(point["workers"] <= point["tasks"] == 8 for point in data["points"])


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.timeout(60)
def test_out_writes_the_analysis_and_show_prints_the_advice_again(
    raising_sweep: tuple[int, str, str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, out, _, out_file = raising_sweep
    monkeypatch.setenv("COLUMNS", "120")

    data: dict[str, Any] = json.loads(out_file.read_text())
    (recommendation,) = data["analysis"]["recommendations"]
    assert recommendation["workload"] == advise_target("fail_on_negative")
    assert recommendation["classification"]["kind"] in [kind.value for kind in Kind]
    assert recommendation["reasons"]
    assert _words(recommendation["text"]) in _words(out)

    code, shown, err = threadlab_cli(capsys, "show", str(out_file))

    assert (code, err) == (0, "")
    assert "What the measurements say:" in shown
    assert _words(recommendation["text"]) in _words(shown)
    assert Kind(recommendation["classification"]["kind"]).words in _words(shown)


@pytest.mark.timeout(90)
@pytest.mark.skipif(OTHER_PYTHON is None, reason=NO_OTHER_PYTHON)
def test_the_api_advises_under_several_pythons_as_the_cli_does(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    out = tmp_path / "advice.json"

    advice = threadlab.advise(
        advise_target("http_like"), python=[sys.executable, OTHER_PYTHON], budget=12, out=out
    )

    pythons = {m.point.python for m in advice.result.measurements}
    assert pythons == {sys.executable, OTHER_PYTHON}
    # One recommendation per Python, each against the sequential point of its own Python.
    assert len(advice.analysis.recommendations) == 2
    assert len({r.python for r in advice.analysis.recommendations}) == 2
    # The spec in the file is what produced its points: one part per Python, planned in turn.
    saved = threadlab.load_result(out)
    assert len(saved.spec.parts) == 2
    assert plan(saved.spec) == tuple(m.point for m in saved.measurements)


# ---------------------------------------------------------------------------
# Calls of a few microseconds (issue 18)


@pytest.mark.timeout(60)
def test_a_short_call_read_as_parallel_inside_gives_start_to_the_pools_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The crash of issue 18: short calls try pools warm (start=cold,warm), and work read as
    # parallel inside is measured in two parts, the first sequential alone, which takes no start.
    from threadlab.orchestrate import _advise

    monkeypatch.setattr(_advise, "cores_per_call", lambda samples: 2.0)
    monkeypatch.setattr(_advise.os, "cpu_count", lambda: 2)

    advice = threadlab.advise(advise_target("too_short"), budget=3, repeat=2, warmup=0)

    started = {(m.point.strategy, m.point.strategy_params.get("start")) for m in advice.result.measurements}
    assert ("sequential", None) in started
    assert {("processes", "cold"), ("processes", "warm")} <= started
    assert any("native threads inside it" in note for note in advice.notes)


def test_params_taken_keeps_the_workloads_and_the_named_strategies_parameters() -> None:
    from threadlab.orchestrate._plan import params_taken

    params = {"args": "[1]", "start": "cold,warm", "inner_threads": 1}
    assert params_taken(params, ("sequential",)) == {"args": "[1]", "inner_threads": 1}
    assert params_taken(params, ("sequential", "processes")) == params


def test_calls_that_fill_a_tenth_of_the_sample_say_nothing_of_the_cores_they_keep_busy() -> None:
    from threadlab.analysis import cores_per_call
    from threadlab.model import Sample, TaskSpans

    def sample(call_s: float) -> Sample:
        # 1,000 calls in a 40 ms sample of 40 ms CPU, of which the calls' own threads took 18 ms.
        spans = TaskSpans(
            start_s=tuple(i * 4e-5 for i in range(1000)),
            end_s=tuple(i * 4e-5 + call_s for i in range(1000)),
            cpu_s=(1.8e-5,) * 1000,
            worker=(0,) * 1000,
            ok=(True,) * 1000,
            workers=("1:main",),
        )
        return Sample(wall_s=0.04, cpu_user_s=0.04, cpu_sys_s=0.0, tasks_ok=1000, spans=spans)

    # The calls filled 4 ms of 40: the timing around them is most of the CPU.
    assert cores_per_call([sample(4e-6)]) is None
    # The calls filled 36 ms of 40: 40 ms of CPU for 18 ms of their own thread's is 2.2 cores.
    assert cores_per_call([sample(3.6e-5)]) == pytest.approx(0.04 / 0.018)
