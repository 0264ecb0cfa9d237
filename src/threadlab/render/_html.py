"""The HTML report: one self-contained page from one or more results.

``html_report(...)`` returns the page as a string; the CLI writes it. The page
needs nothing but itself: CSS inline, plots as inline SVG (text drawn as
paths, so no font is fetched), no script at all, and a Content-Security-Policy
that forbids any script and any request, so that even a hostile string in a
results file could neither run nor call out. Every string that comes from a
results file (workload names and paths, parameters, tracebacks, executables,
platform) goes through ``html.escape`` on its way in, its control characters
escaped first (``printable``: HTML forbids them): the page is built
only with :func:`_e` and the tag helpers below, which escape what they are given.

::

    [(name, Result), …] ──► per result: environment, findings, tables, plots ──► one HTML page
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from threadlab.analysis import Analysis
from threadlab.model import Result
from threadlab.render._advice import advice_text, fact_text
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
.lesson { margin-bottom: 0.6rem; }
figure.plot { margin: 1rem 0 2rem; }
figure.plot svg { width: 100%; height: auto; display: block; }
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
_SIZE_ATTRIBUTE = re.compile(r'\s(?:width|height)="[^"]*"')


def inline_svg(svg: bytes, description: str) -> str:
    """An SVG file made inline: no XML prolog or doctype, sized by CSS, labelled for screen readers.

    Only threadlab's own plots go through here; their text is drawn as paths
    and matplotlib escapes what it writes into comments and attributes.
    """
    text = svg.decode("utf-8")
    found = _SVG_START.search(text)
    if found is None:
        raise ValueError("not an SVG file: no <svg> element")
    root = _SIZE_ATTRIBUTE.sub("", found.group(0))
    root = root[:-1] + f' role="img" aria-label="{_e(description)}">'
    return root + text[found.end() :]


@dataclass(frozen=True, slots=True)
class Lesson:
    """A titled paragraph shown above the findings (the tour's lessons)."""

    title: str
    text: str


def html_report(
    runs: Sequence[tuple[str, Result]],
    *,
    title: str = "threadlab report",
    lessons: Sequence[Lesson] = (),
    analyses: Sequence[Analysis] | None = None,
) -> str:
    """One self-contained HTML page: for each result, environment, findings, tables and plots.

    Args:
        runs: ``(name, result)`` pairs, e.g. the path each result was read from.
        title: the page's title.
        lessons: paragraphs shown first in the first result's findings (the tour's).
        analyses: each result's analysis, where the caller made it (one per
            run); None: analysed here.

    Returns:
        The page, as text (UTF-8 when written).
    """
    from threadlab._version import __version__
    from threadlab.analysis import analyse

    made = [analyse(result) for _, result in runs] if analyses is None else list(analyses)
    sections = []
    for number, ((name, result), analysis) in enumerate(zip(runs, made, strict=True), start=1):
        sections.append(_run_section(number, name, result, analysis, lessons if number == 1 else ()))
    contents = ""
    if len(runs) > 1:
        links = (f'<a href="#run-{n}">{_e(name)}</a>' for n, (name, _) in enumerate(runs, start=1))
        contents = _tag("nav", _list(links, escaped=True))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{_text('h1', title)}\n"
        f"{_text('p', f'{len(runs)} result file(s), reported by threadlab {__version__}', 'meta')}\n"
        f"{contents}\n" + "\n".join(sections) + "\n"
        "<footer>Made by threadlab. The page is self-contained: no script, no request; "
        "plots are inline SVG.</footer>\n</body>\n</html>\n"
    )


# The class of a section shown inside another page (a notebook cell): the report's style
# applies within it only, never to the page around it.
FRAGMENT_CLASS = "threadlab-report"


def _scoped_css(css: str) -> str:
    """The report's style with every rule limited to the fragment: ``h2`` → ``.threadlab-report h2``.

    ``:root`` and ``body``, the page's own, become the fragment itself.
    """
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
    """One result's section of the report, as a notebook shows it: the same HTML, its style scoped.

    Args:
        name: the section's heading.
        result: what was measured.
        analysis: ``analyse(result)``, where the caller made it.
        lessons: the tour's lessons, shown first in its findings.
    """
    from threadlab.analysis import analyse

    made = analyse(result) if analysis is None else analysis
    return (
        f'<div class="{FRAGMENT_CLASS}"><style>{_scoped_css(_CSS)}</style>\n'
        + _run_section(1, name, result, made, lessons)
        + "\n</div>"
    )


def _run_section(
    number: int, name: str, result: Result, analysis: Analysis, lessons: Sequence[Lesson]
) -> str:
    environment = result.environment
    measured = f"measured {environment.time} with threadlab {environment.threadlab_version}; "
    measured += f"{len(result.measurements)} point(s)"
    if result.interrupted:
        measured += "; interrupted (Ctrl-C) before the end"
    noise = "" if analysis.noise is None else _text("p", analysis.noise.line, "noise")
    parts = [
        f'<section id="run-{number}">',
        _text("h2", name),
        _text("p", measured, "meta"),
        noise,
        _text("h3", "Environment"),
        _environment(result),
        _text("h3", "Findings"),
        _findings(result, analysis, lessons),
        _text("h3", "Results"),
        _results_table(result),
        _scaling(analysis),
        _text("h3", "Plots"),
        _plots(result, analysis),
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
    for label, executable in interpreters:
        pairs.append(("points ran under", f"{label}: {executable}"))
    return _key_values(pairs)


def _findings(result: Result, analysis: Analysis, lessons: Sequence[Lesson]) -> str:
    from threadlab.render._analysis import POOLS_TITLE, pool_lines, precision_lines, warning_lines
    from threadlab.render._terminal import problem_lines

    parts = []
    if lessons:
        parts.append(_text("h4", "The lessons, as measured here"))
        parts.append(
            _tag(
                "ol",
                "".join(
                    _tag("li", _text("strong", lesson.title) + " " + _e(lesson.text), "lesson")
                    for lesson in lessons
                ),
            )
        )
    for recommendation in analysis.recommendations:
        classification = recommendation.classification
        heading = _e(with_python(recommendation.workload, recommendation.python) + ": ") + _text(
            "span", classification.kind.words, "kind"
        )
        parts.append(_tag("h4", heading))
        parts.append(_list([fact_text(fact) for fact in classification.evidence]))
        parts.append(_text("p", "→ " + advice_text(recommendation), "advice"))
    if not analysis.recommendations:
        parts.append(_text("p", "No point has samples to conclude from.", "missing"))
    pools = pool_lines(analysis)
    if pools:
        parts.append(_text("h4", POOLS_TITLE))
        parts.append(_list(pools))
    # A report does not know which command measured the file: more time in plain words.
    precision = precision_lines(analysis, time_option=None)
    if precision:
        parts.append(_text("h4", "Precision of the speedups (half-width of their 95% intervals)"))
        parts.append(_list(precision))
    warnings = warning_lines(analysis)
    if warnings:
        parts.append(_text("h4", "Stability warnings"))
        parts.append(_list(warnings, "warning"))
    problems = problem_lines(result)
    if problems:
        parts.append(_text("h4", "Problems"))
        parts.append("".join(_text("pre", line) for line in problems))
    return "\n".join(parts)


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


def _waits_plot(result: Result) -> list[str]:
    """Beside the speedup plot: where each point's threads' time went, for points of 2+ workers."""
    from threadlab.analysis import point_waits
    from threadlab.render.plots import waits

    names = point_names(result.measurements)
    found = [
        (name, measured)
        for measurement, name in zip(result.measurements, names, strict=True)
        if measurement.point.workers >= 2
        for measured in (point_waits(measurement.samples),)
        if measured is not None and measured.observations
    ]
    if not found:
        return []
    caption = (
        "Where the time went: each bar splits a point's worker threads' time into on a CPU, runnable "
        "(waiting for a core), the GIL, a lock, sleeping, I/O and other, read from /proc beside the worker."
    )
    return [_figure(waits.draw(found, "svg"), "waits", caption)]


def _plots(result: Result, analysis: Analysis) -> str:
    from threadlab.render import plots

    parts = []
    kinds: tuple[plots.PlotKind, ...] = ("speedup", "wall", "cpu")
    for kind in kinds:
        try:
            svg = plots.plot(kind, result, analysis, image_format="svg")
        except plots.NothingToPlot as nothing:
            parts.append(_text("p", f"No {kind} plot: {nothing}", "missing"))
            continue
        parts.append(_figure(svg, kind, _CAPTIONS[kind]))
        if kind == "speedup":
            parts.extend(_waits_plot(result))
    chosen = plots.timeline_points(result)
    if chosen:
        parts.append(_text("h4", "Timelines"))
        parts.append(
            _text(
                "p",
                "One row per worker (thread or process), one bar per task, from the median sample of a "
                "point (of its samples that recorded their tasks). Pale bars waited (I/O, sleep, or the "
                "GIL), dark bars computed; overlapping pale bars of CPU-bound threads are threads taking "
                "turns under the GIL.",
            )
        )
    names = point_names(result.measurements)
    for index in chosen:
        svg = plots.plot("timeline", result, image_format="svg", point=index)
        caption = f"Timeline of point {index + 1}: {names[index]}"
        parts.append(_figure(svg, "timeline", caption))
    return "\n".join(parts)
