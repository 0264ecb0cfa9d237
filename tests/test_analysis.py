"""From results to advice: classification, recommendation and scaling per strategy.

Two kinds of test, neither of which depends on the machine's speed while it
runs. Synthetic results, built directly from the data model with chosen wall
times, CPU times, task spans and rounds, pin down every rule of the
recommendation without starting a process. Results files recorded with
``threadlab run`` (``tests/data``, see ``make_data.py``) check that real
measurements of the built-in workloads come out classified as their physics
says (sleeping waits, ``count`` holds the GIL, ``hash`` and ``compress``
release it), and that a run on a machine that gave one core of its two is
not taken for GIL-bound work. The live figures are printed by
``benchmarks/bench_cpu_loop.py``, never asserted here.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from rich.console import Console

from cli_runner import threadlab_cli
from threadlab import (
    Environment,
    Interpreter,
    MachineNoise,
    Measurement,
    Point,
    Result,
    Rounds,
    Sample,
    Spec,
    TaskSpans,
    load_result,
    save_result,
    workloads,
)
from threadlab.analysis import (
    Analysis,
    Fact,
    FactCode,
    Kind,
    Remedy,
    Speedup,
    StrategyScaling,
    USLFit,
    USLNotFitted,
    Verdict,
    analyse,
    relative_half_width,
)
from threadlab.model import NativePool, RoundsEnd, Status
from threadlab.render import advice_text, fact_text
from threadlab.render._analysis import (
    OPTIONS,
    _usl_line,
    advice_renderables,
    analysis_renderables,
    precision_lines,
    warning_lines,
)
from threadlab.render._doubts import noise_notes
from threadlab.worker.workloads import KINDS as KINDS_OF_WORK

DATA = Path(__file__).resolve().parent / "data"

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
    paired: bool = False,
) -> Measurement:
    """A measurement whose samples take ``walls`` seconds, with CPU/wall ``cpu``.

    Each sample runs ``tasks`` tasks of ``task_s`` seconds each (by default the
    wall time shared out as the workers would), ``failed`` of which raised.
    ``paired``: sample i was taken in round i, as the points of a group are
    measured in interleaved rounds; else the samples have no round (schema 1).
    """
    duration = task_s if task_s is not None else None
    samples = []
    for number, wall in enumerate(walls):
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
                round=number if paired else None,
            )
        )
    point = Point(workload=workload, strategy=strategy, workers=workers, tasks=tasks, python="python")
    return Measurement(point=point, status=status, interpreter=INTERPRETER, samples=tuple(samples))


def result_of(
    *measurements: Measurement,
    cpu_count: int | None = 2,
    noise: MachineNoise | None = None,
    rounds: tuple[Rounds, ...] = (),
) -> Result:
    spec = Spec(
        workloads=tuple(dict.fromkeys(m.point.workload for m in measurements)),
        strategies=tuple(dict.fromkeys(m.point.strategy for m in measurements)),
        workers=tuple(sorted({m.point.workers for m in measurements})),
        python="python",
    )
    environment = Environment(
        **{**{f: getattr(ENVIRONMENT, f) for f in Environment.__dataclass_fields__}, "cpu_count": cpu_count}
    )
    return Result(spec=spec, environment=environment, measurements=measurements, noise=noise, rounds=rounds)


def rounds_of(
    measurements: Sequence[Measurement], ended: RoundsEnd, *, precision: float = 0.05, elapsed_s: float = 3.0
) -> Rounds:
    """The rounds one group of paired ``measurements`` took, each point's samples one per round.

    ``reached`` is the widest relative half-width of their speedup intervals, as the runner records it.
    """
    from threadlab.analysis import baseline_among, speedup

    widths = []
    for measurement in measurements:
        baseline = baseline_among(measurements, measurement)
        paired = None if baseline is None or baseline is measurement else speedup(measurement, baseline)
        if paired is not None:
            widths.append(relative_half_width(paired[0], paired[1]))
    return Rounds(
        points=tuple(range(len(measurements))),
        rounds=max(len(m.samples) for m in measurements),
        elapsed_s=elapsed_s,
        precision=precision,
        reached=max(widths) if widths else None,
        time_s=elapsed_s,
        ended=ended,
    )


def only(analysis: Analysis) -> tuple[str | None, int | None]:
    """The one recommendation's (strategy, workers), for short assertions."""
    (recommendation,) = analysis.recommendations
    return recommendation.strategy, recommendation.workers


STEADY = [0.4] * 5  # 4 tasks in 0.4 s, five times over: 10 tasks/s with no spread


@pytest.mark.timeout(30)
def test_wildly_varying_samples_of_a_file_without_rounds_are_too_noisy_to_tell() -> None:
    # Threads: 13.3 tasks/s at the median, but anywhere from 6.7 to 20. Measured before rounds
    # (no round numbers): judged by the spread of the samples, as it was then.
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
    assert recommendation.verdict is Verdict.TOO_NOISY
    assert recommendation.warning is not None and recommendation.warning.code == "high-spread"
    assert recommendation.reasons[0] == Fact(
        FactCode.MEASURED, "threads", 2, speedup=Speedup(pytest.approx(4 / 3), *recommendation.interval, 0)
    )
    assert advice_text(recommendation) == (
        "work: too noisy to tell — the best, threads ×2, measured 1.33× (95% CI 0.67–2.00×), "
        "and the interval spans both no gain and a real one. "
        "Close other programs, keep the machine on mains power, and measure more samples."
    )
    (_, threads) = analysis.points
    assert [w.code for w in threads.warnings] == ["high-spread"]
    assert threads.ratios is None


# Per-round speedups of threads ×2 against sequential: median 1.2×, 95% interval 0.9–1.6×.
RATIOS = [1.25, 0.9, 1.6, 1.1, 1.4, 1.15]


def noisy_pair() -> list[Measurement]:
    """Sequential and threads ×2 (waiting work) paired over six rounds, threads' speedup 0.9–1.6×."""
    return [
        measured("sequential", 1, [0.4] * 6, cpu=0.05, paired=True),
        measured("threads", 2, [0.4 / r for r in RATIOS], cpu=0.05, paired=True),
    ]


@pytest.mark.timeout(30)
def test_too_noisy_only_when_the_rounds_ran_out_of_time() -> None:
    pair = noisy_pair()

    analysis = analyse(result_of(*pair, rounds=(rounds_of(pair, "time", elapsed_s=3.0),)))

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == (None, None)
    assert recommendation.speedup == pytest.approx(1.2)
    assert recommendation.interval == pytest.approx((0.9, 1.6))
    assert recommendation.verdict is Verdict.TOO_NOISY
    assert recommendation.remedies == (Remedy.MORE_TIME, Remedy.QUIETER_MACHINE)
    (precision,) = analysis.precision
    assert recommendation.precision == precision  # what more time would give, as data
    # ±29.2% after 3 s of rounds: (0.292 / 0.05)² × 3 s = 102 s would reach ±5%.
    assert advice_text(recommendation) == (
        "work: too noisy to tell — the best, threads ×2, measured 1.20× (95% CI 0.90–1.60×), and the "
        "interval spans both no gain and a real one. The rounds reached ±29% in 3 s (6 rounds); about "
        "102 s of rounds would reach ±5%: give it more time, on a quieter machine if you can."
    )
    assert (precision.ended, precision.rounds) == ("time", 6)
    assert precision.more_time_s == pytest.approx(3.0 * (0.7 / 2 / 1.2 / 0.05) ** 2)


@pytest.mark.timeout(30)
def test_the_same_interval_reached_as_asked_is_no_clear_gain_not_too_noisy() -> None:
    # Asked for ±50%: the rounds ended "precise" at ±29%. More rounds were not wanted, so the
    # interval is the answer: it does not rule out "no gain", so there is no clear gain.
    pair = noisy_pair()

    analysis = analyse(result_of(*pair, rounds=(rounds_of(pair, "precise", precision=0.5),)))

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers, recommendation.speedup) == ("sequential", 1, 1.0)
    assert recommendation.verdict is Verdict.STAY_UNSETTLED
    assert recommendation.chosen is not None and (
        recommendation.chosen.name,
        recommendation.chosen.workers,
    ) == (
        "threads",
        2,
    )
    assert recommendation.chosen.speedup == Speedup(
        pytest.approx(1.2), pytest.approx(0.9), pytest.approx(1.6), 6
    )
    (precision,) = analysis.precision
    assert (precision.ended, precision.more_time_s) == ("precise", None)


@pytest.mark.timeout(30)
def test_paired_rounds_see_through_the_machines_drift() -> None:
    # The machine ran at full speed in even rounds and at half speed in odd ones; threads ×2
    # did twice the sequential throughput in every round. Unpaired, the medians' intervals
    # overlap (1.0–4.0×); paired round by round, the speedup is 2.00× exactly.
    sequential = measured("sequential", 1, [0.4, 0.8] * 3, cpu=0.05, paired=True)
    threads = measured("threads", 2, [0.2, 0.4] * 3, cpu=0.05, paired=True)
    paired = [sequential, threads]

    analysis = analyse(result_of(*paired, rounds=(rounds_of(paired, "time"),)))

    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("threads", 2)
    assert (recommendation.speedup, recommendation.interval) == (2.0, (2.0, 2.0))
    assert recommendation.reasons[0] == Fact(
        FactCode.MEASURED, "threads", 2, speedup=Speedup(2.0, 2.0, 2.0, 6)
    )
    # Its wall times vary by a third, its per-round speedups not at all: no high-spread warning.
    _, stats = analysis.points
    assert stats.wall.cv is not None and stats.wall.cv > 0.3
    assert stats.ratios is not None and stats.ratios.cv == 0
    assert stats.warnings == ()

    unpaired = analyse(
        result_of(
            measured("sequential", 1, [0.4, 0.8] * 3, cpu=0.05),
            measured("threads", 2, [0.2, 0.4] * 3, cpu=0.05),
        )
    )
    (guess,) = unpaired.recommendations
    assert guess.strategy is None and guess.interval == pytest.approx((1.0, 4.0))


@pytest.mark.timeout(30)
def test_a_paired_point_whose_per_round_speedups_vary_is_flagged() -> None:
    pair = noisy_pair()

    analysis = analyse(result_of(*pair, rounds=(rounds_of(pair, "time"),)))

    sequential, threads = analysis.points
    assert sequential.warnings == ()  # its own baseline: every per-round ratio is 1
    assert [(w.code, w.paired, w.remedies) for w in threads.warnings] == [
        ("high-spread", True, (Remedy.MORE_TIME,))
    ]
    assert threads.warnings[0].judged == threads.ratios


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
    assert recommendation.classification.kind is Kind.CPU_HOLDS_GIL
    assert recommendation.verdict is Verdict.STAY
    assert recommendation.chosen is not None and recommendation.chosen.name == "threads"
    assert advice_text(recommendation).startswith(
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
    assert recommendation.verdict is Verdict.USE
    fewer = recommendation.reasons[-1]
    assert (fewer.code, fewer.workers) == (FactCode.FEWER_WORKERS, 8)
    assert (fewer.value, fewer.other) == (pytest.approx(20 / 19.8), pytest.approx(0.05))
    assert fact_text(fewer) == "8 workers gave 1.01× of that: within 5%, so the fewer workers win"


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
    assert recommendation.verdict is Verdict.NO_WORKERS
    assert recommendation.reasons == (Fact(FactCode.NO_WORKERS),)


@pytest.mark.timeout(30)
def test_without_a_sequential_point_the_work_is_unclear_and_the_speedup_unknown() -> None:
    analysis = analyse(result_of(measured("threads", 1, STEADY), measured("threads", 2, [0.2] * 5)))

    (classification,) = analysis.classifications
    assert classification.kind is Kind.UNKNOWN
    assert classification.evidence == (Fact(FactCode.NO_SEQUENTIAL),)
    (recommendation,) = analysis.recommendations
    assert (recommendation.strategy, recommendation.workers) == ("threads", 2)
    assert (recommendation.speedup, recommendation.interval) == (None, None)
    assert (recommendation.verdict, recommendation.reasons) == (
        Verdict.NO_BASELINE,
        (Fact(FactCode.NO_BASELINE),),
    )
    assert recommendation.chosen is not None and recommendation.chosen.speedup is None


@pytest.mark.timeout(30)
def test_without_threads_whether_computing_work_holds_the_gil_is_unclear() -> None:
    analysis = analyse(result_of(measured("sequential", 1, STEADY), measured("processes", 2, [0.22] * 5)))

    (classification,) = analysis.classifications
    assert classification.kind is Kind.UNKNOWN
    assert classification.evidence[-1] == Fact(FactCode.NO_THREADS)


@pytest.mark.timeout(30)
def test_on_one_cpu_computing_work_is_unclear() -> None:
    analysis = analyse(
        result_of(measured("sequential", 1, STEADY), measured("threads", 2, STEADY), cpu_count=1)
    )

    (classification,) = analysis.classifications
    assert classification.kind is Kind.UNKNOWN
    assert classification.evidence[-1] == Fact(FactCode.ONE_CPU)


CLASSIFIED = [
    pytest.param(
        [("sequential", STEADY, 0.05), ("threads", [0.2] * 5, 0.1), ("processes", [0.25] * 5, 0.2)],
        Kind.IO,
        ("threads", 2),
        "The tasks mostly wait, and waiting overlaps: more workers wait at once.",
        id="io-bound",
    ),
    pytest.param(
        [("sequential", STEADY, 0.5), ("threads", [0.25] * 5, 0.9)],
        Kind.MIXED,
        ("threads", 2),
        "The tasks both wait and compute; the waiting overlaps.",
        id="mixed",
    ),
    pytest.param(
        [("sequential", STEADY, 1.0), ("threads", [0.4] * 5, 1.0), ("processes", [0.22] * 5, 1.9)],
        Kind.CPU_HOLDS_GIL,
        ("processes", 2),
        "The work holds the GIL, so it runs in parallel only where each worker has a GIL of its own, "
        "as on processes.",
        id="holds-gil",
    ),
    pytest.param(
        [("sequential", STEADY, 1.0), ("threads", [0.21] * 5, 1.9), ("processes", [0.25] * 5, 1.8)],
        Kind.CPU_RELEASES_GIL,
        ("threads", 2),
        "The work runs in C code that releases the GIL, so threads compute in parallel.",
        id="releases-gil",
    ),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("points", "kind", "advice", "why"), CLASSIFIED)
def test_classification_and_advice_follow_cpu_time_and_speedups(
    points: list[tuple[str, list[float], float]], kind: Kind, advice: tuple[str, int], why: str
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
    assert recommendation.classification.evidence[0].code is FactCode.SEQUENTIAL_CPU
    assert (recommendation.strategy, recommendation.workers) == advice
    assert recommendation.verdict is Verdict.USE
    assert recommendation.reasons[1] == Fact(FactCode.CLASSIFIED, kind=kind)
    assert advice_text(recommendation).endswith(why)


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
    assert recommendation.verdict is Verdict.STAY_SHORT_TASKS
    assert recommendation.reasons[-1] == Fact(FactCode.SHORT_TASKS, value=pytest.approx(1e-5))


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
    assert recommendation.chosen is not None and recommendation.chosen.speedup is not None
    measured_speedup = recommendation.chosen.speedup
    assert (measured_speedup.low, measured_speedup.high) == (pytest.approx(0.5), pytest.approx(4.0))
    assert (recommendation.verdict is Verdict.STAY_SHORT_TASKS) == (strategy == "sequential")


@pytest.mark.timeout(30)
def test_points_where_every_task_raised_are_reported_not_analysed(tmp_path: Path) -> None:
    # Every sequential task raised: no throughput to divide by. The run must not crash.
    result = result_of(
        measured("sequential", 1, STEADY, failed=4, status="errors"),
        measured("threads", 2, [0.2] * 5),
    )

    analysis = analyse(result)

    assert [p.label for p in analysis.points] == [m.point.label() for m in result.measurements]
    (recommendation,) = analysis.recommendations
    assert recommendation.speedup is None  # no sequential baseline to compare against
    save_result(result, tmp_path / "results.json", analysis.to_json())  # JSON without NaN, or it raises
    assert load_result(tmp_path / "results.json") == result

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
    assert threads.usl == USLNotFitted("few-worker-counts", (1, 2, 4), 4)

    assert processes.strategy == "processes"
    assert [p.workers for p in processes.points] == [1, 2, 4, 8]
    assert [p.speedup_vs_one for p in processes.points] == pytest.approx([1, 2, 3.2, 4])
    assert [p.efficiency for p in processes.points] == pytest.approx([1, 1, 0.8, 0.5])
    assert isinstance(processes.usl, USLFit)
    assert processes.usl.points == 4


def machine(capacity: float) -> MachineNoise:
    """What the noise monitor read on a 2-core machine that ran ``capacity`` cores in parallel."""
    return MachineNoise(cores=2, capacity_cores=(capacity, capacity), elapsed_s=5.0)


# Computing work (CPU/wall 1.0) that gained nothing on threads and nothing on processes.
NO_GAIN_ANYWHERE = [("sequential", STEADY, 1.0), ("threads", [0.4] * 5, 1.0), ("processes", [0.41] * 5, 1.0)]


@pytest.mark.timeout(30)
def test_work_that_gained_nowhere_on_a_machine_that_gave_one_core_is_not_called_gil_bound() -> None:
    # As sha256 measured in CI: threads 0.99×, processes 0.91×, while the host held one core.
    points = [
        measured(strategy, 1 if strategy == "sequential" else 2, walls, cpu=cpu)
        for strategy, walls, cpu in NO_GAIN_ANYWHERE
    ]

    held = analyse(result_of(*points, noise=machine(1.0)))
    free = analyse(result_of(*points, noise=machine(1.95)))

    (classification,) = held.classifications
    assert classification.kind is Kind.UNKNOWN
    assert classification.evidence[-1] == Fact(FactCode.CAPACITY_LOW, workers=2, value=pytest.approx(1.0))
    assert held.noise is not None and held.noise.capacity_low
    (classification,) = free.classifications
    assert classification.kind is Kind.CPU_HOLDS_GIL
    assert free.noise is not None and not free.noise.capacity_low


@pytest.mark.timeout(30)
def test_a_gain_on_processes_shows_the_cores_were_there_whatever_the_capacity_probe_said() -> None:
    analysis = analyse(
        result_of(
            measured("sequential", 1, STEADY, cpu=1.0),
            measured("threads", 2, [0.4] * 5, cpu=1.0),
            measured("processes", 2, [0.22] * 5, cpu=1.9),
            noise=machine(1.0),
        )
    )

    (classification,) = analysis.classifications
    assert classification.kind is Kind.CPU_HOLDS_GIL
    assert only(analysis) == ("processes", 2)


# ---------------------------------------------------------------------------
# Recorded runs: the built-in workloads, as measured with `threadlab run` (tests/data/make_data.py)


KINDS = {
    "sleep": Kind.IO,
    "count": Kind.CPU_HOLDS_GIL,
    "hash": Kind.CPU_RELEASES_GIL,
    "compress": Kind.CPU_RELEASES_GIL,
}


@pytest.fixture(scope="module")
def kinds_here() -> Result:
    """sleep, count, hash and compress on sequential, threads and processes ×2, a quiet 2-core machine."""
    return load_result(DATA / "kinds-here.json")


@pytest.fixture(scope="module")
def kinds_one_core() -> Result:
    """The same run on the same machine while other programs held about one core of its two."""
    return load_result(DATA / "kinds-one-core.json")


@pytest.mark.timeout(30)
def test_the_recorded_built_in_workloads_are_classified_as_their_physics_says(kinds_here: Result) -> None:
    analysis = analyse(kinds_here)

    assert analysis.noise is not None and not analysis.noise.capacity_low
    assert {c.workload: c.kind for c in analysis.classifications} == KINDS
    advice = {r.workload: r for r in analysis.recommendations}
    # Waiting overlaps on threads; the loop that holds the GIL needs a GIL per worker; C code
    # that releases the GIL runs in parallel on threads (processes would do too).
    assert (advice["sleep"].strategy, advice["sleep"].workers) == ("threads", 2)
    assert (advice["count"].strategy, advice["count"].workers) == ("processes", 2)
    assert advice["hash"].strategy in ("threads", "processes")
    for recommendation in (advice["sleep"], advice["count"], advice["hash"]):
        assert recommendation.interval is not None and recommendation.interval[0] > 1.05
        speedup = recommendation.reasons[0].speedup
        assert speedup is not None and speedup.rounds >= kinds_here.spec.repeat


@pytest.mark.timeout(30)
def test_the_recorded_points_were_paired_round_by_round(kinds_here: Result) -> None:
    assert [rounds.points for rounds in kinds_here.rounds] == [(0, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10, 11)]
    for rounds in kinds_here.rounds:
        assert rounds.rounds >= kinds_here.spec.repeat
        for index in rounds.points:
            samples = kinds_here.measurements[index].samples
            assert [s.round for s in samples] == list(range(rounds.rounds))


@pytest.mark.timeout(30)
def test_a_recorded_run_on_a_machine_that_gave_one_core_calls_no_work_gil_bound(
    kinds_one_core: Result,
) -> None:
    analysis = analyse(kinds_one_core)

    assert analysis.noise is not None and analysis.noise.capacity_low
    assert analysis.noise.capacity is not None and analysis.noise.capacity < 1.5
    kinds = {c.workload: c for c in analysis.classifications}
    assert kinds["sleep"].kind is Kind.IO  # waiting overlaps whatever the cores
    for name in ("count", "hash", "compress"):
        assert kinds[name].kind is Kind.UNKNOWN, kinds[name].evidence
        assert kinds[name].evidence[-1] == Fact(
            FactCode.CAPACITY_LOW, workers=2, value=analysis.noise.capacity
        )
    advice = {r.workload: r for r in analysis.recommendations}
    assert (advice["sleep"].strategy, advice["sleep"].workers) == ("threads", 2)
    # Nothing computing is recommended a parallel strategy it could not have been seen to gain on.
    for name in ("count", "hash", "compress"):
        assert advice[name].strategy in ("sequential", None), advice_text(advice[name])


# ---------------------------------------------------------------------------
# Advice as data: what to do as Remedy values, kinds as identifiers


def one_worker_only() -> Result:
    return result_of(measured("sequential", 1, STEADY, cpu=0.05), measured("threads", 1, [0.1] * 5, cpu=0.05))


def no_sequential() -> Result:
    return result_of(measured("threads", 1, STEADY), measured("threads", 2, [0.2] * 5))


def waiting_gains_on_threads() -> Result:
    return result_of(measured("sequential", 1, STEADY, cpu=0.05), measured("threads", 2, [0.2] * 5, cpu=0.1))


def no_threads() -> Result:
    return result_of(measured("sequential", 1, STEADY), measured("processes", 2, [0.22] * 5))


def one_cpu() -> Result:
    return result_of(measured("sequential", 1, STEADY), measured("threads", 2, STEADY), cpu_count=1)


def no_gil_per_worker() -> Result:
    return result_of(measured("sequential", 1, STEADY), measured("threads", 2, [0.4] * 5))


def threads_gain_on_one_core() -> Result:
    return result_of(measured("sequential", 1, STEADY), measured("threads", 2, [0.2] * 5, cpu=1.0))


def threads_busy_without_gain() -> Result:
    return result_of(measured("sequential", 1, STEADY), measured("threads", 2, [0.4] * 5, cpu=1.9))


def cores_held_back() -> Result:
    return result_of(
        *(
            measured(strategy, 1 if strategy == "sequential" else 2, walls, cpu=cpu)
            for strategy, walls, cpu in NO_GAIN_ANYWHERE
        ),
        noise=machine(1.0),
    )


def out_of_time() -> Result:
    pair = noisy_pair()
    return result_of(*pair, rounds=(rounds_of(pair, "time"),))


def noisy_before_rounds() -> Result:
    return result_of(
        measured("sequential", 1, STEADY, cpu=0.05),
        measured("threads", 2, [0.2, 0.6, 0.25, 0.5, 0.3], cpu=0.05),
    )


def precise_but_wide() -> Result:
    pair = noisy_pair()
    return result_of(*pair, rounds=(rounds_of(pair, "precise", precision=0.5),))


def tiny_tasks() -> Result:
    return result_of(
        measured("sequential", 1, [0.01] * 5, tasks=1000, task_s=1e-5),
        measured("threads", 2, [0.02] * 5, tasks=1000, task_s=2e-5),
    )


R = Remedy
# Each case: the result, then the kind and the remedies of its classification and its recommendation.
REMEDIES = [
    pytest.param(one_worker_only, Kind.IO, (), (R.ADD_WORKERS,), id="nothing-with-2-workers"),
    pytest.param(no_sequential, Kind.UNKNOWN, (R.ADD_SEQUENTIAL,), (R.ADD_SEQUENTIAL,), id="no-sequential"),
    pytest.param(waiting_gains_on_threads, Kind.IO, (), (), id="a-clear-win"),
    pytest.param(no_threads, Kind.UNKNOWN, (R.ADD_THREADS,), (), id="no-threads"),
    pytest.param(one_cpu, Kind.UNKNOWN, (R.MORE_CORES,), (), id="one-cpu"),
    pytest.param(no_gil_per_worker, Kind.CPU_HOLDS_GIL, (R.ADD_GIL_PER_WORKER,), (), id="no-gil-per-worker"),
    pytest.param(threads_gain_on_one_core, Kind.UNKNOWN, (R.QUIETER_MACHINE,), (), id="gain-on-one-core"),
    pytest.param(threads_busy_without_gain, Kind.UNKNOWN, (R.QUIETER_MACHINE,), (), id="busy-without-gain"),
    pytest.param(cores_held_back, Kind.UNKNOWN, (R.QUIETER_MACHINE,), (), id="cores-held-back"),
    pytest.param(out_of_time, Kind.IO, (), (R.MORE_TIME, R.QUIETER_MACHINE), id="too-noisy-out-of-time"),
    pytest.param(
        noisy_before_rounds, Kind.IO, (), (R.QUIETER_MACHINE, R.MORE_SAMPLES), id="too-noisy-before-rounds"
    ),
    pytest.param(precise_but_wide, Kind.IO, (), (R.TIGHTER_PRECISION,), id="interval-still-wide"),
    pytest.param(tiny_tasks, Kind.CPU_HOLDS_GIL, (R.ADD_GIL_PER_WORKER,), (R.BIGGER_TASKS,), id="tiny-tasks"),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("make", "kind", "settles", "remedies"), REMEDIES)
def test_every_classification_and_recommendation_says_what_to_do_as_remedies(
    make: Callable[[], Result], kind: Kind, settles: tuple[Remedy, ...], remedies: tuple[Remedy, ...]
) -> None:
    (recommendation,) = analyse(make()).recommendations

    classification = recommendation.classification
    assert (classification.kind, classification.remedies) == (kind, settles)
    assert recommendation.remedies == remedies
    words = (*classification.evidence, *recommendation.reasons)
    for text in (*map(fact_text, words), advice_text(recommendation)):
        assert not FLAG.search(text), text


# A command-line option: two dashes and a letter (not a dash between words, "—", or "1–2").
FLAG = re.compile(r"--[A-Za-z]")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_no_analysis_of_a_recorded_file_names_a_command_line_option(name: str) -> None:
    analysis = analyse(load_result(DATA / name))

    texts = json.dumps(analysis.to_json(), ensure_ascii=False)
    assert analysis.recommendations and not FLAG.search(texts), FLAG.findall(texts)
    for recommendation in analysis.recommendations:  # nor do the words of its verdicts
        facts = (*recommendation.classification.evidence, *recommendation.reasons)
        for text in (advice_text(recommendation), *map(fact_text, facts)):
            assert text and not FLAG.search(text), text
    if analysis.noise is not None:
        assert not any(FLAG.search(note) for note in noise_notes(analysis.noise))
    warnings = [w for stats in analysis.points for w in stats.warnings]
    assert all(w.remedies for w in warnings)  # every warning says what to do, as data too


@pytest.mark.timeout(30)
def test_kinds_go_to_the_results_file_as_plain_identifiers_and_come_back(
    kinds_here: Result, tmp_path: Path
) -> None:
    analysis = analyse(kinds_here)
    path = tmp_path / "results.json"

    save_result(kinds_here, path, analysis.to_json())

    data = json.loads(path.read_text(encoding="utf-8"))["analysis"]
    written = {c["workload"]: c["kind"] for c in data["classifications"]}
    assert written == {
        "sleep": "io",
        "count": "cpu-holds-gil",
        "hash": "cpu-releases-gil",
        "compress": "cpu-releases-gil",
    }
    assert {type(kind) for kind in written.values()} == {str}
    assert [r["classification"]["kind"] for r in data["recommendations"]] == list(written.values())
    assert {Kind(kind) for kind in written.values()} == set(KINDS.values())
    assert {workload: Kind(kind).words for workload, kind in written.items()} == {
        "sleep": "io-bound",
        "count": "cpu-bound, holds the GIL",
        "hash": "cpu-bound, releases the GIL",
        "compress": "cpu-bound, releases the GIL",
    }
    # The analysis of the file read back is the same, kinds as the enum.
    again = analyse(load_result(path))
    assert [c.kind for c in again.classifications] == [c.kind for c in analysis.classifications]
    assert all(isinstance(c.kind, Kind) for c in again.classifications)


@pytest.mark.timeout(30)
def test_remedies_go_to_the_results_file_as_plain_identifiers(tmp_path: Path) -> None:
    result = out_of_time()

    data = analyse(result).to_json()

    (recommendation,) = data["recommendations"]
    assert recommendation["remedies"] == ["more-time", "quieter-machine"]
    assert [type(r) for r in recommendation["remedies"]] == [str, str]
    (_, threads) = data["points"]
    assert threads["warnings"][0]["remedies"] == ["more-time"]
    assert [Remedy(r) for r in recommendation["remedies"]] == [Remedy.MORE_TIME, Remedy.QUIETER_MACHINE]


def test_the_built_in_workloads_declare_kinds_of_the_one_vocabulary() -> None:
    assert set(KINDS_OF_WORK) == set(Kind)
    assert [kind.value for kind in Kind] == [
        "io",
        "cpu-holds-gil",
        "cpu-releases-gil",
        "mixed",
        "lock-bound",
        "parallel-inside",
        "unknown",
    ]
    for info in workloads():
        assert isinstance(info.kind, Kind) and info.kind.words, info.name
    assert {info.name: info.kind for info in workloads()}["count"] is Kind.CPU_HOLDS_GIL
    assert (str(Kind.CPU_HOLDS_GIL), f"{Kind.IO}") == ("cpu-holds-gil", "io")


def plain_text(*renderables: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None, force_terminal=False, highlight=False)
    for renderable in renderables:
        console.print(renderable, markup=False)
    return " ".join(buffer.getvalue().split())


@pytest.mark.timeout(30)
def test_the_command_line_words_remedies_as_the_options_of_the_command_that_measured() -> None:
    missing = analyse(no_sequential())
    noisy = analyse(out_of_time())

    # run has an option for measuring sequential too; advise measures it always; show cannot measure.
    assert "→ rerun with sequential in -s" in plain_text(*advice_renderables(missing, OPTIONS["run"]))
    for options in (OPTIONS["advise"], None):
        assert "rerun with" not in plain_text(*advice_renderables(missing, options))
    # More time: the value suggested for the whole run, as the precision line names it.
    (line,) = precision_lines(noisy)
    seconds = line.rsplit(" ", 1)[-1]
    assert line.endswith(f"give it more time with --max-time {seconds}")
    assert f"→ rerun with --max-time {seconds}" in plain_text(*advice_renderables(noisy, OPTIONS["run"]))
    assert f"→ rerun with --budget {seconds}" in plain_text(*advice_renderables(noisy, OPTIONS["advise"]))
    assert warning_lines(noisy, OPTIONS["run"])[-1] == (
        f"what to do: give the run more time, so that more rounds narrow the interval; "
        f"rerun with --max-time {seconds}"
    )
    assert (
        warning_lines(noisy)[-1]
        == "what to do: give the run more time, so that more rounds narrow the interval"
    )
    assert "rerun with" not in plain_text(*analysis_renderables(noisy, options=None))
    # The kind is shown in words.
    assert "work [3.11.7]: io-bound" in plain_text(*advice_renderables(noisy))


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
    run_args += ["--max-time", "0.1"]

    code, out, _ = threadlab_cli(
        capsys, "run", *run_args, "-n", "1,2,4,8", "--warmup", "0", "--verbose", "-o", str(out_file)
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


@pytest.mark.timeout(30)
def test_a_usl_fit_that_did_not_converge_is_worded_with_the_optimisers_message() -> None:
    failed = USLNotFitted(
        "not-converged", (1, 2, 4, 8), 4, "The maximum number of function evaluations is exceeded."
    )
    scaling = StrategyScaling("count", "processes", "3.11", (), failed)

    assert _usl_line(scaling) == (
        "USL not fitted: USL fit did not converge: The maximum number of function evaluations is exceeded."
    )


@pytest.mark.timeout(60)
def test_a_strategy_at_one_worker_count_has_no_scaling_summary(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")

    code, out, _ = threadlab_cli(
        capsys,
        "run",
        "--verbose",
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
    )

    assert code == 0
    assert "sleep · threads ×2" in out
    assert "Scaling:" not in out
    assert "USL" not in out


@pytest.mark.timeout(30)
def test_every_fact_has_its_words_citing_its_figures() -> None:
    pool = NativePool("openblas", "blas", 2)
    cited = Speedup(1.5, 1.25, 1.75, 6)
    words = {
        code: fact_text(
            Fact(code, "threads", 2, value=1.23, other=0.05, speedup=cited, kind=Kind.IO, inner=1, pool=pool)
        )
        for code in FactCode
    }

    assert all(text and not FLAG.search(text) for text in words.values()), words
    assert len(set(words.values())) == len(FactCode)  # each code says its own thing
    assert words[FactCode.SEQUENTIAL_CPU] == "sequential CPU/wall 1.23: the tasks compute 100% of the time"
    assert words[FactCode.THREADS] == "threads ×2: 1.23× sequential (CPU/wall 0.05)"
    assert words[FactCode.MEASURED] == "threads ×2: 1.50× sequential, the median of 6 per-round ratios"
    assert words[FactCode.CLASSIFIED] == f"work classified as {Kind.IO.words}"
    assert words[FactCode.SPLIT] == (
        "threads ×2, 1 native thread each: 1.50× (95% CI 1.25–1.75×) one worker with all its native threads"
    )
    assert words[FactCode.BUSY_INSIDE].endswith(
        "so it runs on native threads of its own (OpenBLAS, 2 threads)"
    )
    assert (
        words[FactCode.SHORT_TASKS] == "median task takes 1.23 s: starting workers costs more than it saves"
    )
