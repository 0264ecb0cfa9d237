"""The HTML report: one self-contained page from one or more results.

The page needs nothing but itself: CSS inline, plots as inline SVG (their
text in a font the browser has: none is fetched), no script at all, and a
Content-Security-Policy that forbids any script and any request, so that even
a hostile string in a results file could neither run nor call out. It is
built only with :func:`_e` (control characters escaped, as HTML forbids
them, then ``html.escape``) and the tag helpers below, which escape what
they are given.

::

    [(name, Result), …] ──► per result: environment, findings, tables, plots ──► one HTML page
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from threadlab.analysis import Analysis
from threadlab.model import Measurement, Point, Result
from threadlab.render._advice import advice_text, fact_text
from threadlab.render._doubts import machine_line
from threadlab.render._rows import (
    RESULTS_COLUMNS,
    SCALING_COLUMNS,
    TEXT_COLUMNS,
    point_names,
    point_rows,
    scaled,
    scaling_cells,
    scaling_title,
    with_python,
)
from threadlab.worker._text import printable

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1100px; color: #1d1d1f; background: #fff;
       line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 2px solid #e3e3e8; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.8rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.3rem; }
.meta { color: #5a5a63; margin-top: 0; }
.noise { background: #f5f5f7; border-left: 4px solid #5a5a63; padding: 0.4rem 0.8rem; }
code, pre, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
                   font-size: 0.88em; }
pre { background: #f5f5f7; padding: 0.5rem 0.7rem; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #e3e3e8; text-align: right; vertical-align: top;
         white-space: nowrap; }
th.text, td.text { white-space: normal; }
th { background: #f5f5f7; font-weight: 600; }
th.text, td.text { text-align: left; }
table.kv th { text-align: left; width: 13rem; }
table.kv td { text-align: left; }
.status-ok { color: #1b7f3b; }
.status-bad { color: #b42318; font-weight: 600; }
.kind { color: #0b5cad; font-weight: 600; }
.advice { background: #eef6ff; border-left: 4px solid #0b5cad; padding: 0.5rem 0.8rem;
          margin: 0.4rem 0 1rem; }
.warning { color: #8a5a00; }
.lesson { margin: 0 0 0.6rem; }
/* A lesson or an advice beside the plot that shows it: side by side where the page is wide enough for
   both (a 20rem column of words and a 26rem plot), stacked on a narrow window (flex-wrap). */
.beside { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: flex-start;
          margin: 0.8rem 0 1.6rem; }
.beside > .words { flex: 1 1 20rem; min-width: 0; }
.beside > .plots { flex: 2 1 26rem; min-width: 0; }
.beside figure.plot { margin: 0 0 0.8rem; }
figure.plot { margin: 1rem 0 2rem; }
figure.plot svg { width: 100%; height: auto; display: block; }
figure.plot svg text { font-family: "DejaVu Sans", Verdana, sans-serif; }
figcaption { color: #5a5a63; font-size: 0.9rem; margin-top: 0.3rem; }
.missing { color: #5a5a63; font-style: italic; }
nav ul { padding-left: 1.2rem; }
footer { margin-top: 3rem; color: #5a5a63; font-size: 0.85rem; }
"""


def _e(text: object) -> str:
    """Escape anything for HTML text or a quoted attribute, control characters as ``\x1b``."""
    return html.escape(printable(str(text), one_line=False), quote=True)


def _tag(name: str, content: str, css_class: str | None = None) -> str:
    """``<name class=…>content</name>``; ``content`` must already be HTML (escaped)."""
    attribute = f' class="{_e(css_class)}"' if css_class else ""
    return f"<{name}{attribute}>{content}</{name}>"


def _text(name: str, text: object, css_class: str | None = None) -> str:
    """An element holding escaped ``text``."""
    return _tag(name, _e(text), css_class)


def _list(items: Iterable[str], css_class: str | None = None, *, escaped: bool = False) -> str:
    return _tag("ul", "".join(_tag("li", item if escaped else _e(item)) for item in items), css_class)


Cell = str | tuple[str, str]  # text, or (text, an extra CSS class)
GroupKey = tuple[str, str]  # a group's workload label and its Python's, as the analysis names them


def _table(header: Sequence[str], rows: Iterable[Sequence[Cell]], text_columns: Collection[str] = ()) -> str:
    """A table of escaped text; columns named in ``text_columns`` aligned left, the rest (figures) right."""

    def cell(tag: str, column: str, content: Cell) -> str:
        text, extra = (content, "") if isinstance(content, str) else content
        css = " ".join(c for c in ("text" if column in text_columns else "", extra) if c)
        return _text(tag, text, css or None)

    head = "".join(cell("th", h, h) for h in header)
    body = "".join(
        _tag("tr", "".join(cell("td", h, c) for h, c in zip(header, row, strict=True))) for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _key_values(pairs: Iterable[tuple[str, str]]) -> str:
    rows = "".join(_tag("tr", _text("th", key) + _text("td", value)) for key, value in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


_SVG_START = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_GROUP_ID = re.compile(r'<g id="[^"]*">')
_FONT_FAMILY = "font-family: 'DejaVu Sans', sans-serif; "  # as matplotlib writes the plots' font (_figure.py)
_SIZE_ATTRIBUTE = re.compile(r'\s(?:width|height)="[^"]*"')


def inline_svg(svg: bytes, description: str) -> str:
    """An SVG file made inline: no XML prolog or doctype, sized by CSS, labelled for screen readers.

    Only threadlab's own plots go through here; matplotlib escapes what it
    writes into text, comments and attributes.
    """
    text = svg.decode("utf-8")
    found = _SVG_START.search(text)
    if found is None:
        raise ValueError("not an SVG file: no <svg> element")
    root = _SIZE_ATTRIBUTE.sub("", found.group(0))
    root = root[:-1] + f' role="img" aria-label="{_e(description)}">'
    # The page names the plots' font once (``figure.plot svg text`` in its style), not every label;
    # the ids matplotlib gives every group (``axes_1``, ``line2d_12``), that nothing in the page refers
    # to, were 26 KB of the tour's report.
    return root + _unwrapped(_GROUP_ID.sub("<g>", text[found.end() :].replace(_FONT_FAMILY, "")))


_GROUP_TAG = re.compile(r"<g\b[^>]*>|</g>")


def _unwrapped(svg: str) -> str:
    """``svg`` without its bare ``<g>`` elements (no attribute: they change nothing), their content kept."""
    parts: list[str] = []
    opened: list[bool] = []  # for each <g> open here, whether it is bare
    last = 0
    for tag in _GROUP_TAG.finditer(svg):
        closing = tag.group(0) == "</g>"
        bare = opened.pop() if closing else tag.group(0) == "<g>"
        if not closing:
            opened.append(bare)
        if bare:
            parts.append(svg[last : tag.start()])
            last = tag.end()
    parts.append(svg[last:])
    return "".join(parts)


# Tags with a style attribute: in the page, only the plots' elements (the page's own tags have
# none, and text from a results file cannot make a tag: its "<" is escaped).
_STYLED_TAG = re.compile(r'(<[a-zA-Z][^<>]*?) style="([^"<>{}]*)"')


def shared_styles(page: str) -> tuple[str, str]:
    """The plots' style attributes made classes shared by the page; returns it, and their CSS rules.

    matplotlib writes each element's whole style (2,400 of them, 79 distinct, were 114 KB of
    a tour's report); a class per distinct style says each once.
    """
    classes: dict[str, str] = {}

    def shared(found: re.Match[str]) -> str:
        name = classes.setdefault(found.group(2), f"tl{len(classes)}")
        return f'{found.group(1)} class="{name}"'

    shared_page = _STYLED_TAG.sub(shared, page)
    return shared_page, "".join(f"\n.{name} {{ {style} }}" for style, name in classes.items())


@dataclass(frozen=True, slots=True)
class Lesson:
    """A lesson of the tour (its ``Finding``) shown above the findings, beside a plot of the
    ``points`` it cites; none: words alone."""

    title: str
    text: str
    points: tuple[Point, ...] = ()


def html_report(
    runs: Sequence[tuple[str, Result]],
    *,
    title: str = "threadlab report",
    lessons: Sequence[Lesson] = (),
    analyses: Sequence[Analysis] | None = None,
) -> str:
    """One self-contained HTML page: for each of the ``(name, result)`` ``runs``, environment,
    findings (the first's after the tour's ``lessons``), tables and plots; ``analyses``: each run's,
    where the caller made them."""
    from threadlab._version import __version__
    from threadlab.analysis import analyse

    made = [analyse(result) for _, result in runs] if analyses is None else list(analyses)
    sections = [
        _run_section(number, name, result, analysis, lessons if number == 1 else ())
        for number, ((name, result), analysis) in enumerate(zip(runs, made, strict=True), start=1)
    ]
    contents = ""
    if len(runs) > 1:
        links = (f'<a href="#run-{n}">{_e(name)}</a>' for n, (name, _) in enumerate(runs, start=1))
        contents = _tag("nav", _list(links, escaped=True))
    body, plot_css = shared_styles("\n".join(sections))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}{plot_css}</style>\n</head>\n<body>\n"
        f"{_text('h1', title)}\n"
        f"{_text('p', f'{len(runs)} result file(s), reported by threadlab {__version__}', 'meta')}\n"
        f"{contents}\n{body}\n"
        "<footer>Made by threadlab. The page is self-contained: no script, no request; "
        "plots are inline SVG.</footer>\n</body>\n</html>\n"
    )


# The class of a section shown inside another page (a notebook cell): the report's style
# applies within it only, never to the page around it.
FRAGMENT_CLASS = "threadlab-report"


def _scoped_css(css: str) -> str:
    """The report's style with every rule limited to the fragment: ``h2`` → ``.threadlab-report h2``;
    ``:root`` and ``body``, the page's own, become the fragment itself."""
    rules = []
    for rule in css.strip().split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        scoped = [
            f".{FRAGMENT_CLASS}"
            if selector.strip() in (":root", "body")
            else f".{FRAGMENT_CLASS} {selector.strip()}"
            for selector in selectors.split(",")
        ]
        rules.append(", ".join(scoped) + " {" + body + "}")
    return "\n".join(rules)


def html_fragment(
    name: str, result: Result, analysis: Analysis | None = None, lessons: Sequence[Lesson] = ()
) -> str:
    """One result's section of the report, as a notebook shows it: the same HTML, its style scoped."""
    from threadlab.analysis import analyse

    made = analyse(result) if analysis is None else analysis
    section, plot_css = shared_styles(_run_section(1, name, result, made, lessons))
    return f'<div class="{FRAGMENT_CLASS}"><style>{_scoped_css(_CSS + plot_css)}</style>\n{section}\n</div>'


def _run_section(
    number: int, name: str, result: Result, analysis: Analysis, lessons: Sequence[Lesson]
) -> str:
    environment = result.environment
    measured = f"measured {environment.time} with threadlab {environment.threadlab_version}; "
    measured += f"{len(result.measurements)} point(s)"
    if result.interrupted:
        measured += "; interrupted (Ctrl-C) before the end"
    noise = "" if analysis.noise is None else _text("p", machine_line(analysis.noise), "noise")
    plotted = _group_plots(result, analysis)
    parts = [
        f'<section id="run-{number}">',
        _text("h2", name),
        _text("p", measured, "meta"),
        noise,
        _text("h3", "Environment"),
        _environment(result),
        _text("h3", "Findings"),
        _findings(result, analysis, lessons, plotted),
        _text("h3", "Results"),
        _results_table(result),
        _scaling(analysis),
        _text("h3", "Plots"),
        _plots(result, analysis, plotted),
        "</section>",
    ]
    return "\n".join(part for part in parts if part)


def _environment(result: Result) -> str:
    environment = result.environment
    gil = "on" if environment.gil_enabled else "off"
    build = "free-threaded build" if environment.free_threaded else "standard build (with the GIL)"
    pairs = [
        ("Python (threadlab's own)", f"{environment.python_version}, {build}, GIL {gil}"),
        ("its executable", environment.python_executable),
        ("CPUs", "unknown" if environment.cpu_count is None else str(environment.cpu_count)),
        ("platform", environment.platform),
        ("started", environment.time),
        ("threadlab", environment.threadlab_version),
    ]
    interpreters = {
        (m.interpreter.label(), m.interpreter.executable): None
        for m in result.measurements
        if m.interpreter is not None
    }
    pairs += [("points ran under", f"{label}: {executable}") for label, executable in interpreters]
    return _key_values(pairs)


def _findings(
    result: Result, analysis: Analysis, lessons: Sequence[Lesson], plotted: Mapping[GroupKey, list[str]]
) -> str:
    from threadlab.render._analysis import POOLS_TITLE, pool_lines, precision_lines, warning_lines
    from threadlab.render._terminal import problem_lines

    parts = _lessons(result, lessons) + _advice(analysis, plotted)
    if not analysis.recommendations:
        parts.append(_text("p", "No point has samples to conclude from.", "missing"))
    # A report does not know which command measured the file: more time in plain words.
    precision = precision_lines(analysis, time_option=None)
    problems = problem_lines(result)
    for title, lines, listed in (
        (POOLS_TITLE, pool_lines(analysis), _list),
        ("Precision of the speedups (half-width of their 95% intervals)", precision, _list),
        ("Stability warnings", warning_lines(analysis), lambda lines: _list(lines, "warning")),
        ("Problems", problems, lambda lines: "".join(_text("pre", line) for line in lines)),
    ):
        if lines:
            parts += [_text("h4", title), listed(lines)]
    return "\n".join(parts)


def _beside(words: str, figures: Sequence[str], css_class: str) -> str:
    """Words and the plots that show them in one row: side by side on a wide page, stacked on a narrow one."""
    plots = _tag("div", "".join(figures), "plots") if figures else ""
    return _tag("article", _tag("div", words, "words") + plots, f"beside {css_class}")


def _lessons(result: Result, lessons: Sequence[Lesson]) -> list[str]:
    """Each lesson's words beside a plot of the points it cites."""
    from threadlab.render.plots import NothingToPlot, wall
    from threadlab.render.plots._select import cited_points

    if not lessons:
        return []
    parts = [_text("h4", "The lessons, as measured here")]
    caption = "The points the lesson cites: each one's median wall time, whiskers from fastest to slowest."
    for number, lesson in enumerate(lessons, start=1):
        words = _tag("p", _text("strong", lesson.title) + " " + _e(lesson.text), "lesson")
        try:
            points = cited_points(result, lesson.points)
        except NothingToPlot:
            points = []
        svg = wall.draw(points, "svg", salt=f"lesson-{number}", width=_BESIDE_INCHES) if points else None
        parts.append(_beside(words, [] if svg is None else [_figure(svg, "lesson", caption)], "lesson-row"))
    return parts


def _advice(analysis: Analysis, plotted: Mapping[GroupKey, list[str]]) -> list[str]:
    """Each recommendation's evidence and advice beside its group's plots (``_group_plots``)."""
    parts = []
    for recommendation in analysis.recommendations:
        classification = recommendation.classification
        heading = _e(with_python(recommendation.workload, recommendation.python) + ": ") + _text(
            "span", classification.kind.words, "kind"
        )
        words = (
            _tag("h4", heading)
            + _list([fact_text(fact) for fact in classification.evidence])
            + _text("p", "→ " + advice_text(recommendation), "advice")
        )
        figures = plotted.get((recommendation.workload, recommendation.python), [])
        parts.append(_beside(words, figures, "advice-row"))
    return parts


def _results_table(result: Result) -> str:
    """The rows of ``threadlab.render._rows.point_rows``, every column, the status coloured."""
    rows: list[list[Cell]] = []
    for row in point_rows(result):
        *cells, status = row.cells(RESULTS_COLUMNS)
        rows.append([*cells, (status, "status-ok" if status == "ok" else "status-bad")])
    return _table(RESULTS_COLUMNS, rows, TEXT_COLUMNS)


def _scaling(analysis: Analysis) -> str:
    from threadlab.render._analysis import _usl_line

    parts = []
    for scaling in scaled(analysis):
        parts.append(_text("h4", scaling_title(scaling)))
        parts.append(_table(SCALING_COLUMNS, [scaling_cells(p) for p in scaling.points]))
        parts.append(_text("p", _usl_line(scaling)))
    if not parts:
        return ""
    return _text("h3", "Scaling") + "\n" + "\n".join(parts)


_CAPTIONS = {
    "speedup": "Throughput and speedup against workers (log₂ axis), per workload: the dotted line is "
    "ideal linear scaling, dashed curves the fitted Universal Scalability Law, a star its peak N*.",
    "wall": "Median wall time of each point; the whiskers run from the fastest to the slowest sample.",
    "cpu": "CPU time over wall time of each point: 0 is waiting, 1 is one core busy throughout.",
}


def _figure(svg: bytes, kind: str, caption: str) -> str:
    return (
        f'<figure class="plot" data-plot="{_e(kind)}">'
        f"{inline_svg(svg, caption)}{_text('figcaption', caption)}</figure>"
    )


# Plots beside words sit in a column of about 600 px on a 1100 px page: drawn 6.5 inches wide (468 pt),
# their 9 pt text shows at about 11 px, where the 10-inch plots of the Plots section would shrink it to 8.
_BESIDE_INCHES = 6.5

_WAITS_CAPTION = (
    "Where the time went: each bar splits a point's worker threads' time into on a CPU, runnable "
    "(waiting for a core), the GIL, a lock, sleeping, I/O and other, read from /proc beside the worker."
)


def _waits_plot(named: Sequence[tuple[str, Measurement]], salt: str) -> list[str]:
    """Where each point's threads' time went, for the points of 2+ workers among ``named``."""
    from threadlab.analysis import observed_waits
    from threadlab.render.plots import waits

    found = [
        (name, measured)
        for name, measurement in named
        if measurement.point.workers >= 2
        for measured in (observed_waits(measurement),)
        if measured is not None
    ]
    if not found:
        return []
    return [_figure(waits.draw(found, "svg", salt=salt, width=_BESIDE_INCHES), "waits", _WAITS_CAPTION)]


def _group_plots(result: Result, analysis: Analysis) -> dict[GroupKey, list[str]]:
    """Per group of compared points: its speedup plot, and where its points' time went."""
    from threadlab.analysis._group import groups
    from threadlab.render.plots import NothingToPlot, speedup
    from threadlab.render.plots._select import speedup_groups

    try:
        drawn = speedup_groups(result, analysis)
    except NothingToPlot:
        drawn = []
    figures: dict[GroupKey, list[str]] = {}
    for number, shown in enumerate(drawn, start=1):
        svg = speedup.draw([shown], "svg", salt=f"speedup-{number}", width=_BESIDE_INCHES)
        figures.setdefault((shown.workload, shown.python), []).append(
            _figure(svg, "speedup", _CAPTIONS["speedup"])
        )
    names = dict(zip(map(id, result.measurements), point_names(result.measurements), strict=True))
    for number, group in enumerate(groups(result), start=1):
        members = [(names[id(m.measurement)], m.measurement) for m in group.members]
        figures.setdefault((group.label, group.python), []).extend(_waits_plot(members, f"waits-{number}"))
    return figures


def _plots(result: Result, analysis: Analysis, plotted: Mapping[GroupKey, list[str]]) -> str:
    """Every point's wall time and CPU/wall, the group plots that no advice shows, then the timelines."""
    from threadlab.render import plots

    advised = {(r.workload, r.python) for r in analysis.recommendations}
    parts = [figure for key, figures in plotted.items() if key not in advised for figure in figures]
    kinds: tuple[plots.PlotKind, ...] = ("wall", "cpu")
    for kind in kinds:
        try:
            svg = plots.plot(kind, result, analysis, image_format="svg")
        except plots.NothingToPlot as nothing:
            parts.append(_text("p", f"No {kind} plot: {nothing}", "missing"))
            continue
        parts.append(_figure(svg, kind, _CAPTIONS[kind]))
    parts.extend(_timelines(result))
    return "\n".join(parts)


def _timelines(result: Result) -> list[str]:
    from threadlab.render import plots

    chosen = plots.timeline_points(result)
    if not chosen:
        return []
    parts = [
        _text("h4", "Timelines"),
        _text(
            "p",
            "One row per worker (thread or process), one bar per task, from the median sample of a "
            "point (of its samples that recorded their tasks). Pale bars waited (I/O, sleep, or the "
            "GIL), dark bars computed; overlapping pale bars of CPU-bound threads are threads taking "
            "turns under the GIL.",
        ),
    ]
    names = point_names(result.measurements)
    for index in chosen:
        svg = plots.plot("timeline", result, image_format="svg", point=index)
        caption = f"Timeline of point {index + 1}: {names[index]}"
        parts.append(_figure(svg, "timeline", caption))
    return parts
