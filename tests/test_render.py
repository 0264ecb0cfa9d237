"""Renderers of stored results files: text against saved expected output, plots that are real images.

The stored files never change, so the text they render to is saved in
tests/data/expected/ and compared character for character, at a fixed width
and without colour. After a deliberate change of format, remake the expected
files with ``THREADLAB_UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_render.py``
and review the diff.

- tests/data/results-small.json (made by tests/data/make_data.py from a real
  run) is schema 1, written before rounds: no noise readings, no precision,
  and speedup intervals that are the conservative ratio of two medians'
  intervals.
- tests/data/rounds-small.json is schema 2, a real run in interleaved rounds::

      threadlab run -w sleep,count -s sequential,threads -n 1,2 \\
          -p duration=0.02 -p iterations=200 --max-time 2 -q -o tests/data/rounds-small.json

  Its sleep group reached its precision; its count group (tasks of about
  10 µs, too short for the thread clock) ran out of time.
- tests/data/tour-quick.json is a real ``threadlab tour --quick -q`` on the
  project's 2-core machine while four other test runs shared it (its machine
  line says so): 27 points in 10 groups, four Pythons (3.11.7, 3.13.5t with
  its GIL off and on, 3.13.0, 3.12.1). Its first screen is pinned at 100
  columns (tests/data/expected/tour-quick.screen.txt).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from rich.console import Console

from cli_runner import threadlab_cli
from images import PNG_MAGIC, distinct_colours, png_size
from threadlab import Result, load_result
from threadlab._units import duration, elapsed, milliseconds, percent, seconds_range, speedup
from threadlab.analysis import (
    Analysis,
    GroupPrecision,
    analyse,
    baseline_of,
    block_interval,
    describe,
    noise_report,
    paired_blocks,
    summarise,
)
from threadlab.model import Measurement, PointError, Summary, TaskSpans
from threadlab.model._json import result_from_json, result_to_json
from threadlab.render import _export, machine_line, plots
from threadlab.render._analysis import OPTIONS, analysis_renderables, precision_lines, warning_lines
from threadlab.render._html import _results_table, html_report
from threadlab.render._rows import SUMMARY_COLUMNS, point_name, point_names, summary_cells
from threadlab.render._screen import folded_warnings, gist, screen_renderables, tour_answer
from threadlab.render._tasks import TOO_SHORT, task_tables
from threadlab.render._terminal import noise_lines, problem_lines, results_table
from threadlab.render._waits import waits_renderables
from threadlab.render.plots._figure import plain
from threadlab.worker._text import printable, quoted

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "expected"
SMALL = DATA / "results-small.json"
ROUNDS = DATA / "rounds-small.json"
TOUR = DATA / "tour-quick.json"
UPDATE = os.environ.get("THREADLAB_UPDATE_EXPECTED") == "1"


@pytest.fixture(scope="module")
def small() -> Result:
    return load_result(SMALL)


@pytest.fixture(scope="module")
def rounds() -> Result:
    return load_result(ROUNDS)


def render(*renderables: object, width: int = 120) -> str:
    """What the CLI's console prints, at a fixed width and without colour."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    for renderable in renderables:
        console.print(renderable, markup=False)
    text = buffer.getvalue()
    assert "\x1b[" not in text
    return text


def shown(result: Result) -> str:
    """All that ``threadlab show`` prints of ``result``, in its order (``cli._print_result``)."""
    return render(
        *noise_lines(result),
        results_table(result),
        *task_tables(result),
        *waits_renderables(result),
        *analysis_renderables(analyse(result)),
    )


def cells_of(text: str, name: str) -> list[str]:
    """The cells of the table row naming ``name`` (cells are at least two spaces apart)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]
    found = [row for row in rows if row[0] == name]
    assert len(found) == 1, f"{name!r}: {found}"
    return found[0]


def measurement_named(result: Result, workload: str, strategy: str, workers: int) -> Measurement:
    return next(
        m
        for m in result.measurements
        if (m.point.workload, m.point.strategy, m.point.workers, m.point.tasks)
        == (workload, strategy, workers, workers)
    )


def matches_expected(name: str, actual: str) -> None:
    path = EXPECTED / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing; make it with THREADLAB_UPDATE_EXPECTED=1"
    assert actual == path.read_text(encoding="utf-8")


# --- text against saved expected output ---------------------------------------------------------


def test_the_results_table_at_a_fixed_width_without_colour(small: Result) -> None:
    text = render(results_table(small, "results-small"))

    matches_expected("results-small.table.txt", text)
    assert max(len(line) for line in text.splitlines()) <= 120
    header = next(line for line in text.splitlines() if line.strip().startswith("point"))
    assert re.split(r"\s{2,}", header.strip()) == ["point", *SUMMARY_COLUMNS, "status"]


def test_a_file_written_before_rounds_shows_the_conservative_interval_and_no_noise(small: Result) -> None:
    text = shown(small)

    measurement = measurement_named(small, "sleep", "threads", 2)
    baseline = baseline_of(small, measurement)
    assert baseline is not None
    mine = describe([s.throughput for s in measurement.samples])
    base = describe([s.throughput for s in baseline.samples])
    low, high = mine.ci_low / base.ci_high, mine.ci_high / base.ci_low
    cells = cells_of(text, "sleep · threads ×2")
    assert cells[4:6] == [f"{mine.median / base.median:.2f}×", f"{low:.2f}–{high:.2f}×"]
    assert noise_lines(small) == []
    assert not text.startswith("machine:")
    assert precision_lines(analyse(small)) == []
    assert "Precision" not in text


def test_show_of_a_file_in_rounds_at_a_fixed_width(rounds: Result) -> None:
    text = shown(rounds)

    matches_expected("rounds-small.show.txt", text)


def test_the_noise_line_comes_first(rounds: Result) -> None:
    assert rounds.noise is not None
    line = machine_line(noise_report(rounds.noise))

    assert noise_lines(rounds) == [line]
    assert line.startswith("machine: 2 cores")
    assert " ".join(shown(rounds).split()).startswith(line)


def test_the_ci_column_is_the_paired_interval_of_the_rounds(rounds: Result) -> None:
    text = render(results_table(rounds))

    for workload in ("sleep", "count"):
        measurement = measurement_named(rounds, workload, "threads", 2)
        baseline = baseline_of(rounds, measurement)
        assert baseline is not None
        blocks = paired_blocks(measurement.samples, baseline.samples)
        assert sum(len(block) for block in blocks) >= 5
        centre, (low, high) = block_interval(blocks)
        cells = cells_of(text, f"{workload} · threads ×2")
        assert cells[4:6] == [f"{centre:.2f}×", f"{low:.2f}–{high:.2f}×"]
    assert cells_of(text, "sleep · sequential ×1")[4:6] == ["1.00×", "1.00–1.00×"]
    assert max(len(line) for line in text.splitlines()) <= 120


def test_a_point_without_a_sequential_baseline_has_no_interval(rounds: Result) -> None:
    parallel = tuple(m for m in rounds.measurements if m.point.strategy != "sequential")
    alone = dataclasses.replace(rounds, measurements=parallel, rounds=())

    cells = cells_of(render(results_table(alone)), "sleep · threads ×2")

    assert cells[4:6] == ["-", "-"]


PRECISION = [
    (
        GroupPrecision("count", "3.11.7", 23, 12.1, 0.05, 0.04, "precise", None),
        "--max-time",
        "count [3.11.7]: ±4% after 23 rounds in 12 s (asked ±5%)",
    ),
    (
        GroupPrecision("count", "3.11.7", 6, 0.77, 0.05, 0.0086, "precise", None),
        "--max-time",
        "count [3.11.7]: ±0.9% after 6 rounds in 770.0 ms (asked ±5%)",
    ),
    (
        GroupPrecision("count", "3.11.7", 41, 30.0, 0.05, 0.09, "time", 97.2),
        "--max-time",
        "count [3.11.7]: reached ±9% in 30 s, 41 rounds (asked ±5%); about 97 s of rounds would reach it "
        "— give it more time with --max-time 98",
    ),
    (
        GroupPrecision("f.py:g", "3.13.0t", 41, 30.0, 0.05, 0.09, "time", 97.2),
        "--budget",
        "f.py:g [3.13.0t]: reached ±9% in 30 s, 41 rounds (asked ±5%); about 97 s of rounds would reach it "
        "— give it more time with --budget 98",
    ),
    (
        GroupPrecision("count", "3.11.7", 41, 30.0, 0.05, 0.09, "time", 97.2),
        None,
        "count [3.11.7]: reached ±9% in 30 s, 41 rounds (asked ±5%); about 97 s of rounds would reach it "
        "— give it more time",
    ),
    (
        GroupPrecision("count", "3.11.7", 15, 0.54, 0.05, 2.67, "time", 3600.0),
        "--max-time",
        "count [3.11.7]: reached ±267% in 540.0 ms, 15 rounds (asked ±5%); more than an hour of rounds "
        "would be needed to reach it — measure on a quieter machine, or give each task more work",
    ),
    (
        GroupPrecision("count", "3.11.7", 3, 2.5, 0.05, 0.2, "interrupted", None),
        "--max-time",
        "count [3.11.7]: reached ±20% in 2.5 s, 3 rounds (asked ±5%); interrupted before the end",
    ),
    (
        GroupPrecision("count", "3.11.7", 1, 0.4, 0.05, None, "failed", None),
        "--max-time",
        "count [3.11.7]: no interval in 400.0 ms, 1 round (asked ±5%); no point of it was left running",
    ),
]


@pytest.mark.parametrize(
    ("precision", "option", "line"), PRECISION, ids=[f"{p.ended}-{o}" for p, o, _ in PRECISION]
)
def test_each_precision_line(precision: GroupPrecision, option: str | None, line: str) -> None:
    analysis = Analysis((), (), (), (), precision=(precision,))

    assert precision_lines(analysis, time_option=option) == [line]


def test_the_time_suggested_is_for_the_whole_run_whose_time_its_groups_share() -> None:
    groups = (
        GroupPrecision("sleep", "3.11.7", 6, 0.8, 0.05, 0.01, "precise", None),
        GroupPrecision("count", "3.11.7", 41, 20.0, 0.05, 0.09, "time", 64.8),
        GroupPrecision("hash", "3.11.7", 30, 20.0, 0.05, 0.07, "time", 39.2),
        GroupPrecision("tiny", "3.11.7", 15, 0.5, 0.05, 2.7, "time", 3600.0),
    )

    lines = precision_lines(Analysis((), (), (), (), precision=groups))

    # 0.8 s that the precise group took, what each of the next two needs, and the 0.5 s that
    # the hopeless one took (more time would not help it): 105.3 s in all.
    assert [line.rsplit(" — ", 1)[-1] for line in lines[1:3]] == ["give it more time with --max-time 110"] * 2
    assert lines[3].endswith("measure on a quieter machine, or give each task more work")


def test_the_precision_lines_of_a_file_in_rounds(rounds: Result) -> None:
    analysis = analyse(rounds)
    assert [(p.workload, p.ended) for p in analysis.precision] == [("sleep", "precise"), ("count", "time")]

    lines = precision_lines(analysis)

    sleep, count = analysis.precision
    assert sleep.reached is not None and count.reached is not None and count.more_time_s is not None
    assert lines[0].startswith(f"sleep [3.11.7]: ±{percent(sleep.reached)} after {sleep.rounds} rounds in ")
    assert lines[1].startswith(f"count [3.11.7]: reached ±{percent(count.reached)} in ")
    assert (
        f"; about {count.more_time_s:.0f} s of rounds would reach it — give it more time with --max-time "
        in (lines[1])
    )
    text = " ".join(shown(rounds).split())
    assert "Precision of the speedups (half-width of their 95% intervals): " + " ".join(lines) in text
    advise = " ".join(render(*analysis_renderables(analysis, options=OPTIONS["advise"])).split())
    assert "give it more time with --budget " in advise and "--max-time" not in advise
    plain = " ".join(render(*analysis_renderables(analysis, options=None)).split())
    assert "give it more time" in plain and "--budget" not in plain and "--max-time" not in plain


def test_the_noise_advice_is_among_the_stability_warnings(rounds: Result) -> None:
    analysis = analyse(rounds)
    assert analysis.noise is not None and analysis.noise.capacity_low

    lines = warning_lines(analysis)

    assert lines[0].startswith(
        f"the machine's speed varied {analysis.noise.speed_variation:.0%} during the run"
    )
    assert lines[1].startswith(f"only {analysis.noise.capacity:.2f} of the 2 cores could run in parallel")
    text = shown(rounds)
    stability = text[text.index("Stability:") :]
    assert f"  ! {lines[1][:60]}" in stability


def test_tasks_too_short_for_the_thread_clock_show_so(rounds: Result) -> None:
    text = render(*task_tables(rounds))

    count = text[text.index("Tasks of count") :]
    for name in ("sequential ×1", "threads ×1", "threads ×2"):
        assert cells_of(count, name)[-2] == TOO_SHORT
    sleep = text[text.index("Tasks of sleep") : text.index("Tasks of count")]
    assert TOO_SHORT not in sleep
    assert "too short: the tasks were too brief for the thread clock" in text


def _with_task_cpu(result: Result, wall_s: float, cpu_s: float | None) -> Result:
    """The sleep · threads ×2 point alone, each of its tasks ``wall_s`` long with ``cpu_s`` on CPU."""
    measurement = measurement_named(result, "sleep", "threads", 2)
    samples = []
    for sample in measurement.samples:
        spans = sample.spans
        spans = dataclasses.replace(
            spans,
            end_s=tuple(start + wall_s for start in spans.start_s),
            cpu_s=tuple(cpu_s for _ in spans.cpu_s),
        )
        samples.append(dataclasses.replace(sample, spans=spans))
    changed = dataclasses.replace(measurement, samples=tuple(samples))
    return dataclasses.replace(result, measurements=(changed,), rounds=())


@pytest.mark.parametrize(
    ("wall_s", "cpu_s", "cell"),
    [
        (0.02, 0.0205, "100%"),  # within the clock's resolution above 100%: never shown above it
        (0.02, 0.03, TOO_SHORT),  # 150%: the clock could not resolve the tasks
        (0.02, 0.005, "25%"),
        (0.02, None, "-"),  # no CPU time measured (asyncio): nothing to say
    ],
)
def test_the_on_cpu_share_is_never_above_100_percent(
    rounds: Result, wall_s: float, cpu_s: float | None, cell: str
) -> None:
    text = render(*task_tables(_with_task_cpu(rounds, wall_s, cpu_s)))

    assert cells_of(text, "threads ×2")[-2] == cell


USER_NAMES = ["q[/b]q/f.py:g", "[bold]tasks[/bold].py:[/]g", "x[/y]:z[link=http://x]"]


def with_workload(result: Result, workload: str) -> Result:
    """``result`` with its sleep points renamed to ``workload``."""
    measurements = tuple(
        dataclasses.replace(m, point=dataclasses.replace(m.point, workload=workload))
        if m.point.workload == "sleep"
        else m
        for m in result.measurements
    )
    return dataclasses.replace(result, measurements=measurements)


@pytest.mark.parametrize("workload", USER_NAMES)
def test_user_names_are_shown_as_text_never_as_markup(rounds: Result, workload: str) -> None:
    renamed = with_workload(rounds, workload)
    label = renamed.measurements[0].point.workload_label()

    text = shown(renamed) + render(results_table(renamed, f"advise {workload}"))

    assert f"{label} · threads ×2" in text
    assert f"Tasks of {label}: latency" in text
    assert f"Scaling: {workload} on threads [3.11.7]" in text
    assert f"{workload} [3.11.7]: ±" in text
    assert f"advise {workload}" in text


def two_pythons(result: Result) -> Result:
    """``result``'s points, then the same points as if measured again under a 3.13.0."""
    again = []
    for measurement in result.measurements:
        assert measurement.interpreter is not None
        other = dataclasses.replace(measurement.interpreter, version="3.13.0")
        again.append(dataclasses.replace(measurement, interpreter=other))
    return dataclasses.replace(result, measurements=(*result.measurements, *again), rounds=())


def test_every_table_names_the_points_of_several_pythons_alike(rounds: Result) -> None:
    both = two_pythons(rounds)
    names = point_names(both.measurements)
    half = len(rounds.measurements)
    assert names[0] == "sleep · sequential ×1 [3.11.7]" and names[half] == "sleep · sequential ×1 [3.13.0]"
    assert [name.rsplit(" [", 1)[0] for name in names] == [point_name(m) for m in both.measurements]

    table = render(results_table(both), width=160)
    markdown = _export.to_markdown(both).splitlines()[4:]
    page = _results_table(both).split("<tbody>")[1].split("<tr>")[1:]
    tasks = render(*task_tables(both))

    assert [cells_of(table, name)[0] for name in names] == names
    assert [line.split(" | ")[1] for line in markdown] == names
    assert [re.findall(r"<td[^>]*>([^<]*)</td>", row)[1] for row in page] == names
    for measurement, name in zip(both.measurements, names, strict=True):
        short = name.removeprefix(f"{measurement.point.workload_label()} · ")
        tasks_of = tasks[tasks.index(f"Tasks of {measurement.point.workload_label()}") :]
        assert cells_of(tasks_of.split("Tasks of ")[1], short)[0] == short
    assert point_names(rounds.measurements) == [point_name(m) for m in rounds.measurements]  # one Python


def test_summary_cells_format_every_column_once() -> None:
    summary = Summary(
        wall_median_s=0.0507,
        wall_min_s=0.000320,
        wall_max_s=1.129,
        throughput_median=19.7,
        cpu_per_wall=0.66,
        speedup_vs_sequential=1.8234,
        peak_rss_bytes=28831744,
        spawn_median_s=None,
        speedup_vs_sequential_ci=(1.7449, 1.9012),
    )

    assert summary_cells(summary) == (
        "50.7 ms",
        "320 µs–1.129 s",
        "19.7/s",
        "1.82×",
        "1.74–1.90×",
        "0.66",
        "27.5 MiB",
    )
    assert summary_cells(None) == ("-",) * len(SUMMARY_COLUMNS)


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (0.0506, 0.0508, "50.6–50.8 ms"),
        (0.1008, 0.1010, "100.8–101.0 ms"),
        (0.5498, 1.129, "0.550–1.129 s"),
        (0.000320, 0.00372, "0.32–3.72 ms"),
        (0.000040, 0.005, "0.040–5.000 ms"),
        (0.000012, 0.000019, "12–19 µs"),
        (95.0, 120.0, "95–120 s"),
    ],
)
def test_a_range_of_seconds_shares_the_unit_of_its_top(low: float, high: float, text: str) -> None:
    assert seconds_range(low, high) == text


@pytest.mark.parametrize(
    ("value", "bounds", "named", "text"),
    [
        (1.8249, (1.74, 1.9), False, "1.82× (1.74–1.90)"),
        (1.8249, (1.74, 1.9), True, "1.82× (95% CI 1.74–1.90×)"),
        (0.5, None, True, "0.50×"),
        (None, (1.0, 2.0), False, "-"),
    ],
)
def test_a_speedup_with_its_interval_reads_one_way_in_a_cell_and_one_in_a_sentence(
    value: float | None, bounds: tuple[float, float] | None, named: bool, text: str
) -> None:
    assert speedup(value, bounds, named=named) == text


@pytest.mark.parametrize(
    ("value", "cited", "took", "overhead"),
    [
        (1e-5, "10 µs", "10 µs", "0.01 ms"),
        (0.0021, "2.1 ms", "2.1 ms", "2.10 ms"),
        (5.25, "5.25 s", "5.2 s", "5250.00 ms"),
        (41.4, "41.4 s", "41 s", "41400.00 ms"),
    ],
)
def test_seconds_read_as_a_sentence_cites_them(value: float, cited: str, took: str, overhead: str) -> None:
    assert (duration(value), elapsed(value), milliseconds(value)) == (cited, took, overhead)


def test_csv_has_one_row_per_point_with_the_summary_columns(small: Result) -> None:
    text = _export.to_csv(small)

    matches_expected("results-small.csv", text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(small.measurements) == 24
    assert [int(row["point"]) for row in rows] == list(range(1, 25))
    summaries = [summary for _, summary in summarise(small)]
    for row, summary in zip(rows, summaries, strict=True):
        assert summary is not None
        assert float(row["wall_median_s"]) == summary.wall_median_s
        assert float(row["throughput_median"]) == summary.throughput_median
    assert json.loads(rows[0]["params"]) == {"duration": 0.05}


def test_csv_writes_the_speedup_interval_as_two_plain_columns(rounds: Result) -> None:
    text = _export.to_csv(rounds)

    header = _export.csv_columns()
    at = header.index("speedup_vs_sequential")
    assert header[at + 1 :].count("speedup_vs_sequential_ci_low") == 1
    assert "speedup_vs_sequential_ci" not in header
    assert header.index("speedup_vs_sequential_ci_high") == header.index("speedup_vs_sequential_ci_low") + 1
    rows = list(csv.DictReader(io.StringIO(text)))
    for row, (_, summary) in zip(rows, summarise(rounds), strict=True):
        assert summary is not None and summary.speedup_vs_sequential_ci is not None
        low, high = summary.speedup_vs_sequential_ci
        assert (float(row["speedup_vs_sequential_ci_low"]), float(row["speedup_vs_sequential_ci_high"])) == (
            low,
            high,
        )
        assert int(row["speedup_rounds"]) == summary.speedup_rounds
    assert all("(" not in value for row in rows for value in row.values())


def test_csv_leaves_the_interval_empty_without_a_baseline(rounds: Result) -> None:
    parallel = tuple(m for m in rounds.measurements if m.point.strategy != "sequential")
    alone = dataclasses.replace(rounds, measurements=parallel, rounds=())

    rows = list(csv.DictReader(io.StringIO(_export.to_csv(alone))))

    assert {(row["speedup_vs_sequential_ci_low"], row["speedup_vs_sequential_ci_high"]) for row in rows} == {
        ("", "")
    }


def test_markdown_is_a_table_with_one_row_per_point(small: Result) -> None:
    text = _export.to_markdown(small)

    matches_expected("results-small.md", text)
    lines = text.splitlines()
    assert lines[0] == (
        "| # | point | wall | min–max | tasks/s | speedup | 95% CI | CPU/wall | peak RSS | status |"
    )
    assert len(lines) == 2 + len(small.measurements)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)


def test_markdown_of_a_file_in_rounds_starts_with_the_noise_line(rounds: Result) -> None:
    assert rounds.noise is not None

    text = _export.to_markdown(rounds)

    matches_expected("rounds-small.md", text)
    lines = text.splitlines()
    assert lines[:3] == [
        machine_line(noise_report(rounds.noise)),
        "",
        "| # | point | wall | min–max | tasks/s | speedup | 95% CI | CPU/wall | peak RSS | status |",
    ]


def test_markdown_cells_cannot_break_the_table_or_carry_html() -> None:
    assert _export.markdown_cell("a|b\n<script>x</script>\x1b[2J") == (
        "a\\|b\\n&lt;script&gt;x&lt;/script&gt;\\x1b[2J"
    )


@pytest.mark.parametrize("path", [SMALL, ROUNDS], ids=["schema-1", "schema-2"])
def test_json_is_the_results_file_content(path: Path) -> None:
    result = load_result(path)

    data = json.loads(_export.to_json(result))

    summaries = [summary for _, summary in summarise(result)]
    assert data == json.loads(json.dumps(result_to_json(result, summaries)))
    assert result_from_json(data) == result


@pytest.mark.parametrize("output_format", ["csv", "markdown", "json"])
def test_show_prints_each_format_alone_on_stdout(
    output_format: str, small: Result, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = threadlab_cli(capsys, "show", str(SMALL), "--format", output_format)

    assert (code, err) == (0, "")
    exporters = {"csv": _export.to_csv, "markdown": _export.to_markdown, "json": _export.to_json}
    assert out == exporters[output_format](small)


def test_show_refuses_an_unknown_format_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = threadlab_cli(capsys, "show", str(SMALL), "--format", "cvs")

    assert (code, out) == (2, "")
    assert err == (
        "threadlab: error: --format: 'cvs' is not accepted; did you mean 'csv'? "
        "expected one of: table, json, csv, markdown\n"
    )


# --- plots ----------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_colours(root: ElementTree.Element) -> set[str]:
    found = set()
    for element in root.iter():
        style = element.get("style", "")
        for item in style.split(";"):
            key, _, value = item.partition(":")
            if key.strip() in ("fill", "stroke") and value.strip() not in ("none", ""):
                found.add(value.strip())
    return found


@pytest.mark.parametrize("kind", plots.PLOT_KINDS)
def test_each_plot_is_a_png_that_is_not_blank(kind: plots.PlotKind, small: Result) -> None:
    data = plots.plot(kind, small, image_format="png")

    width, height = png_size(data)
    assert width >= 600 and height >= 250
    assert distinct_colours(data) > 50  # a blank or single-colour image has one or two


@pytest.mark.parametrize("kind", plots.PLOT_KINDS)
def test_each_plot_is_an_svg_that_is_not_blank(kind: plots.PlotKind, small: Result) -> None:
    data = plots.plot(kind, small, image_format="svg")

    root = ElementTree.fromstring(data)
    assert root.tag == f"{SVG}svg"
    shapes = [*root.iter(f"{SVG}path"), *root.iter(f"{SVG}use")]  # lines, bars, markers, ticks
    assert len(shapes) > 30  # an empty figure has two: its background and its axes
    assert len(svg_colours(root)) >= 4
    # Text as text in a font the viewer has (issue 21: as paths it made the tour's report 1.2 MB):
    # nothing to fetch, no font embedded.
    assert b"<text" in data and b"@font-face" not in data and b"url(http" not in data


def test_svg_plots_are_reproducible(small: Result) -> None:
    assert plots.plot("wall", small, image_format="svg") == plots.plot("wall", small, image_format="svg")


def test_the_timeline_shows_one_row_per_worker_of_the_median_sample(small: Result) -> None:
    index = next(
        i
        for i, m in enumerate(small.measurements)
        if (m.point.workload, m.point.strategy, m.point.workers) == ("count", "threads", 8)
    )
    measurement = small.measurements[index]
    found = plots.timeline_sample(measurement)
    assert found is not None
    _, sample = found
    walls = sorted(s.wall_s for s in measurement.samples)
    assert sample.wall_s == walls[(len(walls) - 1) // 2]
    assert len(set(sample.spans.worker)) == 8

    data = plots.plot("timeline", small, image_format="svg", point=index)

    root = ElementTree.fromstring(data)
    assert len(list(root.iter(f"{SVG}path"))) > 8


def test_the_default_timeline_is_the_first_point_with_the_most_workers(small: Result) -> None:
    index = plots.default_timeline_point(small)

    assert index is not None
    point = small.measurements[index].point
    assert (point.workload, point.strategy, point.workers) == ("sleep", "threads", 8)


def _without_spans(result: Result, index: int, samples: set[int]) -> Result:
    """``result`` with the spans of some samples of one point left out, as past its 200,000th task record."""
    measurement = result.measurements[index]
    stripped = tuple(
        dataclasses.replace(sample, spans=TaskSpans()) if i in samples else sample
        for i, sample in enumerate(measurement.samples)
    )
    measurements = list(result.measurements)
    measurements[index] = dataclasses.replace(measurement, samples=stripped)
    return dataclasses.replace(result, measurements=tuple(measurements))


def test_the_timeline_draws_the_median_of_the_samples_that_kept_their_spans(small: Result) -> None:
    index = 19  # count · threads ×8, three samples
    walls = [sample.wall_s for sample in small.measurements[index].samples]
    fastest, median, _ = sorted(range(len(walls)), key=walls.__getitem__)
    some = _without_spans(small, index, {median})

    found = plots.timeline_sample(some.measurements[index])
    data = plots.plot("timeline", some, image_format="svg", point=index)

    assert found is not None and found[0] == fastest  # the lower of the two middles left
    assert ElementTree.fromstring(data).tag == f"{SVG}svg"


def test_a_point_with_no_sample_that_kept_its_spans_has_no_timeline(small: Result) -> None:
    index = 7  # sleep · threads ×8: the default timeline while it has spans
    none = _without_spans(small, index, {0, 1, 2})

    with pytest.raises(
        plots.NothingToPlot, match=r"^nothing to plot: point 8 \(sleep · threads ×8\) recorded no"
    ):
        plots.plot("timeline", none, point=index)
    assert plots.timeline_sample(none.measurements[index]) is None
    assert plots.default_timeline_point(none) == 11  # sleep · processes ×8, the next with the most workers
    assert index not in plots.timeline_points(none)


MATHTEXT_NAMES = ["f$x$.py:g", "$\\frac{$.py:g"]


@pytest.mark.parametrize("kind", plots.PLOT_KINDS)
@pytest.mark.parametrize("workload", MATHTEXT_NAMES)
def test_user_names_are_drawn_as_text_never_as_mathtext(
    rounds: Result, workload: str, kind: plots.PlotKind
) -> None:
    data = plots.plot(
        kind, with_workload(rounds, workload), image_format="svg", point=0 if kind == "timeline" else None
    )

    assert ElementTree.fromstring(data).tag == f"{SVG}svg"


def test_a_result_with_only_sequential_points_has_no_speedup_plot(small: Result) -> None:
    sequential = tuple(m for m in small.measurements if m.point.strategy == "sequential")
    only = dataclasses.replace(small, measurements=sequential)

    with pytest.raises(plots.NothingToPlot, match=r"^nothing to plot: no strategy other than sequential"):
        plots.plot("speedup", only)


def test_plot_writes_the_format_its_suffix_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png, svg = tmp_path / "speedup.png", tmp_path / "timeline.svg"

    assert threadlab_cli(capsys, "plot", str(SMALL), "--kind", "cpu", "-o", str(png))[0] == 0
    assert (
        threadlab_cli(capsys, "plot", str(SMALL), "-k", "timeline", "--point", "20", "-o", str(svg))[0] == 0
    )

    assert png.read_bytes()[:8] == PNG_MAGIC
    assert ElementTree.parse(svg).getroot().tag == f"{SVG}svg"


PLOT_REFUSALS = [
    (
        ["-k", "pie", "-o", "x.png"],
        "--kind: 'pie' is not accepted; expected one of: speedup, wall, timeline, cpu",
    ),
    (
        ["-o", "x.jpg"],
        "--out: cannot tell the image format of 'x.jpg'; expected a file name ending in .png or .svg",
    ),
    (["-k", "wall", "--point", "2", "-o", "x.png"], "--point: '2' applies to --kind timeline only, not wall"),
    (
        ["-k", "timeline", "--point", "25", "-o", "x.png"],
        "--point: '25' is not a point of the results file; expected point numbers from 1 to 24, "
        "comma-separated, as threadlab show --format markdown numbers them",
    ),
]


@pytest.mark.parametrize(("args", "message"), PLOT_REFUSALS, ids=[" ".join(a) for a, _ in PLOT_REFUSALS])
def test_plot_refuses_bad_options_in_one_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)

    code, out, err = threadlab_cli(capsys, "plot", str(SMALL), *args)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_rendering_commands_import_no_plotting_library_until_they_draw() -> None:
    import subprocess
    import sys

    script = (
        "import sys, threadlab.cli, threadlab.render.plots, threadlab.render._html, "
        "threadlab.render._export, threadlab.render._compare; "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'matplotlib', 'numpy', 'scipy', 'PIL'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_timeline_of_several_points_stacks_them_on_one_time_axis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "threads-and-processes.svg"

    code, _, err = threadlab_cli(
        capsys, "plot", str(SMALL), "-k", "timeline", "--point", "19,23", "-o", str(out)
    )

    assert (code, err) == (0, f"Plot written to {out}\n")
    root = ElementTree.parse(out).getroot()
    panels = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("axes_")]
    assert len(panels) == 2 + 1  # two timelines and the colour bar


def test_a_timeline_of_a_thousand_tasks_with_failures_and_unmeasured_cpu(small: Result) -> None:
    measurement = small.measurements[7]
    n = 1000
    spans = TaskSpans(
        start_s=tuple(i * 1e-4 for i in range(n)),
        end_s=tuple(0.2 + i * 1e-4 for i in range(n)),
        cpu_s=tuple(None if i % 10 == 0 else 1e-4 for i in range(n)),
        worker=tuple(range(n)),
        ok=tuple(i % 100 != 0 for i in range(n)),
        workers=tuple(f"1:threadlab-thread-{i}" for i in range(n)),
    )
    sample = dataclasses.replace(measurement.samples[0], wall_s=0.35, spans=spans)
    big = dataclasses.replace(small, measurements=(dataclasses.replace(measurement, samples=(sample,)),))

    data = plots.plot("timeline", big, image_format="png", point=0)

    assert png_size(data)[1] > 400
    assert distinct_colours(data) > 20


# --- user text is data: control characters escaped, markup never read -----------------------------

# A name and an error message with rich markup, a Markdown pipe, a line break, and two terminal
# escape sequences: one that clears the screen, one that sets the window's title.
HOSTILE_NAME = "d/q[bold]x|y\x1b[2J\x1b]0;title\x07\nz.py:g[/b]"
HOSTILE_MESSAGE = "boom [/b] [bold]\x1b[2J \x1b]0;title\x07 |x\ny"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def hostile(result: Result) -> Result:
    """``result`` with its sleep points renamed to ``HOSTILE_NAME``, each with a task error to match."""
    error = PointError(
        kind="task",
        message=HOSTILE_MESSAGE,
        traceback=f"Traceback (most recent call last):\n  [/b]\x1b[2J\nValueError: {HOSTILE_MESSAGE}",
    )
    renamed = with_workload(result, HOSTILE_NAME)
    measurements = tuple(
        dataclasses.replace(m, errors=(error,), status="errors") if m.point.workload == HOSTILE_NAME else m
        for m in renamed.measurements
    )
    return dataclasses.replace(renamed, measurements=measurements)


def assert_shown_as_data(text: str) -> None:
    """No control character but line breaks; the escape sequences and the markup written out as text."""
    assert CONTROL.search(text) is None, repr(CONTROL.search(text))
    assert "\\x1b[2J" in text
    assert "\\x1b]0;title\\x07" in text
    assert "[bold]" in text


def test_printable_escapes_control_characters_as_repr_does() -> None:
    assert printable("a\x1b[2Jb\x07\n\tc") == "a\\x1b[2Jb\\x07\\n\\tc"
    assert printable("line 1\n\tline 2\x1b", one_line=False) == "line 1\n\tline 2\\x1b"
    assert printable("é ü [b] | \\ 中文 ✓") == "é ü [b] | \\ 中文 ✓"
    assert printable(printable("\x1b")) == "\\x1b"


def test_quoted_cuts_a_long_value_and_says_how_long() -> None:
    assert quoted("abc") == "'abc'"
    assert quoted("a" * 100_000) == "'" + "a" * 80 + "…' (100,000 characters)"
    assert quoted("\x1b[2J") == "'\\x1b[2J'"


def test_the_terminal_shows_user_text_escaped(rounds: Result) -> None:
    result = hostile(rounds)

    text = shown(result) + render(results_table(result, f"advise {HOSTILE_NAME}"))
    problems = "\n".join(problem_lines(result, full_tracebacks=True))

    assert_shown_as_data(text)
    assert_shown_as_data(problems)
    assert "Problems" not in text
    assert "q[bold]x|y\\x1b[2J" in text
    assert "[/b]" in text


def test_csv_keeps_each_field_on_one_line_with_control_characters_escaped(rounds: Result) -> None:
    text = _export.to_csv(hostile(rounds))

    rows = list(csv.DictReader(io.StringIO(text)))

    assert_shown_as_data(text)
    assert len(text.splitlines()) == len(rows) + 1
    assert rows[0]["workload"] == printable(HOSTILE_NAME)


def test_markdown_keeps_the_table_whole(rounds: Result) -> None:
    text = _export.to_markdown(hostile(rounds))

    rows = [line for line in text.splitlines() if line.startswith("| ")]

    assert_shown_as_data(text)
    assert len(rows) == len(rounds.measurements) + 2
    assert all(len(re.split(r"(?<!\\)\|", row)) == len(_export.MARKDOWN_COLUMNS) + 2 for row in rows)


def test_the_html_report_escapes_control_characters(rounds: Result) -> None:
    page = html_report([(f"runs/\x1b]0;title\x07{HOSTILE_NAME}.json", hostile(rounds))])

    assert_shown_as_data(page.replace("\n", ""))
    assert "[bold]x|y" in page


@pytest.mark.parametrize("kind", plots.PLOT_KINDS)
def test_plots_draw_user_text_escaped(rounds: Result, kind: plots.PlotKind) -> None:
    data = plots.plot(kind, hostile(rounds), image_format="svg", point=0 if kind == "timeline" else None)

    assert ElementTree.fromstring(data).tag == f"{SVG}svg"
    assert plain(HOSTILE_NAME) == printable(HOSTILE_NAME)


def test_every_command_that_reads_a_results_file_shows_user_text_escaped(
    rounds: Result, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # names whole on one line, to be found
    path = tmp_path / "hostile.json"
    path.write_text(_export.to_json(hostile(rounds)), encoding="utf-8")
    commands = [
        ["show", str(path)],
        ["--debug", "show", str(path)],
        ["show", str(path), "--format", "csv"],
        ["show", str(path), "--format", "markdown"],
        ["compare", str(path), str(path)],
    ]
    for args in commands:
        code, out, err = threadlab_cli(capsys, *args)

        assert (code, err) == (0, ""), args
        assert_shown_as_data(out)
    for args, written in [
        (["report", str(path), "-o", str(tmp_path / "r.html")], tmp_path / "r.html"),
        (["plot", str(path), "-o", str(tmp_path / "p.svg")], tmp_path / "p.svg"),
    ]:
        code, out, err = threadlab_cli(capsys, *args)

        assert (code, out) == (0, ""), args
        assert CONTROL.search(err) is None
        assert written.stat().st_size > 0
    assert_shown_as_data((tmp_path / "r.html").read_text(encoding="utf-8").replace("\n", ""))


HOSTILE_TASK = """
def g(x=0.001):
    import time
    time.sleep(x)
    raise ValueError("boom [/b] [bold]\\x1b[2J \\x1b]0;title\\x07 |x\\ny")
"""


@pytest.mark.timeout(120)
def test_run_with_markup_and_escapes_in_its_names_and_errors_ends_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "q[" / "b]q\x1b[2J"
    folder.mkdir(parents=True)
    (folder / "f[bold]\x1b[2J.py").write_text(HOSTILE_TASK, encoding="utf-8")
    out_file = tmp_path / "out.json"
    args = ["--debug", "run", "-w", f"{folder}/f[bold]\x1b[2J.py:g", "-s", "sequential,threads", "-n", "1,2"]
    args += ["--repeat", "1", "--warmup", "0", "--max-time", "1", "-q", "-o", str(out_file)]

    code, out, err = threadlab_cli(capsys, *args)

    assert code == 1  # the tasks raised: every point recorded with errors, the run ended well
    assert CONTROL.search(out + err) is None
    assert "ValueError: boom [/b] [bold]\\x1b[2J \\x1b]0;title\\x07 |x" in out  # --debug: whole tracebacks
    assert "f[bold]\\x1b[2J.py:g · threads ×2" in out


ADVISED_TASK = """
def g(x=0.001):
    import time
    time.sleep(x)
"""


@pytest.mark.timeout(120)
def test_advise_of_a_target_with_markup_and_escapes_in_its_name_ends_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "q[" / "b]q\x1b]0;title\x07"
    folder.mkdir(parents=True)
    (folder / "f[bold].py").write_text(ADVISED_TASK, encoding="utf-8")

    code, out, err = threadlab_cli(
        capsys, "advise", f"{folder}/f[bold].py:g", "--budget", "4", "--repeat", "1", "--warmup", "0", "-q"
    )

    assert code == 0, err
    assert CONTROL.search(out + err) is None
    assert "b]q\\x1b]0;title\\x07/f[bold].py:g" in out


# --- the first screen of run, advise and tour -----------------------------------------------------


@pytest.fixture(scope="module")
def toured() -> Result:
    return load_result(TOUR)


def first_screen(result: Result, lessons: bool = True, width: int = 100) -> str:
    """What ``threadlab tour`` prints by default of ``result``, at ``width`` columns (``cli.tour``)."""
    from threadlab.lessons import findings

    told = [(f.title, f.text) for f in findings(result)] if lessons else []
    return render(*screen_renderables(result, analyse(result), tour_answer(told)), width=width)


def test_the_first_screen_of_a_recorded_tour_fits_80_lines_of_100_columns(toured: Result) -> None:
    text = first_screen(toured)

    matches_expected("tour-quick.screen.txt", text)
    lines = text.splitlines()
    assert len(lines) <= 80
    first_lesson = next(n for n, line in enumerate(lines, start=1) if line.startswith("1. "))
    assert first_lesson <= 25
    assert max(len(line) for line in lines) <= 100
    # The answer first, then the one table, then the warnings folded.
    assert text.index("The lessons") < text.index("point ") < text.index("Stability:")
    assert text.rstrip().endswith("--verbose: the full table, per-task, scaling, pools and precision tables")


def test_the_compact_table_groups_its_rows_under_workload_and_python(toured: Result) -> None:
    lines = first_screen(toured).splitlines()
    heading = next(n for n, line in enumerate(lines) if line.startswith("count (iterations=400000) [3.13.0]"))

    assert lines[heading].strip() == "count (iterations=400000) [3.13.0]"
    assert [re.split(r"\s{2,}", line.strip())[0] for line in lines[heading + 1 : heading + 4]] == [
        "sequential ×1 (2 tasks)",
        "threads ×2",
        "interpreters ×2",
    ]
    assert cells_of("\n".join(lines[heading + 1 : heading + 4]), "threads ×2") == [
        "threads ×2",
        "33.1 ms",
        "60.5/s",
        "2.61× (0.78–2.79)",
        "0.82",
        "ok",
    ]


def test_the_warnings_fold_into_one_line_per_group_with_counts(toured: Result) -> None:
    analysis = analyse(toured)
    folded = folded_warnings(toured, analysis)

    per_point = [w for stats in analysis.points for w in stats.warnings]
    assert len(folded) == 9 < len(per_point)  # the 10th group, sleep (duration=0.01), warned of nothing
    assert "count (iterations=2000000) [3.11.7]: 2 of 3 points with a wide spread, 1 with outliers" in folded
    assert "hash [3.11.7]: 1 of 2 points with outliers, 1 with a wide spread" in folded
    assert not any(re.search(r"\d+, \d+, \d+", line) for line in folded)  # never a list of indices


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "took 403.1 ms: one after the other, their times add up. The rest.",
            "took 403.1 ms: one after the other, their times add up.",
        ),
        (
            "The cluster took 3.844 s to start (to its first task done; the pool of processes 26.0 ms), "
            "kept apart from throughput. Then more.",
            "The cluster took 3.844 s to start (to its first task done; the pool of processes 26.0 ms)…",
        ),
        ("x" * 120, "x" * 95 + "…"),
    ],
)
def test_a_lesson_shows_its_first_sentence_cut_at_a_clause_outside_parentheses(text: str, shown: str) -> None:
    assert gist(text) == shown
    assert len(gist(text)) <= 96


def test_a_long_user_name_never_pushes_a_row_of_the_first_screen_past_100_columns(rounds: Result) -> None:
    long = "q[b]" + "w" * 70 + ".py:g"
    text = first_screen(with_workload(rounds, long), lessons=False)

    assert max(len(line) for line in text.splitlines()) <= 100
    assert "q[b]www" in text  # shown as text, cut with an ellipsis, never read as markup
    assert "…" in text


def test_the_speedup_plot_draws_each_speedup_with_its_95_percent_interval(rounds: Result) -> None:
    from threadlab.render.plots import _select, speedup

    sleep = next(g for g in _select.speedup_groups(rounds) if g.workload == "sleep")
    threads_2 = measurement_named(rounds, "sleep", "threads", 2)
    summary = next(found for m, found in summarise(rounds) if m is threads_2)

    assert summary is not None and summary.speedup_vs_sequential_ci is not None
    assert sleep.interval("threads", 2) == summary.speedup_vs_sequential_ci
    assert sleep.interval("sequential", 1) is None
    with_bars = speedup.draw([sleep], "svg")
    without = speedup.draw([dataclasses.replace(sleep, intervals=())], "svg")
    # Each error bar is a vertical line with two caps: the SVG with them holds more paths.
    assert with_bars.count(b"<path") > without.count(b"<path")
