""" "Where the time went": a point's breakdown of waits as a rich table, then its top lines.

::

    [(label, PointWaits), ...]  (analysis.point_waits, one per point)
        │
        ▼
    waits_table: one row per point under its workload's heading, the share of its
        threads' time per category
    waits_lines_table: per point, the top line of each category of 1% or more
    waits_renderables: what run, advise and show print: the table, then each point's
        dominant wait at its line (or, in the full view, waits_lines_table), or one line
        saying why none was measured
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from threadlab._units import percent
from threadlab.analysis import PointWaits, point_waits
from threadlab.model import WAIT_CATEGORIES, Result, WaitLine
from threadlab.render._rows import compact_grid, point_groups, point_names, titled_table
from threadlab.worker._text import printable

# What each category is called in a table's header and in a line's description.
CATEGORY_WORDS: dict[str, str] = {
    "cpu": "on CPU",
    "runnable": "runnable",
    "gil": "GIL",
    "lock": "lock",
    "sleep": "sleeping",
    "io": "I/O",
    "other": "other",
}
# The waits table's columns past the point's take 70 (its widest, "none (computing)", is 16,
# and each gap 2), so a point column of 30 keeps its rows within 100 columns.
WAITS_POINT_WIDTH = 30
# Lines below this share of a point's thread time are left out of the lines table.
MIN_LINE_SHARE = 0.01


def _share(value: float) -> str:
    return "–" if value <= 0 else percent(value)


def waits_table(
    groups: Mapping[str, Sequence[tuple[str, PointWaits]]], title: str = "Where the time went"
) -> Table:
    """One row per point (a short label, ``threads ×2``), under its group's heading where there are
    several: its threads' time split by category, and its dominant wait; never wraps at 100 columns."""
    columns = ("point", *(CATEGORY_WORDS[category] for category in WAIT_CATEGORIES), "dominant wait")
    table = compact_grid(columns, words=("dominant wait",), title=title, point_width=WAITS_POINT_WIDTH)
    # One group's heading would only repeat the advice's, above the table.
    indent = "  " if len(groups) > 1 else ""
    for heading, points in groups.items():
        if indent:
            table.add_row(Text(printable(heading), style="bold"))
        for label, waits in points:
            dominant = "none (computing)" if waits.dominant is None else CATEGORY_WORDS[waits.dominant]
            table.add_row(
                Text(indent + printable(label)),
                *(_share(waits.share(category)) for category in WAIT_CATEGORIES),
                Text(dominant, style="bold" if waits.dominant else "dim"),
            )
    return table


def line_words(line: WaitLine) -> str:
    """``waits_tasks.py:35 (locked_sleep)``, with the library frame it called where there is one."""
    place = f"{os.path.basename(line.file)}:{line.line}" if line.file else "(no line of user code)"
    called = f", in {line.library}" if line.library else ""
    return f"{place} ({line.function}{called})"


def waits_lines_table(points: Sequence[tuple[str, PointWaits]]) -> Table:
    """Per point, the top line of each category holding ``MIN_LINE_SHARE`` or more of its time."""
    table = titled_table("Where the threads were")
    table.add_column("point", no_wrap=True)
    table.add_column("time", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    table.add_column("line", overflow="fold")
    for label, waits in points:
        for category in WAIT_CATEGORIES:
            top = waits.top_line(category)
            if top is None or top.share < MIN_LINE_SHARE:
                continue
            table.add_row(
                Text(printable(label)),
                CATEGORY_WORDS[category],
                percent(top.share),
                Text(printable(line_words(top))),
            )
    return table


def waits_renderables(
    result: Result, strategies: frozenset[str] | None = None, every_line: bool = False
) -> list[RenderableType]:
    """Where the time went: the table of the points of 2+ workers (of ``strategies`` only, advise's
    ``threads``) that have waits, then each dominant wait's line (``every_line``: the full view's
    ``waits_lines_table``); one line saying why where it was asked for and not measured (not Linux,
    /proc unreadable); nothing where none was asked for."""
    # The lines below the table name the workload only where several were measured.
    several = len({m.point.workload_label() for m in result.measurements}) > 1
    names = point_names(result.measurements, workload=several)
    groups: dict[str, list[tuple[str, PointWaits]]] = {}
    points: list[tuple[str, PointWaits]] = []
    notes: list[str] = []
    for heading, members in point_groups(result).items():
        for index, label in members:
            point = result.measurements[index].point
            if point.workers < 2 or (strategies is not None and point.strategy not in strategies):
                continue
            waits = point_waits(result.measurements[index].samples)
            if waits is None:
                continue
            if waits.observations:
                points.append((names[index], waits))
                groups.setdefault(heading, []).append((label, waits))
            notes.extend(waits.notes)
    if not points:
        why = dict.fromkeys(notes)
        return [Text(f"Where the time went: not measured — {printable(note)}") for note in why]
    shown: list[RenderableType] = [waits_table(groups)]
    if every_line:
        return [*shown, waits_lines_table(points)]
    for label, waits in points:
        dominant = waits.dominant
        top = None if dominant is None else waits.top_line(dominant)
        if dominant is not None and top is not None:
            share = percent(waits.share(dominant))
            words = f"{CATEGORY_WORDS[dominant]} {share} at {line_words(top)}"
            shown.append(Text(printable(f"  {label}: {words}")))
    return shown
