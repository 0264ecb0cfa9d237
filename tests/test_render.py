"""Renderers of a stored results file: text against saved expected output, plots that are real images.

The stored file (tests/data/results-small.json, made by tests/data/make_data.py
from a real run) never changes, so the text it renders to is saved in
tests/data/expected/ and compared character for character, at a fixed width
and without colour. After a deliberate change of format, remake the expected
files with ``THREADLAB_UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_render.py``
and review the diff.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from rich.console import Console

from cli_runner import threadlab_cli
from images import PNG_MAGIC, distinct_colours, png_size
from threadlab import Result, load_result
from threadlab.render import _export, _plots
from threadlab.render._terminal import results_table

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "expected"
SMALL = DATA / "results-small.json"
UPDATE = os.environ.get("THREADLAB_UPDATE_EXPECTED") == "1"


@pytest.fixture(scope="module")
def small() -> Result:
    return load_result(SMALL)


def matches_expected(name: str, actual: str) -> None:
    path = EXPECTED / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing; make it with THREADLAB_UPDATE_EXPECTED=1"
    assert actual == path.read_text(encoding="utf-8")


# --- text against saved expected output ---------------------------------------------------------


def test_the_results_table_at_a_fixed_width_without_colour(small: Result) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, force_terminal=False, highlight=False)
    console.print(results_table(small, "results-small"))
    assert "\x1b[" not in buffer.getvalue()
    matches_expected("results-small.table.txt", buffer.getvalue())


def test_csv_has_one_row_per_point_with_the_summary_columns(small: Result) -> None:
    text = _export.to_csv(small)

    matches_expected("results-small.csv", text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(small.measurements) == 24
    assert [int(row["point"]) for row in rows] == list(range(1, 25))
    summaries = [summary for _, summary in small.summaries()]
    for row, summary in zip(rows, summaries, strict=True):
        assert summary is not None
        assert float(row["wall_median_s"]) == summary.wall_median_s
        assert float(row["throughput_median"]) == summary.throughput_median
    assert json.loads(rows[0]["params"]) == {"duration": 0.05}


def test_markdown_is_a_table_with_one_row_per_point(small: Result) -> None:
    text = _export.to_markdown(small)

    matches_expected("results-small.md", text)
    lines = text.splitlines()
    assert lines[0] == "| # | point | wall | min–max | tasks/s | speedup | CPU/wall | peak RSS | status |"
    assert len(lines) == 2 + len(small.measurements)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)


def test_markdown_cells_cannot_break_the_table_or_carry_html() -> None:
    assert _export.markdown_cell("a|b\n<script>x</script>") == "a\\|b &lt;script&gt;x&lt;/script&gt;"


def test_json_is_the_results_file_content(small: Result) -> None:
    data = json.loads(_export.to_json(small))

    assert data == json.loads(json.dumps(small.to_json()))
    assert Result.from_json(data) == small


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


@pytest.mark.parametrize("kind", _plots.PLOT_KINDS)
def test_each_plot_is_a_png_that_is_not_blank(kind: _plots.PlotKind, small: Result) -> None:
    data = _plots.plot(kind, small, image_format="png")

    width, height = png_size(data)
    assert width >= 600 and height >= 250
    assert distinct_colours(data) > 50  # a blank or single-colour image has one or two


@pytest.mark.parametrize("kind", _plots.PLOT_KINDS)
def test_each_plot_is_an_svg_that_is_not_blank(kind: _plots.PlotKind, small: Result) -> None:
    data = _plots.plot(kind, small, image_format="svg")

    root = ElementTree.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert len(list(root.iter(f"{SVG}path"))) > 50
    assert len(svg_colours(root)) >= 4
    assert b"<text" not in data  # text is drawn as paths: the SVG needs no font


def test_svg_plots_are_reproducible(small: Result) -> None:
    assert _plots.wall(small, image_format="svg") == _plots.wall(small, image_format="svg")


def test_the_timeline_shows_one_row_per_worker_of_the_median_sample(small: Result) -> None:
    index = next(
        i
        for i, m in enumerate(small.measurements)
        if (m.point.workload, m.point.strategy, m.point.workers) == ("count", "threads", 8)
    )
    measurement = small.measurements[index]
    found = _plots.median_sample(measurement)
    assert found is not None
    _, sample = found
    walls = sorted(s.wall_s for s in measurement.samples)
    assert sample.wall_s == walls[(len(walls) - 1) // 2]
    assert len(set(sample.spans.worker)) == 8

    data = _plots.timeline(small, index, image_format="svg")

    root = ElementTree.fromstring(data)
    assert len(list(root.iter(f"{SVG}path"))) > 8


def test_the_default_timeline_is_the_first_point_with_the_most_workers(small: Result) -> None:
    index = _plots.default_timeline_point(small)

    assert index is not None
    point = small.measurements[index].point
    assert (point.workload, point.strategy, point.workers) == ("sleep", "threads", 8)


def test_a_result_with_only_sequential_points_has_no_speedup_plot(small: Result) -> None:
    sequential = tuple(m for m in small.measurements if m.point.strategy == "sequential")
    only = dataclasses.replace(small, measurements=sequential)

    with pytest.raises(_plots.NothingToPlot, match=r"^nothing to plot: no strategy other than sequential"):
        _plots.speedup(only)


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
        "import sys, threadlab.cli, threadlab.render._plots, threadlab.render._html, "
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
    from threadlab import TaskSpans

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

    data = _plots.timeline(big, 0, image_format="png")

    assert png_size(data)[1] > 400
    assert distinct_colours(data) > 20
