"""The first screen of ``run``, ``advise`` and ``tour``: the answer first, then one compact table.

hyperfine fits a comparison in about ten lines; the full view of a tour ran
to several hundred (ten columns, a scaling table per strategy, a per-task
table per point, one warning line per point: one listed 201 sample indices).
The default screen fits 100 columns (``screen_renderables`` lists it); ``--verbose``
shows the full view (``render._analysis``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from threadlab._units import rate, ratio, seconds
from threadlab.analysis import Analysis, Remedy, summarise
from threadlab.model import Result, Swept
from threadlab.render._analysis import what_to_do_lines
from threadlab.render._doubts import noise_notes
from threadlab.render._rows import compact_grid, group_heading, point_groups, speedup_with_interval
from threadlab.render._terminal import STATUS_STYLE, noise_lines, problem_lines
from threadlab.worker._text import printable

# The compact table's columns: the point, then the figures people compare first.
COMPACT_COLUMNS = ("point", "wall", "tasks/s", "speedup (95% CI)", "CPU/wall", "status")

# What a stability check found, counted per group (``StabilityWarning.code``).
_CODE_WORDS = {
    "high-spread": "a wide spread",
    "few-samples": "too few samples",
    "short-sample": "samples too short to time well",
    "outliers": "outliers",
}

# The line that says what the default screen leaves out.
VERBOSE_LINE = "--verbose: the full table, per-task, scaling, pools and precision tables"


def compact_table(result: Result) -> Table:
    """One row per point, grouped under a ``workload [python]`` heading; fits 100 columns."""
    table = compact_grid(COMPACT_COLUMNS, words=("status",))
    summaries = summarise(result)
    for heading, points in point_groups(result).items():
        table.add_row(Text(heading, style="bold"))
        for index, label in points:
            measurement, summary = summaries[index]
            table.add_row(
                Text("  " + label),
                "-" if summary is None else seconds(summary.wall_median_s),
                "-" if summary is None else rate(summary.throughput_median),
                speedup_with_interval(summary),
                "-" if summary is None else ratio(summary.cpu_per_wall, ""),
                Text(printable(measurement.status), style=STATUS_STYLE.get(measurement.status, "red")),
            )
    return table


def folded_warnings(result: Result, analysis: Analysis) -> list[str]:
    """One line per group with warnings, in the order measured, counting the points per kind of
    warning: ``count [3.12.3]: 3 of 6 points with a wide spread, 1 with outliers``."""
    counts: dict[str, Counter[str]] = {}
    sizes: Counter[str] = Counter()
    swept = Swept.among(m.point for m in result.measurements)
    for stats in analysis.points:
        heading = group_heading(result, stats.index, swept)
        sizes[heading] += 1
        for code in dict.fromkeys(w.code for w in stats.warnings):
            counts.setdefault(heading, Counter())[code] += 1
    lines = []
    for heading, counted in counts.items():
        parts = [
            f"{n} {f'of {sizes[heading]} points ' if place == 0 else ''}with {_CODE_WORDS.get(code, code)}"
            for place, (code, n) in enumerate(counted.items())
        ]
        lines.append(f"{heading}: " + ", ".join(parts))
    return lines


# A lesson's gist fits one line of 100 columns under its title, indented by three.
GIST_WIDTH = 96


def gist(text: str, width: int = GIST_WIDTH) -> str:
    """A lesson's first sentence, cut at a clause to ``width`` characters with ``…`` if longer.

    The tour's findings run to six lines each; the first sentence carries the
    figure (``took 204.6 ms, 1.97× (95% CI 1.95–2.04×) the throughput …``),
    the rest is in ``--verbose`` and the report.
    """
    first, stop, _ = text.partition(". ")
    if len(first) < width:
        return first + "." if stop else first
    cut = first[: width - 1]
    for mark in ("; ", ": ", ", ", " — ", " "):
        at = cut.rfind(mark)
        # Never inside parentheses: ``(to its first task done…`` would leave one open.
        while at > width // 2 and cut[:at].count("(") > cut[:at].count(")"):
            at = cut.rfind(mark, 0, at)
        if at > width // 2:
            return cut[:at].rstrip(",;:") + "…"
    return cut + "…"


def screen_renderables(
    result: Result,
    analysis: Analysis,
    answer: Sequence[RenderableType],
    *,
    options: Mapping[Remedy, str] | None = None,
    full_tracebacks: bool = False,
) -> list[RenderableType]:
    """The default screen: noise line, the ``answer`` (lessons, advice), the compact table, problems
    (``full_tracebacks`` with ``--debug``), folded warnings with the command's ``options``."""
    shown: list[RenderableType] = [Text(line) for line in noise_lines(result)]
    shown.extend(answer)
    shown.append(compact_table(result))
    problems = problem_lines(result, full_tracebacks=full_tracebacks)
    if problems:
        shown.append(Text("Problems:", style="bold"))
        shown.extend(Text(line) for line in problems)
    # The machine's notes in one line, the folded warnings, then each distinct advice once.
    notes = () if analysis.noise is None else noise_notes(analysis.noise)
    warnings = ["; ".join(notes)] if notes else []
    warnings += folded_warnings(result, analysis) + what_to_do_lines(analysis, options)
    if warnings:
        shown.append(Text("Stability:", style="bold"))
        shown.extend(Text(f"  ! {line}", style="yellow") for line in warnings)
    shown.append(Text(VERBOSE_LINE, style="dim"))
    return shown


def tour_answer(lessons: Sequence[tuple[str, str]]) -> list[RenderableType]:
    """The tour's answer: ``1. Two sleeps on two threads`` and its gist, numbered, per lesson.

    What to use workload by workload repeats the lessons at length (58
    lines of the recorded tour): it is in ``--verbose`` and the report.
    """
    if not lessons:
        return []
    shown: list[RenderableType] = [Text("The lessons, as measured here:", style="bold")]
    for number, (title, text) in enumerate(lessons, start=1):
        shown.append(Text(printable(f"{number}. {title}"), style="bold"))
        shown.append(Text(printable(f"   {gist(text)}")))
    shown.append(Text(""))
    return shown
