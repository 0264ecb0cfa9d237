"""The HTML report: self-contained, every user string escaped, and checked in a real headless Chromium.

The report is made from the stored results files with hostile strings put
where a user's strings go (a function name with ``<script>``, a parameter
with an ``<img onerror>``, an executable path with markup), then opened in
Debian's Chromium over the DevTools protocol (tests/headless_chromium.py):
no console error, no request beyond the page itself and its inline data,
no script or injected element in the page, every plot laid out and drawn
(a screenshot of each is not blank), and a screenshot of the whole page.
Where Chromium is missing the browser tests are skipped, saying so.

tests/data/results-small.json was written before rounds (schema 1: no noise
readings, no precision); tests/data/rounds-small.json in rounds (schema 2),
as tests/test_render.py says. tests/data/tour-waits.json is a real
``threadlab tour --quick -q`` with where the time went (see ``TOUR``).
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import re
from pathlib import Path

import pytest

from headless_chromium import Chromium, missing_reason
from images import PNG_MAGIC, distinct_colours
from threadlab import Result, load_result
from threadlab.analysis import analyse, noise_report, summarise
from threadlab.cli import main
from threadlab.lessons import Finding
from threadlab.render import advice_text, machine_line
from threadlab.render._analysis import precision_lines
from threadlab.render._html import Lesson, html_report
from threadlab.render._rows import summary_cells
from threadlab.render.plots._select import speedup_groups

pytestmark = pytest.mark.timeout(90)

DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "results-small.json"
ROUNDS = DATA / "rounds-small.json"

EVIL_FUNCTION = "tasks.py:<script>alert(1)</script>"
EVIL_PARAM = '<img src=x onerror="alert(2)">'
EVIL_PATH = "/opt/<b>bold</b>/python"


def hostile(result: Result) -> Result:
    """The sleep points renamed to a user function with markup in its name, parameters and paths."""
    measurements = []
    for measurement in result.measurements:
        point = measurement.point
        if point.workload == "sleep":
            params = {**point.params, "note": EVIL_PARAM}
            point = dataclasses.replace(point, workload=EVIL_FUNCTION, params=params)
        measurements.append(dataclasses.replace(measurement, point=point))
    environment = dataclasses.replace(result.environment, python_executable=EVIL_PATH)
    return dataclasses.replace(result, measurements=tuple(measurements), environment=environment)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = hostile(load_result(SMALL))
    lessons = [Lesson("A lesson with <i>markup</i>", "as text & nothing else")]
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(html_report([(f"{EVIL_PATH}/results.json", result)], lessons=lessons), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def rounds_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a file written before rounds, then of a hostile one in rounds."""
    runs = [
        ("results-small.json", load_result(SMALL)),
        (f"{EVIL_PATH}/rounds.json", hostile(load_result(ROUNDS))),
    ]
    page = tmp_path_factory.mktemp("rounds") / "rounds.html"
    page.write_text(html_report(runs), encoding="utf-8")
    return page


def sections(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [part.split("</section>")[0] for part in text.split("<section")[1:]]


def test_the_report_is_one_self_contained_page(report: Path) -> None:
    text = report.read_text(encoding="utf-8")

    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text)
    assert "@import" not in text
    assert set(re.findall(r"url\(([^)]*)\)", text)) <= {m for m in re.findall(r"url\((#[\w-]+)\)", text)}
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    for section in ("Environment", "Findings", "Results", "Scaling", "Plots", "Timelines"):
        assert f">{section}<" in text
    groups = len(speedup_groups(load_result(SMALL)))
    assert groups == 2
    # A speedup plot per group (beside its advice), wall, cpu; a timeline per workload × strategy.
    assert text.count('<figure class="plot"') == groups + 2 + 4


def test_every_user_string_is_escaped(report: Path) -> None:
    text = report.read_text(encoding="utf-8")

    assert "tasks.py:&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in text
    assert "/opt/&lt;b&gt;bold&lt;/b&gt;/python" in text
    assert "A lesson with &lt;i&gt;markup&lt;/i&gt;" in text
    for raw in (EVIL_FUNCTION, EVIL_PARAM, EVIL_PATH, "<i>markup</i>", "<img"):
        assert raw not in text


def test_each_run_in_rounds_opens_with_its_noise_line(rounds_report: Path) -> None:
    before, after = sections(rounds_report)
    noise = load_result(ROUNDS).noise
    assert noise is not None
    line = machine_line(noise_report(noise)).replace("'", "&#x27;")

    assert 'class="noise"' not in before  # written before rounds: no noise readings
    rest = after.split('<p class="meta">', 1)[1].split("</p>\n", 1)[1]
    assert rest.startswith(f'<p class="noise">{line}</p>\n<h3>Environment</h3>')


def test_the_results_tables_show_the_speedup_interval(rounds_report: Path) -> None:
    for section, path in zip(sections(rounds_report), (SMALL, ROUNDS), strict=True):
        result = load_result(path)
        header = re.search(r"<h3>Results</h3>\n<table><thead><tr>(.*?)</tr>", section)
        assert header is not None
        names = re.findall(r"<th[^>]*>([^<]*)</th>", header.group(1))
        assert names[names.index("speedup") + 1] == "95% CI"
        table = section.split("<h3>Results</h3>")[1].split("</table>")[0]
        for (_, summary), row in zip(summarise(result), table.split("<tr>")[2:], strict=True):
            cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
            assert cells[3:10] == list(summary_cells(summary))


def test_the_findings_say_the_precision_reached_and_the_machine_s_noise(rounds_report: Path) -> None:
    before, after = sections(rounds_report)
    analysis = analyse(hostile(load_result(ROUNDS)))
    lines = precision_lines(analysis, time_option=None)
    assert len(lines) == 2 and lines[1].endswith("— give it more time")

    assert "Precision of the speedups" not in before
    assert "<h4>Precision of the speedups (half-width of their 95% intervals)</h4>" in after
    for line in lines:
        assert f"<li>{html.escape(line)}</li>" in after
    assert "--max-time" not in after and "--budget" not in after
    assert analysis.noise is not None and analysis.noise.capacity_low
    warnings = after.split("<h4>Stability warnings</h4>")[1]
    assert f"<li>only {analysis.noise.capacity:.2f} of the 2 cores could run in parallel" in warnings


def test_the_findings_name_each_kind_of_work_in_words(rounds_report: Path) -> None:
    _, after = sections(rounds_report)
    analysis = analyse(hostile(load_result(ROUNDS)))
    assert analysis.recommendations

    for recommendation in analysis.recommendations:
        heading = html.escape(f"{recommendation.workload} [{recommendation.python}]: ")
        words = recommendation.classification.kind.words
        assert f'<h4>{heading}<span class="kind">{words}</span></h4>' in after


def test_the_tour_writes_its_report_beside_its_results_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threadlab._api

    stored = load_result(SMALL)
    monkeypatch.setattr(threadlab._api, "execute", lambda *args, **kwargs: stored)
    monkeypatch.setattr("threadlab.render._html._plots", lambda *drawn: "<p>plots</p>")
    monkeypatch.setattr("threadlab.render._html._group_plots", lambda result, analysis: {})
    lessons = importlib.import_module("threadlab.lessons")
    monkeypatch.setattr(lessons, "findings", lambda result: [Finding("One lesson", "measured here")])
    out = tmp_path / "tour.json"

    with pytest.raises(SystemExit) as exited:
        main(["tour", "--quick", "-q", "-o", str(out)])

    _, err = capsys.readouterr()
    assert exited.value.code == 0
    page = tmp_path / "tour.html"
    assert err.splitlines() == [f"Report written to {page}", f"Results written to {out}"]
    text = page.read_text(encoding="utf-8")
    assert "<title>threadlab tour: what was measured on this machine</title>" in text
    assert "<strong>One lesson</strong> measured here" in text


def test_report_of_two_results_files_has_a_section_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("threadlab.render._html._plots", lambda *drawn: "<p>plots</p>")
    monkeypatch.setattr("threadlab.render._html._group_plots", lambda result, analysis: {})
    out = tmp_path / "both.html"
    base = DATA / "compare-base.json"

    with pytest.raises(SystemExit) as exited:
        main(["report", str(SMALL), str(base), "-o", str(out)])

    assert exited.value.code == 0
    assert capsys.readouterr().err == f"Report written to {out}\n"
    text = out.read_text(encoding="utf-8")
    assert text.count("<section") == 2
    assert f'<a href="#run-1">{SMALL}</a>' in text and f'<a href="#run-2">{base}</a>' in text


# --- in a real browser ------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


PLOTS_JS = """JSON.stringify(Array.from(document.querySelectorAll('figure.plot')).map(f => {
  const svg = f.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : null;
  const style = svg ? getComputedStyle(svg) : null;
  return {kind: f.dataset.plot, width: box && box.width, height: box && box.height,
          x: box && box.left + scrollX, y: box && box.top + scrollY,
          shown: !!style && style.display !== 'none' && style.visibility === 'visible'
                 && style.opacity !== '0',
          shapes: svg ? svg.querySelectorAll('path, use').length : 0};
}))"""


@needs_chromium
def test_the_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    import json

    with Chromium() as browser:
        log = browser.open(report)

        assert log.console_errors == []
        page_url = report.resolve().as_uri()
        assert [url for url in log.requests if url != page_url and not url.startswith("data:")] == []
        assert browser.evaluate("document.querySelectorAll('script, img, b, i, iframe, object').length") == 0
        body = browser.evaluate("document.body.innerText")
        assert EVIL_FUNCTION in body
        assert EVIL_PARAM in body
        assert EVIL_PATH in body

        plots = json.loads(browser.evaluate(PLOTS_JS))
        assert [p["kind"] for p in plots] == ["speedup"] * 2 + ["wall", "cpu"] + ["timeline"] * 4
        for plot in plots:
            assert plot["shown"], plot
            assert plot["width"] > 500 and plot["height"] > 150, plot
            assert plot["shapes"] > 20, plot
            clip = {"x": plot["x"], "y": plot["y"], "width": plot["width"], "height": plot["height"]}
            assert distinct_colours(browser.screenshot(clip)) > 20, f"{plot['kind']} plot looks blank"

        screenshot = browser.screenshot()
    shot = tmp_path / "report.png"
    shot.write_bytes(screenshot)
    assert screenshot[:8] == PNG_MAGIC
    assert distinct_colours(screenshot) > 100


@needs_chromium
def test_the_noise_line_and_intervals_in_headless_chromium(rounds_report: Path) -> None:
    import json

    noise = load_result(ROUNDS).noise
    assert noise is not None

    with Chromium() as browser:
        log = browser.open(rounds_report)

        assert log.console_errors == []
        assert browser.evaluate("document.querySelectorAll('script, img, b, i, iframe, object').length") == 0
        shown = json.loads(
            browser.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('section')).map(s => {"
                "  const noise = s.querySelector('p.noise');"
                "  const box = noise ? noise.getBoundingClientRect() : null;"
                "  const heads = Array.from(s.querySelectorAll('table:not(.kv) thead th'))"
                "    .map(th => th.innerText);"
                "  return {noise: noise && noise.innerText, height: box && box.height, heads: heads};"
                "}))"
            )
        )
    assert [s["noise"] for s in shown] == [None, machine_line(noise_report(noise))]
    assert shown[1]["height"] > 10
    assert all("95% CI" in s["heads"] for s in shown)


# --- the tour's report: small, each lesson and each advice beside its plot ----------------------

# A real `threadlab tour --quick -q` on the project's 2-core machine at load average ~3, recorded
# with where the time went (11 waits plots) and the lock lesson: 29 points, 10 lessons.
TOUR = DATA / "tour-waits.json"
# Issue 21: the tour's report self-contained and under 300 KB (it was 1.2 MB with its text drawn as
# paths; this tour's 267 KB); benchmarks/bench_report.py prints the figure and each kind of plot's share.
TOUR_REPORT_BYTES = 300_000


@pytest.fixture(scope="module")
def tour_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a recorded ``threadlab tour --quick``, its lessons told as the tour tells them."""
    from threadlab.lessons import findings

    result = load_result(TOUR)
    lessons = [Lesson(f.title, f.text, f.points) for f in findings(result)]
    page = tmp_path_factory.mktemp("tour") / "tour.html"
    page.write_text(html_report([(str(TOUR), result)], lessons=lessons), encoding="utf-8")
    return page


def rows(page: Path, css_class: str) -> list[str]:
    """Each ``<article class="beside {css_class}">`` of the page, its HTML."""
    text = page.read_text(encoding="utf-8")
    return [part.split("</article>")[0] for part in text.split(f'<article class="beside {css_class}">')[1:]]


def test_the_tour_report_is_self_contained_and_under_300_kb(tour_report: Path) -> None:
    text = tour_report.read_text(encoding="utf-8")

    assert len(text.encode("utf-8")) < TOUR_REPORT_BYTES
    assert "<script" not in text.lower() and "@font-face" not in text and "@import" not in text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text)


def test_each_lesson_sits_beside_a_plot_of_the_points_it_cites(tour_report: Path) -> None:
    from threadlab.lessons import findings
    from threadlab.render._rows import point_rows

    result = load_result(TOUR)
    told = findings(result)
    lessons = rows(tour_report, "lesson-row")
    assert len(told) >= 6 and len(lessons) == len(told)
    names = [(row.measurement.point, row.name) for row in point_rows(result)]

    for finding, row in zip(told, lessons, strict=True):
        assert finding.points, finding.title
        words, plots = row.split('<div class="plots">')
        assert f"<strong>{html.escape(finding.title)}</strong>" in words
        assert plots.count('<figure class="plot" data-plot="lesson">') == 1
        # The plot's rows are the points the lesson cites, by the results table's names, and no other.
        shown = re.findall(r"<text[^>]*>([^<]*)</text>", plots)
        cited = [name for point in finding.points for p, name in names if p == point]
        others = [name for _, name in names if name not in cited]
        assert all(html.escape(name, quote=False) in shown for name in cited), (cited, shown)
        assert not any(html.escape(name, quote=False) in shown for name in others)


def test_each_advice_sits_beside_its_group_s_speedup_plot(tour_report: Path) -> None:
    result = load_result(TOUR)
    analysis = analyse(result)
    advised = rows(tour_report, "advice-row")
    assert len(advised) == len(analysis.recommendations) >= 5
    drawn = {(g.workload, g.python) for g in speedup_groups(result, analysis)}

    for recommendation, row in zip(analysis.recommendations, advised, strict=True):
        assert f'<p class="advice">→ {html.escape(advice_text(recommendation), quote=True)}</p>' in row
        expected = 1 if (recommendation.workload, recommendation.python) in drawn else 0
        assert row.count('data-plot="speedup"') == expected


def test_the_plots_styles_become_shared_classes_and_text_stays_text() -> None:
    from threadlab.render._html import shared_styles

    page = (
        '<svg><path d="M 0 0" style="fill: none; stroke: #000"/><g style="fill: #fff">'
        '<path style="fill: none; stroke: #000"/></g>'
        '<text x="1">name with style="color: red" &lt;b style="x"&gt;</text></svg>'
    )

    shared, css = shared_styles(page)

    assert shared == (
        '<svg><path d="M 0 0" class="tl0"/><g class="tl1"><path class="tl0"/></g>'
        '<text x="1">name with style="color: red" &lt;b style="x"&gt;</text></svg>'
    )
    assert css == "\n.tl0 { fill: none; stroke: #000 }\n.tl1 { fill: #fff }"


BESIDE_JS = """JSON.stringify(Array.from(document.querySelectorAll('article.beside')).map(a => {
  const words = a.querySelector(':scope > .words').getBoundingClientRect();
  const plot = a.querySelector(':scope > .plots figure.plot svg');
  const box = plot ? plot.getBoundingClientRect() : null;
  return {kind: a.className, words: [words.left, words.top, words.right, words.bottom],
          plot: box && [box.left, box.top, box.right, box.bottom]};
}))"""


@needs_chromium
def test_lessons_and_advice_beside_their_plots_when_wide_stacked_when_narrow(tour_report: Path) -> None:
    import json

    with Chromium() as browser:
        log = browser.open(tour_report)
        assert log.console_errors == []
        page_url = tour_report.resolve().as_uri()
        assert [url for url in log.requests if url != page_url and not url.startswith("data:")] == []
        wide = json.loads(browser.evaluate(BESIDE_JS))
        browser.resize(500)
        narrow = json.loads(browser.evaluate(BESIDE_JS))

    with_plots = [row for row in wide if row["plot"] is not None]
    assert {row["kind"] for row in with_plots} == {"beside lesson-row", "beside advice-row"}
    for row in with_plots:  # 1200 px: the plot right of the words, the two overlapping in height
        (_, w_top, w_right, w_bottom), (p_left, p_top, p_right, p_bottom) = row["words"], row["plot"]
        assert p_left >= w_right and p_top < w_bottom and w_top < p_bottom, row
        assert p_right - p_left > 400, row
    for row in (row for row in narrow if row["plot"] is not None):  # 500 px: the plot below the words
        (w_left, _, _, w_bottom), (p_left, p_top, p_right, _) = row["words"], row["plot"]
        assert p_top >= w_bottom and abs(p_left - w_left) < 1, row
        assert p_right <= 500, row


# --- in a notebook: the report's sections, their style scoped ------------------------------------


def _rules(fragment: str) -> list[str]:
    style = fragment.split("<style>", 1)[1].split("</style>", 1)[0]
    return [rule.split("{", 1)[0].strip() for rule in style.split("}") if "{" in rule]


def test_the_tour_shows_itself_in_jupyter_as_the_reports_section(tmp_path: Path) -> None:
    import threadlab

    result = load_result(DATA / "tour-quick.json")
    told = (Finding("A lesson with <i>markup</i>", "as text & nothing else"),)
    toured = threadlab.TourResult(result, analyse(result), told, tmp_path / "t.json", None)

    fragment = toured._repr_html_()

    assert fragment.startswith('<div class="threadlab-report"><style>')
    assert fragment.endswith("</div>")
    assert "<h2>The tour</h2>" in fragment
    assert "A lesson with &lt;i&gt;markup&lt;/i&gt;" in fragment
    assert fragment.count('<figure class="plot"') >= 3
    assert "<script" not in fragment.lower()
    # Its style never reaches the notebook around it: every rule is the fragment's own.
    selectors = [s.strip() for rule in _rules(fragment) for s in rule.split(",")]
    assert selectors and all(s.startswith(".threadlab-report") for s in selectors)


def test_a_result_and_an_advice_show_themselves_in_a_running_ipython() -> None:
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from threadlab._api import show_in_notebooks
    from threadlab.orchestrate._advise import Advice

    shell = interactiveshell.InteractiveShell.instance()
    try:
        show_in_notebooks()
        result = load_result(ROUNDS)
        shown, _ = shell.display_formatter.format(result)
        advised, _ = shell.display_formatter.format(Advice(result, analyse(result), None, ()))
    finally:
        interactiveshell.InteractiveShell.clear_instance()

    assert shown["text/html"].startswith('<div class="threadlab-report">')
    assert "<h2>Results</h2>" in shown["text/html"]
    assert "<h2>What advise measured</h2>" in advised["text/html"]
