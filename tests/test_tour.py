"""The tour: its lessons as one composite spec, its findings, the API that runs it, the command.

What runs for real: one quick tour through ``threadlab.tour()`` with a short
``max_time`` (about 15 s here), under this Python and one other CPython
installed here, so that the "which Python" lesson is told too. The findings'
words are tested on synthetic measurements, the command's printing with the
API stubbed: no test asserts a timing.
"""

from __future__ import annotations

import html
import json
import platform
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import threadlab
from cli_runner import threadlab_cli
from conftest import NO_OTHER_PYTHON, OTHER_PYTHON
from threadlab import Interpreter, Measurement, Point, Result, Rounds, Sample, SpecError
from threadlab.analysis import Speedup, analyse, gain, summarise
from threadlab.lessons import Finding, LessonPython, findings, lesson_parts, lesson_pythons, tour_spec
from threadlab.lessons._cluster import TITLE as CLUSTER_TITLE
from threadlab.lessons._lessons import CPU_LESSON_PARTS
from threadlab.lessons._tour import LESSON_PRECISION
from threadlab.lessons._which_python import ITERATIONS, which_python_finding
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._rounds import group_points

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parent / "data"
ENVIRONMENT = threadlab.Environment("3.11.7", sys.executable, False, True, 2, "linux", "0.1.0", "now")


# ── what the tour measures: one composite spec ────────────────────────────────


def test_the_tour_spec_plans_the_classic_lessons_in_the_order_told() -> None:
    spec = tour_spec(True, sys.executable)

    points = plan(spec)

    def sized(point: Point) -> dict[str, object]:  # the parameters the lessons set (defaults left out)
        named = ("duration", "iterations", "mb", "hold")
        return {key: value for key, value in point.params.items() if key in named}

    sleep, count, sha = {"duration": 0.2}, {"iterations": 2_000_000}, {"mb": 16.0}
    classic = [p for p in points if p.workload != "matmul"]
    assert [(p.workload, p.strategy, p.workers, p.tasks, sized(p), p.repeat) for p in classic] == [
        ("sleep", "sequential", 1, 1, sleep, 3),
        ("sleep", "sequential", 1, 2, sleep, 3),
        ("sleep", "threads", 2, 2, sleep, 3),
        ("sleep", "threads", 1000, 1000, sleep, 3),
        ("count", "sequential", 1, 2, count, 6),
        ("count", "threads", 2, 2, count, 6),
        ("count", "processes", 2, 2, count, 6),
        ("locked", "sequential", 1, 4, {"hold": 0.01}, 3),
        ("locked", "threads", 4, 4, {"hold": 0.01}, 3),
        ("hash", "sequential", 1, 2, sha, 6),
        ("hash", "threads", 2, 2, sha, 6),
    ]  # fmt: skip
    # "Already parallel: don't wrap it in threads", after the classic lessons (NumPy is a test dependency).
    assert [
        (p.strategy, p.workers, p.tasks, dict(p.params), p.strategy_params["inner_threads"], p.repeat)
        for p in points[len(classic) :]
    ] == [
        ("sequential", 1, 2, {"n": 600}, 0, 6),
        ("threads", 2, 2, {"n": 600}, 0, 6),
        ("threads", 2, 2, {"n": 600}, 1, 6),
    ]  # fmt: skip
    assert {p.python for p in points} == {sys.executable}
    assert (spec.max_time_s, spec.timeout_s, len(spec.parts)) == (10.0, 120.0, 7)
    assert spec.workloads == ("sleep", "count", "locked", "hash", "matmul")
    assert spec.strategies == ("sequential", "threads", "processes")
    assert spec.workers == (1, 2, 4, 1000)


def test_the_full_tour_is_bigger_and_max_time_overrides_the_sizes() -> None:
    full = tour_spec(False, sys.executable)
    short = tour_spec(False, sys.executable, max_time_s=2.5)

    assert full.max_time_s == 46.0
    assert [dict(part.params) for part in full.parts] == [
        {"duration": 0.25},
        {"duration": 0.25},
        {"iterations": 3_000_000},
        {"hold": 0.02},
        {"mb": 64.0},
        {"n": 600, "inner_threads": 0},
        {"n": 600, "inner_threads": 1},
    ]
    # The sleeps take no warm-up (theirs took what their samples did); the rest take one.
    assert [part.warmup for part in full.parts] == [0, 0, 1, 1, 1, 1, 1]
    # The CPU lessons take nine rounds at least, where one wild round no longer moves an interval.
    assert [part.repeat for part in full.parts] == [3, 3, 9, 3, 9, 9, 9]
    assert short.max_time_s == 2.5
    assert short.parts == full.parts


def test_the_seeds_cpu_lesson_takes_more_parts_of_the_tours_time_than_the_other_lessons() -> None:
    for quick in (True, False):
        groups = group_points(plan(tour_spec(quick, sys.executable)))
        parts = lesson_parts(quick)

        assert [(group[0].workload, parts(group)) for group in groups] == [
            ("sleep", 1.0),
            ("count", CPU_LESSON_PARTS),
            ("locked", 1.0),
            ("hash", 1.0),
            ("matmul", 1.0),
        ]
    # The "which Python" lesson's count loop is a lesson of its own, of one part.
    other = Point("count", "threads", 2, 2, params={"iterations": ITERATIONS[False]})
    assert lesson_parts(False)([other]) == 1.0
    assert CPU_LESSON_PARTS > 1.0


def test_the_tour_aims_for_the_widest_interval_that_always_tells_a_gain_from_none() -> None:
    assert tour_spec(False, sys.executable).precision == LESSON_PRECISION
    assert tour_spec(True, sys.executable).precision == LESSON_PRECISION

    def told(centre: float, half_width: float) -> bool | None:
        return gain(Speedup.of(centre, (centre * (1 - half_width), centre * (1 + half_width))))

    centres = [n / 1000 for n in range(500, 2501)]
    assert all(told(centre, LESSON_PRECISION) is not None for centre in centres)
    # A little wider, and some intervals straddle both bars (1.05 and 1.3): "too wide to tell".
    assert any(told(centre, 0.11) is None for centre in centres)


@pytest.mark.skipif(OTHER_PYTHON is None, reason=NO_OTHER_PYTHON)
def test_the_which_python_lesson_is_one_part_per_compared_python() -> None:
    assert OTHER_PYTHON is not None
    this = LessonPython(
        sys.executable, platform.python_version(), subinterpreters=sys.version_info >= (3, 12)
    )
    other = LessonPython(OTHER_PYTHON, Path(OTHER_PYTHON).parent.parent.name, subinterpreters=True)

    spec = tour_spec(False, sys.executable, (this, other))

    lesson = [p for p in plan(spec) if p.params.get("iterations") == ITERATIONS[False]]
    assert len(spec.parts) == 9
    assert spec.pythons == (sys.executable, OTHER_PYTHON)
    here = ("sequential", "threads", "interpreters") if this.subinterpreters else ("sequential", "threads")
    assert [(p.python, p.strategy) for p in lesson] == [
        *((sys.executable, strategy) for strategy in here),
        (OTHER_PYTHON, "sequential"),
        (OTHER_PYTHON, "threads"),
        (OTHER_PYTHON, "interpreters"),
    ]  # fmt: skip
    assert {(p.workers, p.tasks, p.repeat) for p in lesson} == {(1, 2, 3), (2, 2, 3)}


def test_the_lesson_compares_the_newest_of_each_minor_version_free_threaded_first() -> None:
    def found(version: str, free: bool = False) -> LessonPython:
        return LessonPython(f"/p/{version}{'t' if free else ''}", version, free_threaded=free)

    pythons = [found("3.12.1"), found("3.12.4"), found("3.13.0"), found("3.13.1", free=True), found("3.11.7")]

    assert [p.executable for p in lesson_pythons(pythons)] == ["/p/3.13.1t", "/p/3.13.0", "/p/3.12.4"]
    assert lesson_pythons([found("3.12.1"), found("3.12.4")]) == ()
    assert lesson_pythons([]) == ()


# ── what the tour says ────────────────────────────────────────────────────────


def test_the_which_python_lesson_says_what_was_measured_per_python() -> None:
    def measured(python: str, label: str, strategy: str, wall: float, free: bool = False) -> Measurement:
        # Six interleaved rounds of samples that took the same time each: the intervals are points.
        return Measurement(
            point=Point(
                "count",
                strategy,
                1 if strategy == "sequential" else 2,
                2,
                params={"iterations": ITERATIONS[False]},
                python=python,
            ),
            status="ok",
            interpreter=Interpreter(python, label, free_threaded=free, gil_enabled=not free),
            samples=tuple(Sample(wall_s=wall, tasks_ok=2, round=r) for r in range(6)),
        )

    result = Result(
        threadlab.Spec(("count",), ("sequential", "threads", "interpreters"), (2,)),
        ENVIRONMENT,
        (
            measured("/a", "3.14.0", "sequential", 0.2, free=True),
            measured("/a", "3.14.0", "threads", 0.1, free=True),
            measured("/a", "3.14.0", "interpreters", 0.11, free=True),
            measured("/b", "3.11.7", "sequential", 0.4),
            measured("/b", "3.11.7", "threads", 0.4),
        ),
        rounds=(Rounds((0, 1, 2, 3, 4), 6, 3.0, 0.05, 0.0, 30.0, "precise"),),
    )

    lesson = which_python_finding(summarise(result))

    assert lesson is not None and findings(result) == [lesson]
    assert lesson.title == (
        f"Which Python: the CPU loop ({ITERATIONS[False]:,} steps) on 2 workers, per interpreter"
    )
    assert lesson.text == (
        "3.14.0t: one worker 200.0 ms, threads 2.00× (2.00–2.00), subinterpreters 1.82× (1.82–1.82); "
        "3.11.7: one worker 400.0 ms, threads 1.00× (1.00–1.00), no subinterpreters (3.12+) "
        "(speedups against one worker on the same Python, with 95% intervals, all measured in the same "
        "interleaved rounds). "
        "Threads did not run the loop in parallel on 3.11.7: under a GIL one thread at a time runs "
        "Python bytecode. On 3.14.0t threads did run it in parallel: a free-threaded build without its "
        "GIL lets threads use all the cores. Subinterpreters ran it in parallel on 3.14.0t: each has a "
        "GIL of its own, so pure-Python CPU work scales with them in one process. On one core, 3.14.0t "
        "counted fastest and 3.11.7 slowest: 3.11.7 took 2.00× the time (95% CI 2.00–2.00×, paired "
        "round by round)."
    )


def test_the_classic_lessons_are_told_from_the_numbers_in_order() -> None:
    def measured(
        workload: str, strategy: str, workers: int, tasks: int, wall: float, **params: float
    ) -> Measurement:
        return Measurement(
            point=Point(workload, strategy, workers, tasks, params=params, python=sys.executable),
            status="ok",
            interpreter=Interpreter(sys.executable, "3.11.7"),
            samples=tuple(Sample(wall_s=wall, tasks_ok=tasks, round=r) for r in range(3)),
        )

    result = Result(
        tour_spec(True, sys.executable),
        ENVIRONMENT,
        (
            measured("sleep", "sequential", 1, 1, 0.2, duration=0.2),
            measured("sleep", "sequential", 1, 2, 0.4, duration=0.2),
            measured("sleep", "threads", 2, 2, 0.2, duration=0.2),
            measured("sleep", "threads", 1000, 1000, 0.25, duration=0.2),
            measured("count", "sequential", 1, 2, 0.4, iterations=2_000_000),
            measured("count", "threads", 2, 2, 0.4, iterations=2_000_000),
            measured("count", "processes", 2, 2, 0.2, iterations=2_000_000),
            measured("hash", "sequential", 1, 2, 0.2, mb=16.0),
            measured("hash", "threads", 2, 2, 0.1, mb=16.0),
        ),
    )

    told = findings(result)

    assert [f.title for f in told] == [
        "One 0.2 s sleep",
        "Two sleeps in sequence",
        "Two sleeps on two threads",
        "1000 threads each sleeping 0.2 s",
        "The CPU loop (2,000,000 steps) on 2 workers",
        "sha256 of 16 MB on 2 threads",
    ]
    assert told[1].text == "took 400.0 ms: one after the other, their times add up."
    assert told[4].text.startswith("threads: 1.00× (95% CI 1.00–1.00×) sequential")
    assert "no faster than sequential: only one thread at a time may run Python bytecode" in told[4].text
    assert "Processes: 2.00× (95% CI 2.00–2.00×) sequential" in told[4].text
    assert told[5].text.startswith("2.00× (95% CI 2.00–2.00×) sequential")


# ── the API: plans, measures, analyses, says and writes ──────────────────────


@pytest.mark.skipif(OTHER_PYTHON is None, reason=NO_OTHER_PYTHON)
def test_the_api_tour_returns_its_findings_and_writes_the_results_and_the_report(tmp_path: Path) -> None:
    assert OTHER_PYTHON is not None
    out = tmp_path / "tour.json"

    toured = threadlab.tour(quick=True, python=[sys.executable, OTHER_PYTHON], out=out, max_time=1.0)

    result = toured.result
    assert not result.interrupted
    assert (toured.results_path, toured.report_path) == (out, tmp_path / "tour.html")
    assert toured.analysis is analyse(result)
    titles = [f.title for f in toured.findings]
    assert titles[:4] == [
        "One 0.2 s sleep",
        "Two sleeps in sequence",
        "Two sleeps on two threads",
        "1000 threads each sleeping 0.2 s",
    ]
    # "Which Python" comes after the classic lessons; "when is a cluster worth it?" last, where dask runs.
    cluster = threadlab.strategy("dask").unavailable_reason() is None
    assert titles[-2 if cluster else -1].startswith("Which Python: the CPU loop (400,000 steps)")
    assert (titles[-1] == CLUSTER_TITLE) is cluster
    assert all(isinstance(f, Finding) and f.text for f in toured.findings)
    # The spec in the file is what produced its points.
    saved = threadlab.load_result(out)
    assert saved.spec == result.spec
    assert plan(saved.spec) == tuple(m.point for m in result.measurements)
    assert result.spec.parts[:7] == tour_spec(True, sys.executable, max_time_s=1.0).parts
    assert "A NumPy product (600×600), already parallel inside" in titles
    compared = [
        part.python for part in result.spec.parts[7:] if "dask" not in part.strategies
    ]  # newest first
    assert sorted(compared) == sorted([sys.executable, OTHER_PYTHON])
    page = (tmp_path / "tour.html").read_text(encoding="utf-8")
    assert "<title>threadlab tour: what was measured on this machine</title>" in page
    assert all(f"<strong>{html.escape(title)}</strong>" in page for title in titles)


def test_the_api_tour_refuses_bad_values_naming_its_parameters(tmp_path: Path) -> None:
    with pytest.raises(
        SpecError, match=r"^max_time: 0 is not accepted; expected seconds above 0, at most 86,400$"
    ):
        threadlab.tour(max_time=0, out=tmp_path / "t.json")
    directory = re.escape(repr(str(tmp_path)))
    with pytest.raises(
        SpecError, match=rf"^out: cannot write {directory}: it is a directory; expected a file path$"
    ):
        threadlab.tour(out=tmp_path)
    with pytest.raises(SpecError, match=r"^python: '3\.1' matches no Python found here"):
        threadlab.tour(python="3.1", out=tmp_path / "t.json")
    assert list(tmp_path.iterdir()) == []


def test_threadlab_tour_is_the_function_and_the_lessons_a_package_of_their_own() -> None:
    script = textwrap.dedent(
        """
        import json
        from threadlab.lessons import tour_spec      # the lessons' package, loaded first
        import threadlab
        import threadlab.lessons._lessons
        print(json.dumps([threadlab.tour.__module__, threadlab.tour.__name__, tour_spec.__module__]))
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=True
    )

    assert json.loads(finished.stdout) == ["threadlab._api", "tour", "threadlab.lessons._tour"]


# ── the command: parses, calls the API, prints ────────────────────────────────


def test_the_command_hands_its_options_to_the_api_and_prints_the_findings_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threadlab._api
    import threadlab.cli

    stored = threadlab.load_result(DATA / "results-small.json")
    asked: dict[str, object] = {}

    def tour(**options: object) -> threadlab.TourResult:
        asked.update(options)
        told = (Finding("First lesson", "what it showed"), Finding("Second lesson", "and this"))
        return threadlab.TourResult(stored, analyse(stored), told, tmp_path / "t.json", tmp_path / "t.html")

    monkeypatch.setattr(threadlab._api, "tour", tour)
    monkeypatch.setenv("COLUMNS", "200")

    code, out, err = threadlab_cli(
        capsys, "tour", "--quick", "--python", "3.12", "-o", str(tmp_path / "t.json"), "-q"
    )

    assert code == 0, err
    progress = asked.pop("progress")
    assert isinstance(progress, threadlab.cli._ProgressView)
    assert asked == {
        "quick": True,
        "python": ("3.12",),
        "out": tmp_path / "t.json",
        "memory_budget": None,
        "waits": True,
    }
    # The answer first (the lessons), then the one compact table.
    lessons = out.split("The lessons, as measured here:\n")[1].split("point ")[0]
    assert lessons == "1. First lesson\n   what it showed\n2. Second lesson\n   and this\n\n"
    assert "What to use, workload by workload:" not in out
    assert out.rstrip().endswith("--verbose: the full table, per-task, scaling, pools and precision tables")
    assert err.splitlines() == [
        f"Report written to {tmp_path / 't.html'}",
        f"Results written to {tmp_path / 't.json'}",
    ]

    code, out, err = threadlab_cli(
        capsys, "tour", "--quick", "-o", str(tmp_path / "t.json"), "-q", "--verbose"
    )

    assert code == 0, err
    lessons = out.split("The lessons, as measured here:\n")[1].split("What to use, workload by workload:")[0]
    assert lessons == "1. First lesson\n   what it showed\n2. Second lesson\n   and this\n\n"
    assert out.index("The tour: what was measured on this machine") < out.index("The lessons, as measured")
    assert "Scaling: sleep on threads [3.11.7]" in out
