"""From results to advice: classification, recommendation and scaling per strategy.

Two kinds of test. Synthetic results, built directly from the data model with
chosen wall times, CPU times and task spans, pin down every rule of the
recommendation without starting a process. Real runs of the built-in
workloads check that the classification comes out right on this machine,
where the physics is unambiguous (sleeping waits, ``count`` holds the GIL,
``hash`` and ``compress`` release it); they assert the kind of work, never
a number.
"""

from __future__ import annotations

import json
import os
import re
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pytest

import threadlab
from cli_runner import threadlab_cli
from threadlab import Environment, Interpreter, Measurement, Point, Result, Sample, Spec, TaskSpans
from threadlab._model import Status
from threadlab.analysis import Analysis, USLFit, USLNotFitted, analyse

ENVIRONMENT = Environment(
    python_version="3.11.7",
    python_executable="/usr/bin/python3",
    free_threaded=False,
    gil_enabled=True,
    cpu_count=2,
    platform="Linux",
    threadlab_version="0.1.0",
    time="2025-01-01T00:00:00+00:00",
)
INTERPRETER = Interpreter(executable="/usr/bin/python3", version="3.11.7")


# ---------------------------------------------------------------------------
# Synthetic results


def measured(
    strategy: str,
    workers: int,
    walls: Sequence[float],
    *,
    tasks: int = 4,
    cpu: float = 1.0,
    task_s: float | None = None,
    failed: int = 0,
    status: Status = "ok",
    workload: str = "work",
) -> Measurement:
    """A measurement whose samples take ``walls`` seconds, with CPU/wall ``cpu``.

    Each sample runs ``tasks`` tasks of ``task_s`` seconds each (by default the
    wall time shared out as the workers would), ``failed`` of which raised.
    """
    duration = task_s if task_s is not None else None
    samples = []
    for wall in walls:
        each = duration if duration is not None else wall * min(workers, tasks) / tasks
        spans = TaskSpans(
            start_s=tuple(i * each for i in range(tasks)),
            end_s=tuple((i + 1) * each for i in range(tasks)),
            cpu_s=(None,) * tasks,
            worker=(0,) * tasks,
            ok=(True,) * (tasks - failed) + (False,) * failed,
            workers=("1:main",),
        )
        samples.append(
            Sample(
                wall_s=wall,
                cpu_user_s=cpu * wall,
                cpu_sys_s=0.0,
                tasks_ok=tasks - failed,
                tasks_failed=failed,
                spans=spans,
            )
        )
    point = Point(workload=workload, strategy=strategy, workers=workers, tasks=tasks, python="python")
    return Measurement(point=point, status=status, interpreter=INTERPRETER, samples=tuple(samples))


def result_of(*measurements: Measurement, cpu_count: int | None = 2) -> Result:
    spec = Spec(
        workloads=tuple(dict.fromkeys(m.point.workload for m in measurements)),
        strategies=tuple(dict.fromkeys(m.point.strategy for m in measurements)),
        workers=tuple(sorted({m.point.workers for m in measurements})),
        python="python",
    )
    environment = Environment(
        **{**{f: getattr(ENVIRONMENT, f) for f in Environment.__dataclass_fields__}, "cpu_count": cpu_count}
    )
    return Result(spec=spec, environment=environment, measurements=measurements)


def only(analysis: Analysis) -> tuple[str | None, int | None]:
    """The one recommendation's (strategy, workers), for short assertions."""
    (recommendation,) = analysis.recommendations
    return recommendation.strategy, recommendation.workers


STEADY = [0.4] * 5  # 4 tasks in 0.4 s, five times over: 10 tasks/s with no spread


@pytest.mark.timeout(30)
def test_wildly_varying_samples_are_too_noisy_to_tell() -> None:
    # Threads: 13.3 tasks/s at the median, but anywhere from 6.7 to 20.
    analysis = analyse(
        result_of(
            measured("sequential", 1, STEADY, cpu=0.05),
            measured("threads", 2, [0.2, 0.6, 0.25, 0.5, 0.3], cpu=0.05),
        )
    )

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == (None, None)
    assert recommendation.speedup == pytest.approx(4 / 0.3 / 10)
    assert recommendation.interval == pytest.approx((4 / 0.6 / 10, 4 / 0.2 / 10))
    assert recommendation.text.startswith(
        "work: too noisy to tell — the best, threads ×2, measured 1.33× (95% CI 0.67–2.00×), "
        "and the interval spans both a loss and a gain."
    )
    assert "rerun with --repeat 10" in recommendation.text
    assert any(reason.startswith("samples vary by ") for reason in recommendation.reasons)


@pytest.mark.timeout(30)
def test_no_strategy_beating_sequential_means_stay_sequential() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, STEADY),
            measured("threads", 2, [0.41, 0.40, 0.42, 0.41, 0.40]),
            measured("processes", 2, [0.45, 0.44, 0.46, 0.45, 0.44]),
        )
    )

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers, recommendation.speedup) == ("sequential", 1, 1.0)
    assert recommendation.interval is None
    assert recommendation.classification.kind == "cpu-bound, holds the GIL"
    assert recommendation.text.startswith(
        "work: stay sequential — the best alternative, threads ×2, measured 0.98× (95% CI 0.95–1.00×), "
        "no clear gain. The work holds the GIL"
    )


@pytest.mark.timeout(30)
def test_the_fewest_workers_within_5_percent_of_the_best_are_chosen() -> None:
    # 8 tasks: sequential 10/s; threads 16/s with 2 workers, 19.8/s with 4, 20/s with 8.
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.8] * 5, tasks=8, cpu=0.05),
            measured("threads", 2, [0.5] * 5, tasks=8, cpu=0.05),
            measured("threads", 4, [8 / 19.8] * 5, tasks=8, cpu=0.05),
            measured("threads", 8, [0.4] * 5, tasks=8, cpu=0.05),
        )
    )

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("threads", 4)
    assert recommendation.speedup == pytest.approx(1.98)
    assert recommendation.interval is not None and recommendation.speedup is not None
    low, high = recommendation.interval
    assert low <= recommendation.speedup <= high
    assert "8 workers gave 1.01× of that: within 5%, so the fewer workers win" in recommendation.reasons
    assert recommendation.text.startswith("work: use threads with 4 workers — 1.98× (95% CI 1.98–1.98×)")


@pytest.mark.timeout(30)
def test_one_worker_of_a_parallel_strategy_is_never_recommended() -> None:
    # One thread measured 4× sequential (a fluke of the machine); two threads 1.33×.
    analysis = analyse(
        result_of(
            measured("sequential", 1, STEADY, cpu=0.05),
            measured("threads", 1, [0.1] * 5, cpu=0.05),
            measured("processes", 1, [0.1] * 5, cpu=0.05),
            measured("threads", 2, [0.3] * 5, cpu=0.05),
        )
    )

    assert only(analysis) == ("threads", 2)


@pytest.mark.timeout(30)
def test_with_only_one_worker_measured_the_advice_is_to_stay_sequential() -> None:
    analysis = analyse(
        result_of(measured("sequential", 1, STEADY, cpu=0.05), measured("threads", 1, [0.1] * 5, cpu=0.05))
    )

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("sequential", 1)
    assert recommendation.reasons == ("no strategy was measured with 2 or more workers",)
    assert "-s threads,processes -n 1,2,4" in recommendation.text


@pytest.mark.timeout(30)
def test_without_a_sequential_point_the_work_is_unclear_and_the_speedup_unknown() -> None:
    analysis = analyse(result_of(measured("threads", 1, STEADY), measured("threads", 2, [0.2] * 5)))

    (classification,) = analysis.classifications
    assert classification.kind == "unclear"
    assert classification.evidence == (
        "no sequential point with CPU time measured; run it with -s sequential to settle it",
    )
    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("threads", 2)
    assert (recommendation.speedup, recommendation.interval) == (None, None)
    assert recommendation.reasons == ("no sequential baseline was measured",)
    assert recommendation.text.endswith("the speedup is unknown; add -s sequential.")


@pytest.mark.timeout(30)
def test_without_threads_whether_computing_work_holds_the_gil_is_unclear() -> None:
    analysis = analyse(result_of(measured("sequential", 1, STEADY), measured("processes", 2, [0.22] * 5)))

    (classification,) = analysis.classifications
    assert classification.kind == "unclear"
    assert classification.evidence[-1] == (
        "no thread point with 2+ workers, so whether it holds the GIL is not known: add -s threads -n 1,2"
    )


@pytest.mark.timeout(30)
def test_on_one_cpu_computing_work_is_unclear() -> None:
    analysis = analyse(
        result_of(measured("sequential", 1, STEADY), measured("threads", 2, STEADY), cpu_count=1)
    )

    (classification,) = analysis.classifications
    assert classification.kind == "unclear"
    assert (
        classification.evidence[-1] == "this machine has one CPU, so no strategy can run CPU work in parallel"
    )


CLASSIFIED = [
    pytest.param(
        [("sequential", STEADY, 0.05), ("threads", [0.2] * 5, 0.1), ("processes", [0.25] * 5, 0.2)],
        "io-bound",
        ("threads", 2),
        "The tasks mostly wait, and waiting overlaps: more workers wait at once.",
        id="io-bound",
    ),
    pytest.param(
        [("sequential", STEADY, 0.5), ("threads", [0.25] * 5, 0.9)],
        "mixed",
        ("threads", 2),
        "The tasks both wait and compute; the waiting overlaps.",
        id="mixed",
    ),
    pytest.param(
        [("sequential", STEADY, 1.0), ("threads", [0.4] * 5, 1.0), ("processes", [0.22] * 5, 1.9)],
        "cpu-bound, holds the GIL",
        ("processes", 2),
        "The work holds the GIL, so only separate processes (each with its own GIL) run it in parallel.",
        id="holds-gil",
    ),
    pytest.param(
        [("sequential", STEADY, 1.0), ("threads", [0.21] * 5, 1.9), ("processes", [0.25] * 5, 1.8)],
        "cpu-bound, releases the GIL",
        ("threads", 2),
        "The work runs in C code that releases the GIL, so threads compute in parallel.",
        id="releases-gil",
    ),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("points", "kind", "advice", "why"), CLASSIFIED)
def test_classification_and_advice_follow_cpu_time_and_speedups(
    points: list[tuple[str, list[float], float]], kind: str, advice: tuple[str, int], why: str
) -> None:
    analysis = analyse(
        result_of(
            *(
                measured(strategy, 1 if strategy == "sequential" else 2, walls, cpu=cpu)
                for strategy, walls, cpu in points
            )
        )
    )

    (recommendation,) = analysis.recommendations
    assert recommendation.classification.kind == kind
    assert recommendation.classification.evidence[0].startswith("sequential CPU/wall ")
    assert (recommendation.strategy, recommendation.workers) == advice
    assert recommendation.text.endswith(why)
    assert recommendation.reasons[1] == f"work classified as {kind}"


@pytest.mark.timeout(30)
def test_tasks_too_short_to_share_out_mean_stay_sequential() -> None:
    # 1000 tasks of 10 µs each; two threads only add their overhead.
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.01] * 5, tasks=1000, task_s=1e-5),
            measured("threads", 2, [0.02] * 5, tasks=1000, task_s=2e-5),
        )
    )

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("sequential", 1)
    assert "median task takes 10 µs: starting workers costs more than it saves" in recommendation.reasons
    assert recommendation.text.endswith(
        "The tasks are so short that the overhead of any strategy dominates; batch them into larger tasks."
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("task_s", "strategy"), [pytest.param(1e-5, "sequential", id="10µs"), pytest.param(1e-2, None, id="10ms")]
)
def test_noisy_samples_of_tiny_tasks_without_a_median_gain_stay_sequential(
    task_s: float, strategy: str | None
) -> None:
    # Both points vary wildly; threads measured 0.83× at the median (95% CI 0.50–4.00×).
    # With 10 µs tasks more repeats would not help, batching would; with 10 ms tasks they would.
    tasks = 1000
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.01, 0.02, 0.01, 0.015, 0.01], tasks=tasks, task_s=task_s),
            measured("threads", 2, [0.012, 0.005, 0.02, 0.011, 0.013], tasks=tasks, task_s=task_s),
        )
    )

    (recommendation,) = analysis.recommendations
    assert recommendation.strategy == strategy
    assert "(95% CI 0.50–4.00×)" in recommendation.text
    assert ("The tasks are so short" in recommendation.text) == (strategy == "sequential")


@pytest.mark.timeout(30)
def test_points_where_every_task_raised_are_reported_not_analysed() -> None:
    # Every sequential task raised: no throughput to divide by. The run must not crash.
    result = result_of(
        measured("sequential", 1, STEADY, failed=4, status="errors"),
        measured("threads", 2, [0.2] * 5),
    )

    analysis = analyse(result)

    assert [p.label for p in analysis.points] == [m.point.label() for m in result.measurements]
    (recommendation,) = analysis.recommendations
    assert recommendation.speedup is None  # no sequential baseline to compare against
    json.dumps(result.to_json(), allow_nan=False)

    everything_failed = result_of(measured("sequential", 1, STEADY, failed=4, status="errors"))
    assert analyse(everything_failed).recommendations == ()


@pytest.mark.timeout(30)
def test_failed_and_timed_out_points_are_left_out_of_the_advice() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, STEADY, cpu=0.05),
            measured("threads", 2, [0.1] * 5, cpu=0.05, status="timeout"),
            measured("threads", 4, [0.2] * 5, cpu=0.05),
        )
    )

    assert only(analysis) == ("threads", 4)


@pytest.mark.timeout(30)
def test_scaling_is_grouped_per_strategy_by_worker_count() -> None:
    # 8 tasks; sequential 10/s. Threads measured twice at 2 workers: the run with more tasks counts.
    analysis = analyse(
        result_of(
            measured("sequential", 1, [0.8] * 3, tasks=8),
            measured("threads", 1, [0.8] * 3, tasks=8),
            measured("threads", 2, [0.1] * 3, tasks=2),
            measured("threads", 2, [0.8] * 3, tasks=8),
            measured("threads", 4, [0.8] * 3, tasks=8),
            measured("processes", 1, [0.8] * 3, tasks=8),
            measured("processes", 2, [0.4] * 3, tasks=8),
            measured("processes", 4, [0.25] * 3, tasks=8),
            measured("processes", 8, [0.2] * 3, tasks=8),
        )
    )

    threads, processes = analysis.scaling
    assert (threads.workload, threads.strategy, threads.python) == ("work", "threads", "3.11.7")
    assert [p.workers for p in threads.points] == [1, 2, 4]
    assert [p.throughput for p in threads.points] == pytest.approx([10, 10, 10])
    assert [p.speedup_vs_sequential for p in threads.points] == pytest.approx([1, 1, 1])
    assert threads.points[0].karp_flatt is None
    assert [p.karp_flatt for p in threads.points[1:]] == pytest.approx([1, 1])
    assert threads.usl == USLNotFitted("USL needs at least 4 distinct worker counts; got 3 (1, 2, 4)")

    assert processes.strategy == "processes"
    assert [p.workers for p in processes.points] == [1, 2, 4, 8]
    assert [p.speedup_vs_one for p in processes.points] == pytest.approx([1, 2, 3.2, 4])
    assert [p.efficiency for p in processes.points] == pytest.approx([1, 1, 0.8, 0.5])
    assert isinstance(processes.usl, USLFit)
    assert processes.usl.points == 4


# ---------------------------------------------------------------------------
# Real runs: the built-in workloads, classified on this machine


class OtherPrograms:
    """CPU time used by programs other than this test (and its workers) while it measured.

    Machine-wide busy time from /proc/stat (steal included: a hypervisor's
    other guests count too), less this process's and its children's CPU time.
    Classification reads CPU/wall and thread-vs-process speedups, which are
    physics only when the cores are free; when other programs took a share of
    them a wrong kind proves nothing, and the test is skipped saying so.
    """

    # More than this many cores' worth of other work skews CPU/wall and speedups on 2 cores.
    BUSY_CORES = 0.25

    def __init__(self) -> None:
        self.cores: float | None = None
        self._start: tuple[float, float, float] | None = None

    @staticmethod
    def _machine_busy_s() -> float | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        except OSError:
            return None
        # cpu user nice system idle iowait irq softirq steal ...
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_cpu_s() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime

    def __enter__(self) -> OtherPrograms:
        busy = self._machine_busy_s()
        if busy is not None:
            self._start = (busy, self._own_cpu_s(), time.perf_counter())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        busy = self._machine_busy_s()
        if self._start is not None and busy is not None:
            busy0, own0, wall0 = self._start
            wall = time.perf_counter() - wall0
            self.cores = max(0.0, (busy - busy0) - (self._own_cpu_s() - own0)) / wall

    def excuse(self, ok: bool, what: str) -> None:
        """Skip the test when ``ok`` is False and other programs held the CPU meanwhile."""
        if not ok and self.cores is not None and self.cores > self.BUSY_CORES:
            pytest.skip(
                f"other programs used {self.cores:.2f} cores of this machine while it measured, "
                f"so CPU/wall and speedups are not physics any more: {what}"
            )


BUILT_IN = [
    pytest.param("sleep", {"duration": 0.05}, "io-bound", id="sleep"),
    pytest.param("count", {"iterations": 3 * 10**6}, "cpu-bound, holds the GIL", id="count"),
    pytest.param("hash", {"mb": 16}, "cpu-bound, releases the GIL", id="hash"),
    pytest.param("compress", {"mb": 2}, "cpu-bound, releases the GIL", id="compress"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("workload", "params", "kind"), BUILT_IN)
def test_built_in_workloads_are_classified_right_here(
    workload: str, params: dict[str, float], kind: str
) -> None:
    with OtherPrograms() as others:
        result = threadlab.run(
            workload,
            ["sequential", "threads", "processes"],
            [2],
            params=params,
            repeat=5,
            warmup=1,
            timeout=60,
        )

    assert [m.status for m in result.measurements] == ["ok"] * 3
    (classification,) = analyse(result).classifications
    others.excuse(classification.kind == kind, f"{workload} classified {classification.kind!r}")
    assert classification.kind == kind, classification.evidence
    assert classification.workload == workload


# ---------------------------------------------------------------------------
# The scaling summary under `threadlab run` and `threadlab show`


USL_FITTED = re.compile(r"^USL: λ \S+/s, σ \d\.\d{3} \(contention\), κ \S+ \(coherency\); .+; R² ")


@pytest.mark.timeout(60)
def test_run_and_show_print_the_scaling_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    out_file = tmp_path / "results.json"
    run_args = ["-w", "sleep", "-s", "sequential,threads", "-p", "duration=0.01", "--repeat", "3"]

    code, out, _ = threadlab_cli(
        capsys, "run", *run_args, "-n", "1,2,4,8", "--warmup", "0", "-o", str(out_file)
    )
    code_show, shown, _ = threadlab_cli(capsys, "show", str(out_file))

    assert (code, code_show) == (0, 0)
    for printed in (out, shown):
        lines = [line.strip() for line in printed.splitlines()]
        assert any(re.fullmatch(r"Scaling: sleep on threads \[3\.\d+\.\d+\S*\]", line) for line in lines)
        header = next(line for line in lines if line.startswith("workers"))
        assert header.split() == [
            "workers",
            "tasks/s",
            "vs",
            "1",
            "worker",
            "vs",
            "sequential",
            "efficiency",
            "Karp–Flatt",
        ]
        rows = [line.split()[0] for line in lines[lines.index(header) + 2 :][:4]]
        assert rows == ["1", "2", "4", "8"]
        assert sum(bool(USL_FITTED.match(line)) for line in lines) == 1, printed
    assert out.index("point") < out.index("Scaling:")


@pytest.mark.timeout(60)
def test_show_says_why_the_usl_is_not_fitted(
    small_run: tuple[Result, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    _, results = small_run  # sleep on sequential and threads, 1 and 2 workers

    code, out, _ = threadlab_cli(capsys, "show", str(results))

    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert any(line.startswith("Scaling: sleep on threads [") for line in lines)
    assert "USL not fitted: USL needs at least 4 distinct worker counts; got 2 (1, 2)" in lines


@pytest.mark.timeout(60)
def test_a_strategy_at_one_worker_count_has_no_scaling_summary(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")

    code, out, _ = threadlab_cli(
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
    )

    assert code == 0
    assert "sleep · threads ×2" in out
    assert "Scaling:" not in out
    assert "USL" not in out
