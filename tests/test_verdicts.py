"""Issue 20's verdicts: the kind of work judged from the threads' measured waits, and its words.

Synthetic points carry a breakdown of waits (``Sample.waits``) and fixed walls, so that
nothing here times anything; the recorded files were written by the real tool on the
fixture functions of ``tests/fixtures/waits_tasks.py`` (``tests/data/make_data.py``).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pytest

from cli_runner import threadlab_cli
from fixtures.waits_tasks import LINES
from test_analysis import measured, result_of
from test_render import matches_expected, render
from test_tour import ENVIRONMENT
from threadlab import Interpreter, Measurement, Point, Result, Sample, load_result
from threadlab.analysis import FactCode, Kind, Verdict, analyse
from threadlab.lessons import findings, tour_spec
from threadlab.model import WaitLine, Waits
from threadlab.render import advice_text, fact_text
from threadlab.render._waits import waits_renderables

DATA = Path(__file__).parent / "data"


def _waiting(measurement: Measurement, waits: Waits) -> Measurement:
    """``measurement`` with ``waits`` on every sample."""
    samples = tuple(dataclasses.replace(sample, waits=waits) for sample in measurement.samples)
    return dataclasses.replace(measurement, samples=samples)


LOCK_WAITS = Waits(
    cpu_s=0.02,
    lock_s=0.7,
    sleep_s=0.28,
    observations=100,
    threads=4,
    lines=(
        WaitLine("lock", 0.7, "/app/tasks.py", 35, "locked_sleep"),
        WaitLine("sleep", 0.28, "/app/tasks.py", 36, "locked_sleep"),
    ),
)
GIL_WAITS = Waits(
    cpu_s=0.55,
    gil_s=0.45,
    observations=100,
    threads=2,
    lines=(
        WaitLine("cpu", 0.55, "/app/tasks.py", 30, "count_loop"),
        WaitLine("gil", 0.45, "/app/tasks.py", 30, "count_loop"),
    ),
)
SLEEP_WAITS = Waits(cpu_s=0.02, sleep_s=0.98, observations=100, threads=4)


def _lock_bound(processes_walls: list[float]) -> tuple[Measurement, ...]:
    return (
        measured("sequential", 1, [0.4] * 5, cpu=0.02, paired=True),
        _waiting(measured("threads", 4, [0.4] * 5, cpu=0.02, paired=True), LOCK_WAITS),
        measured("processes", 4, processes_walls, cpu=0.02, paired=True),
    )


def test_threads_queueing_on_a_lock_are_lock_bound_at_its_line_not_io_bound() -> None:
    analysis = analyse(result_of(*_lock_bound([0.4] * 5)))

    (kind,) = analysis.classifications
    assert kind.kind is Kind.LOCK
    assert kind.evidence[-1].code is FactCode.WAITS_LOCK
    assert fact_text(kind.evidence[-1]) == (
        "serialised on a lock at tasks.py:35 (locked_sleep): threads ×4 spent 70% of their time waiting on it"
    )


def test_processes_for_lock_bound_work_warn_that_the_lock_must_guard_nothing_shared() -> None:
    analysis = analyse(result_of(*_lock_bound([0.1] * 5)))

    (advice,) = analysis.recommendations
    assert (advice.verdict, advice.strategy) == (Verdict.USE, "processes")
    assert advice.reasons[-1].code is FactCode.LOCK_HELD
    assert fact_text(advice.reasons[-1]) == (
        "but on processes each worker has its own copy of the lock: that helps only where the lock guards "
        "nothing the workers share"
    )
    assert advice_text(advice).endswith(
        "The threads queue on one lock; on processes each worker has its own copy of it, which is right only "
        "where the lock guards nothing shared. Else hold the lock for less time or split it."
    )


def test_lock_bound_work_that_gains_nothing_is_told_to_hold_the_lock_for_less_time() -> None:
    (advice,) = analyse(result_of(*_lock_bound([0.4] * 5))).recommendations

    assert advice.verdict is Verdict.STAY
    assert advice_text(advice).endswith(
        "The threads queue on one lock, so they run one at a time: hold the lock for less time or split it."
    )


def test_threads_waiting_for_the_gil_hold_it_even_without_a_point_with_a_gil_each() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, paired=True),
            _waiting(measured("threads", 2, [0.4] * 5, paired=True), GIL_WAITS),
        )
    )

    (kind,) = analysis.classifications
    assert (kind.kind, kind.remedies) == (Kind.CPU_HOLDS_GIL, ())
    assert fact_text(kind.evidence[-1]) == (
        "waits for the GIL at tasks.py:30 (count_loop): threads ×2 spent 45% of their time waiting for it"
    )


def test_sleeping_threads_stay_io_bound_and_cite_no_wait() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, cpu=0.02, paired=True),
            _waiting(measured("threads", 4, [0.1] * 5, cpu=0.02, paired=True), SLEEP_WAITS),
        )
    )

    (kind,) = analysis.classifications
    assert kind.kind is Kind.IO
    assert not {FactCode.WAITS_LOCK, FactCode.WAITS_GIL} & {fact.code for fact in kind.evidence}


def test_a_pools_idle_workers_waiting_for_tasks_are_not_a_lock_of_the_users() -> None:
    idle = Waits(
        cpu_s=0.6,
        lock_s=0.3,
        observations=100,
        threads=4,
        lines=(WaitLine("lock", 0.3, "", 0, "_worker", "concurrent.futures.thread._worker"),),
    )
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, cpu=0.4, paired=True),
            _waiting(measured("thread-pool", 4, [0.3] * 5, cpu=0.4, paired=True), idle),
        )
    )

    (kind,) = analysis.classifications
    assert kind.kind is not Kind.LOCK
    assert FactCode.WAITS_LOCK not in {fact.code for fact in kind.evidence}


def test_the_recorded_lock_bound_fixture_is_serialised_on_its_lock_line() -> None:
    analysis = analyse(load_result(DATA / "waits-lock.json"))

    (kind,) = analysis.classifications
    (advice,) = analysis.recommendations
    assert kind.kind is Kind.LOCK
    fact = kind.evidence[-1]
    assert fact.code is FactCode.WAITS_LOCK and fact.line is not None
    assert (Path(fact.line.file).name, fact.line.line) == ("waits_tasks.py", LINES["lock"])
    assert advice.verdict is Verdict.STAY
    assert advice_text(advice).endswith("hold the lock for less time or split it.")


# -- the tour: the GIL wait measured in the CPU lesson, and "A lock, not the GIL" ----------------


def _toured(
    workload: str, strategy: str, workers: int, wall: float, waits: Waits | None, **params: float
) -> Measurement:
    """A tour's point: the lock lesson runs 4 tasks, the CPU lesson 2."""
    tasks = 4 if workload == "locked" else 2
    samples = tuple(Sample(wall_s=wall, tasks_ok=tasks, round=r, waits=waits) for r in range(3))
    return Measurement(
        point=Point(workload, strategy, workers, tasks, params=params, python=sys.executable),
        status="ok",
        interpreter=Interpreter(sys.executable, "3.11.7"),
        samples=samples,
    )


def test_the_tour_shows_the_gil_wait_measured_at_the_loops_line_and_a_lock_at_its_line() -> None:
    count = {"iterations": 2_000_000}
    lock_waits = dataclasses.replace(
        LOCK_WAITS,
        lines=(WaitLine("lock", 0.7, "/site/threadlab/worker/workloads/locked.py", 24, "locked_task"),),
    )
    result = Result(
        tour_spec(True, sys.executable),
        ENVIRONMENT,
        (
            _toured("count", "sequential", 1, 0.4, None, **count),
            _toured("count", "threads", 2, 0.4, GIL_WAITS, **count),
            _toured("count", "processes", 2, 0.2, None, **count),
            _toured("locked", "sequential", 1, 0.04, None, hold=0.01),
            _toured("locked", "threads", 4, 0.04, lock_waits, hold=0.01),
        ),
    )

    told = {finding.title: finding.text for finding in findings(result)}

    cpu = told["The CPU loop (2,000,000 steps) on 2 workers"]
    assert (
        "; measured: the threads waited for the GIL 45% of their time at tasks.py:30 (count_loop), "
        "and ran 55% of it." in cpu
    )
    assert "waits only for the GIL" not in cpu
    assert told["A lock, not the GIL: 4 threads each sleeping 10.0 ms holding one lock"] == (
        "1.00× (95% CI 1.00–1.00×) sequential: sleeping releases the GIL, yet the sleeps do not overlap, "
        "because each thread waits for the lock another holds. Measured: the threads waited on the lock "
        "70% of their time at locked.py:24 (locked_task), and for the GIL 0.0%. Hold a lock for less "
        "time or split it; processes would each have a lock of their own, which helps only where it "
        "guards nothing shared."
    )


# -- shown: run's and advise's compact "Where the time went", and the off switch ------------------


def test_run_and_advise_show_where_the_time_went_compact_at_a_fixed_width() -> None:
    result = result_of(*_lock_bound([0.1] * 5))

    text = render(*waits_renderables(result), *waits_renderables(result, frozenset({"threads"})))

    matches_expected("waits.compact.txt", text)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 100


def test_where_the_waits_could_not_be_read_one_line_says_why() -> None:
    note = "waits: not measured on win32 (it reads Linux's /proc)"
    unread = Waits(note=note)
    result = result_of(
        measured("sequential", 1, [0.4] * 5),
        _waiting(measured("threads", 2, [0.4] * 5), unread),
        _waiting(measured("threads", 4, [0.4] * 5), unread),
    )

    assert render(*waits_renderables(result)) == f"Where the time went: not measured — {note}\n"
    assert waits_renderables(result_of(measured("threads", 2, [0.4] * 5))) == []


@pytest.mark.timeout(120)
def test_no_waits_leaves_the_breakdown_out_of_every_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"

    code, printed, _ = threadlab_cli(
        capsys,
        "run", "-w", "locked", "-s", "sequential,threads", "-n", "2", "-p", "hold=0.001",
        "--repeat", "1", "--warmup", "0", "--max-time", "1", "--no-waits", "-q", "-o", str(out),
    )  # fmt: skip

    assert code == 0
    samples = [s for m in load_result(out).measurements for s in m.samples]
    assert samples and all(sample.waits is None for sample in samples)
    assert "Where the time went" not in printed


# -- free-threaded: no GIL waits, CPU per task at 1 and at N workers (issue 23, item 5) ------------


def test_on_a_build_without_a_gil_the_evidence_cites_cpu_per_task_at_one_and_at_n_workers() -> None:
    free = Interpreter("/x/python3.13t", "3.13.5", free_threaded=True, gil_enabled=False)

    def on_free(measurement: Measurement) -> Measurement:
        return dataclasses.replace(measurement, interpreter=free)

    analysis = analyse(
        result_of(
            on_free(measured("sequential", 1, [0.4] * 5, paired=True)),
            # 4 tasks over 4 threads, CPU/wall 3.0: 0.3 s of CPU per task against 0.1 s alone.
            on_free(measured("threads", 4, [0.4] * 5, cpu=3.0, paired=True)),
        )
    )

    (kind,) = analysis.classifications
    fact = next(f for f in kind.evidence if f.code is FactCode.CPU_PER_TASK)
    assert fact_text(fact) == (
        "no GIL here, so no GIL waits: CPU per task 100 ms on one worker, "
        "300 ms on threads ×4 (3.00× as much)"
    )
    with_gil = analyse(result_of(measured("sequential", 1, [0.4] * 5), measured("threads", 4, [0.4] * 5)))
    assert FactCode.CPU_PER_TASK not in {f.code for f in with_gil.classifications[0].evidence}


def test_the_gil_is_read_at_the_fewest_threads_and_a_lock_at_any_count() -> None:
    computing = Waits(cpu_s=0.99, gil_s=0.006, observations=100, threads=2)
    tie = Waits(cpu_s=0.02, lock_s=0.41, sleep_s=0.55, observations=100, threads=2)
    releases = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, paired=True),
            _waiting(measured("threads", 2, [0.2] * 5, cpu=2.0, paired=True), computing),
            _waiting(measured("threads", 8, [0.2] * 5, cpu=2.0, paired=True), GIL_WAITS),
        )
    )
    locked = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, cpu=0.02, paired=True),
            _waiting(measured("threads", 2, [0.4] * 5, cpu=0.02, paired=True), tie),
            _waiting(measured("threads", 4, [0.4] * 5, cpu=0.02, paired=True), LOCK_WAITS),
        )
    )

    (kind,) = releases.classifications
    assert kind.kind is Kind.CPU_RELEASES_GIL
    assert FactCode.WAITS_GIL not in {fact.code for fact in kind.evidence}
    (kind,) = locked.classifications
    assert (kind.kind, kind.evidence[-1].workers) == (Kind.LOCK, 4)


def test_the_report_draws_where_the_time_went_beside_the_speedup_plot_only_where_it_was_measured() -> None:
    from threadlab.render._html import html_report

    measured_waits = html_report([("waits-lock.json", load_result(DATA / "waits-lock.json"))])
    without = html_report([("results-small.json", load_result(DATA / "results-small.json"))])

    figures = re.findall(r'<figure class="plot" data-plot="([a-z]+)"', measured_waits)
    assert figures[:3] == ["speedup", "waits", "wall"]
    # Self-contained: nothing is fetched (``tests/test_report.py`` checks the page in Chromium).
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", measured_waits)
    assert 'data-plot="waits"' not in without


def test_a_gain_without_parallel_work_beside_gil_waits_is_noise_and_the_work_holds_the_gil() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.4] * 5, cpu=0.69, paired=True),
            _waiting(measured("threads", 2, [0.28] * 5, cpu=0.89, paired=True), GIL_WAITS),
        )
    )

    (kind,) = analysis.classifications
    assert kind.kind is Kind.CPU_HOLDS_GIL
    assert kind.evidence[-1].code is FactCode.WAITS_GIL
