"""``threadlab.check_scaling``: the three-way decision, the cores it needs, and its words.

The decision is pure and tested on figures; the API is tested on results
recorded by it (tests/data/check-nap.json, check-locked.json: see
tests/data/make_data.py), its measuring function replaced, never on live timing.
Where the time went is tested on samples built with their waits, and on
tests/data/waits-lock.json (threads ×4 queueing on a lock around a 10 ms sleep).
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest

import threadlab
from threadlab import SpecError, load_result
from threadlab._api import ScalingOptions
from threadlab.analysis import observed_waits, point_waits
from threadlab.analysis._check import CoreLimits, decide_scaling
from threadlab.model import Sample, WaitLine, Waits
from threadlab.orchestrate import _check
from threadlab.orchestrate._check import cgroup_quota
from threadlab.render._check import checks_markdown, explanation, skip_reason, wait_words

pytestmark = pytest.mark.timeout(30)

DATA = Path(__file__).resolve().parent / "data"
FREE = CoreLimits(affinity=2, quota=None, capacity=1.95)


def decided(interval: tuple[float, float] | None, cores: CoreLimits = FREE, **kwargs: Any) -> Any:
    return decide_scaling(
        strategy="threads",
        workers=2,
        at_least=1.5,
        speedup=None if interval is None else sum(interval) / 2,
        interval=interval,
        rounds=12,
        cores=cores,
        **kwargs,
    )


def test_the_low_bound_reaching_at_least_passes() -> None:
    decision = decided((1.5, 1.9))
    assert (decision.outcome, decision.why) == ("passed", "reached")


def test_the_high_bound_below_at_least_fails() -> None:
    decision = decided((0.9, 1.49))
    assert (decision.outcome, decision.why, decision.short) == ("failed", "below", ())


def test_an_interval_holding_at_least_is_inconclusive() -> None:
    decision = decided((1.3, 1.6))
    assert (decision.outcome, decision.why) == ("inconclusive", "straddles")
    assert skip_reason(decision) == (
        "threadlab: inconclusive: the speedup was 1.45×, 95% interval 1.30–1.60×, over 12 paired "
        "round(s); the interval holds 1.50×"
    )


def test_no_interval_is_inconclusive() -> None:
    assert decided(None).outcome == "inconclusive"


@pytest.mark.parametrize(
    ("cores", "source", "words"),
    [
        (CoreLimits(affinity=1), "affinity", "its CPU affinity allows 1 CPU(s)"),
        (CoreLimits(affinity=2, quota=1.0), "quota", "its cgroup CPU quota is 1.00 cores"),
        (
            CoreLimits(affinity=2, capacity=1.21),
            "capacity",
            "only 1.21 cores ran in parallel when measured beside the check",
        ),
        (
            CoreLimits(affinity=2, capacity=1.9, left=0.95),
            "left",
            "other programs left it only 0.95 cores while the check ran",
        ),
    ],
)
def test_a_failure_without_the_cores_is_inconclusive_naming_the_source(
    cores: CoreLimits, source: str, words: str
) -> None:
    decision = decided((0.9, 1.2), cores)
    assert (decision.outcome, decision.why) == ("inconclusive", "cores short")
    assert [s.source for s in decision.short] == [source]
    assert skip_reason(decision) == f"threadlab: the machine could not give the cores: {words}"
    assert words in explanation(decision, "machine: 2 cores")


def test_a_pass_stands_whatever_the_cores() -> None:
    assert decided((1.6, 1.9), CoreLimits(affinity=1)).outcome == "passed"


def test_the_explanation_names_the_gil_cause() -> None:
    cause = "module '_gilful' imported without free-threading support"
    words = explanation(decided((0.9, 1.1), gil_cause=cause), "machine: 2 cores")
    assert words.startswith(
        "Failed: threads ×2 at least 1.50×: the speedup was 1.00×, 95% interval 0.90–1.10×"
    )
    assert f"The free-threaded Python ran with its GIL on ({cause})" in words
    assert words.endswith("Machine: 2 cores.")


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_the_cgroup_quota_is_read_from_v2_or_v1(
    tmp_path: Path, files: dict[str, str], quota: float | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_quota(tmp_path) == quota


def recorded(monkeypatch: pytest.MonkeyPatch, name: str, cores: CoreLimits | None = None) -> None:
    """Replace the measuring with the recorded result ``check-NAME.json`` (and the cores, if given)."""
    result = load_result(DATA / f"check-{name}.json")
    monkeypatch.setattr(_check, "measure_scaling", lambda target, **options: result)
    if cores is not None:
        monkeypatch.setattr(_check, "core_limits", lambda result: cores)


def test_check_scaling_passes_on_a_recorded_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(monkeypatch, "nap")
    check = threadlab.check_scaling("tests/fixtures/scaling_targets.py:nap", budget=8)
    assert check.passed and not check.failed and not check.inconclusive
    assert check.interval is not None and check.interval[0] >= 1.5
    assert check.rounds == 22
    assert check.machine.startswith("machine: 2 cores")
    assert check.explanation.startswith("Passed: threads ×2 at least 1.50×: the speedup was ")
    # The points named as every table names them (Swept.point_label), from the summaries the
    # decision read.
    assert check.table == (
        "  sequential ×1 (10 tasks)  speedup 1.00× (1.00–1.00)\n"
        "  threads ×2 (10 tasks)     speedup 1.95× (1.91–2.05)"
    )
    assert [m for m, _ in check.decision.points] == list(check.result.measurements)


def test_check_scaling_fails_a_lock_where_the_cores_were_free(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(monkeypatch, "locked", FREE)
    check = threadlab.check_scaling("tests/fixtures/scaling_targets.py:locked")
    assert check.outcome == "failed"
    assert "even its high bound stays below 1.50×" in check.explanation


def test_check_scaling_is_inconclusive_on_the_recorded_moment_without_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorded(monkeypatch, "locked")  # recorded while only 0.63 cores ran in parallel
    check = threadlab.check_scaling("tests/fixtures/scaling_targets.py:locked")
    assert check.outcome == "inconclusive"
    assert "capacity" in [s.source for s in check.decision.short]


@pytest.mark.parametrize(
    ("options", "line"),
    [
        ({"strategy": "sequential"}, "strategy: 'sequential' is not accepted; expected one of threads"),
        ({"workers": 1}, "workers: 1 is not accepted; expected a whole number of 2 or more"),
        ({"at_least": 1.0}, "at_least: 1.0 is not accepted; expected a speedup above 1, like 1.5"),
        ({"budget": 0}, "budget: 0 is not accepted; expected seconds above 0"),
    ],
)
def test_bad_values_are_refused_before_any_work(options: dict[str, Any], line: str) -> None:
    with pytest.raises(SpecError) as raised:
        threadlab.check_scaling("tests/fixtures/scaling_targets.py:nap", **options)
    assert str(raised.value).startswith(line)


def test_a_free_threaded_gil_turned_back_on_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # check-locked.json as if run under a 3.13t whose GIL an extension turned back on.
    result = load_result(DATA / "check-locked.json")
    cause = "module '_gilful' imported without free-threading support"
    measurements = tuple(
        dataclasses.replace(
            m,
            interpreter=dataclasses.replace(
                m.interpreter, free_threaded=True, gil_enabled=True, gil_cause=cause
            ),
        )
        if m.interpreter is not None
        else m
        for m in result.measurements
    )
    monkeypatch.setattr(
        _check,
        "measure_scaling",
        lambda target, **options: dataclasses.replace(result, measurements=measurements),
    )
    monkeypatch.setattr(_check, "core_limits", lambda result: FREE)
    check = threadlab.check_scaling("tests/fixtures/scaling_targets.py:locked", python=None)
    assert (check.outcome, check.decision.gil_cause) == ("failed", cause)
    assert f"The free-threaded Python ran with its GIL on ({cause})" in check.explanation


def test_the_cores_come_from_the_probes_and_what_other_programs_left(tmp_path: Path) -> None:
    result = load_result(DATA / "check-nap.json")
    noise = dataclasses.replace(
        result.noise, cores=2, capacity_cores=(2.81, 0.9, 1.9), others_cores=1.1, steal_share=0.05
    )
    cores = _check.core_limits(dataclasses.replace(result, noise=noise), root=tmp_path)
    assert (cores.quota, cores.capacity, round(cores.left or 0, 2)) == (None, 1.9, 0.8)


# -- where the time went ----------------------------------------------------------------------------


def waited(*lines: WaitLine, **seconds: float) -> Any:
    """The waits of a point of two samples whose threads spent ``seconds`` (per category) each."""
    waits = Waits(observations=500, threads=2, lines=lines, **seconds)
    return point_waits([Sample(wall_s=1.0, waits=waits), Sample(wall_s=1.0, waits=waits)])


LOCKED = waited(WaitLine("lock", 0.48, "/home/me/app.py", 18, "locked_sleep"), cpu_s=0.52, lock_s=0.48)


def test_a_failed_check_names_the_lock_its_threads_waited_on_and_its_line() -> None:
    words = explanation(decided((0.9, 1.1), waits=LOCKED), "machine: 2 cores")
    assert words == (
        "Failed: threads ×2 at least 1.50×: the speedup was 1.00×, 95% interval 0.90–1.10×, over 12 "
        "paired round(s); even its high bound stays below 1.50×. Where the time went: threads ×2 spent "
        "48% of their time waiting on a lock at app.py:18 (locked_sleep). Machine: 2 cores."
    )


@pytest.mark.parametrize(
    ("waits", "words"),
    [
        (
            waited(WaitLine("gil", 0.45, "count.py", 23, "count_task"), cpu_s=0.55, gil_s=0.45),
            "threads ×2 spent 45% of their time waiting for the GIL at count.py:23 (count_task)",
        ),
        (
            waited(WaitLine("lock", 0.6, "app.py", 9, "work", "queue.get"), cpu_s=0.4, lock_s=0.6),
            "threads ×2 spent 60% of their time waiting on a lock at app.py:9 (work, in queue.get)",
        ),
        (waited(cpu_s=0.05, sleep_s=0.95), "threads ×2 spent 95% of their time sleeping"),
        (
            waited(cpu_s=0.99, gil_s=0.01),
            "threads ×2 spent 99% of their time on CPU; no wait held 10% of it",
        ),
        (
            waited(cpu_s=0.38, runnable_s=0.6, gil_s=0.02),
            "threads ×2 spent 38% of their time on CPU and 60% runnable while the machine held the "
            "cores; no wait held 10% of it",
        ),
    ],
    ids=["gil", "lock-in-a-library", "sleep-without-a-line", "on-cpu", "on-cpu-and-held"],
)
def test_the_wait_is_worded_with_the_tables_words(waits: Any, words: str) -> None:
    assert wait_words(decided((1.6, 1.9), waits=waits)) == words


def test_where_no_thread_state_was_read_the_check_says_nothing_of_it() -> None:
    not_read = (Sample(wall_s=1.0, waits=Waits(note="not Linux: no /proc to read")),)
    measurement = dataclasses.replace(load_result(DATA / "check-nap.json").measurements[0], samples=not_read)
    assert observed_waits(measurement) is None
    assert observed_waits(dataclasses.replace(measurement, samples=(Sample(wall_s=1.0),))) is None
    words = explanation(decided((0.9, 1.1)), "machine: 2 cores")
    assert "Where the time went" not in words and "spent" not in words


def test_the_markdown_summary_carries_the_wait() -> None:
    decision = decided((0.9, 1.1), waits=LOCKED)
    text = checks_markdown(
        [("test_app.py::test_locked", decision, explanation(decision, "machine: 2 cores"))]
    )
    assert "threads ×2 spent 48% of their time waiting on a lock at app.py:18 (locked_sleep)" in text


def test_a_recorded_lock_fails_naming_the_lock_and_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # waits-lock.json: threads ×4 queueing on a lock around a 10 ms sleep (tests/data/make_data.py).
    result = load_result(DATA / "waits-lock.json")
    monkeypatch.setattr(_check, "measure_scaling", lambda target, **options: result)
    monkeypatch.setattr(_check, "core_limits", lambda result: FREE)
    check = threadlab.check_scaling("tests/fixtures/waits_tasks.py:locked_sleep", workers=4)
    assert check.outcome == "failed"
    assert check.decision.waits is not None and check.decision.waits.dominant == "lock"
    assert "Where the time went: threads ×4 spent 4" in check.explanation
    assert "% of their time waiting on a lock at waits_tasks.py:35 (locked_sleep)." in check.explanation


def test_the_point_checked_is_the_one_with_the_workers_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    result = load_result(DATA / "waits-lock.json")  # threads ×1 and ×4, no ×2
    monkeypatch.setattr(_check, "measure_scaling", lambda target, **options: result)
    monkeypatch.setattr(_check, "core_limits", lambda result: FREE)
    check = threadlab.check_scaling("tests/fixtures/waits_tasks.py:locked_sleep", workers=2)
    assert (check.outcome, check.decision.why, check.decision.waits) == ("inconclusive", "no interval", None)


def test_an_older_results_file_without_waits_says_nothing_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded(monkeypatch, "locked", FREE)
    check = threadlab.check_scaling("tests/fixtures/scaling_targets.py:locked")
    assert check.decision.waits is None and "Where the time went" not in check.explanation


def test_the_options_passed_on_are_check_scalings_keywords() -> None:
    keywords = set(inspect.signature(threadlab.check_scaling).parameters) - {"target", "progress"}
    assert set(ScalingOptions.__optional_keys__) == keywords
