""" "Where the time went": a point's breakdown of waits as a rich table, then its top lines.

::

    [(label, PointWaits), ...]  (analysis.point_waits, one per point)
        │
        ▼
    waits_table: one row per point, the share of its threads' time per category
    waits_lines_table: per point, the top line of each category of 1% or more

Only words and layout: the shares, the dominant wait and the lines are the
analysis' (``threadlab.analysis._waits``); numbers are formatted by
``threadlab._units``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from threadlab._units import percent
from threadlab.analysis import PointWaits
from threadlab.model import WAIT_CATEGORIES, WaitLine
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
# Lines below this share of a point's thread time are left out of the lines table.
MIN_LINE_SHARE = 0.01


def _share(value: float) -> str:
    return "–" if value <= 0 else percent(value)


def waits_table(points: Sequence[tuple[str, PointWaits]], title: str = "Where the time went") -> Table:
    """One row per point: its threads' time split by category, and its dominant wait.

    Args:
        points: each point's label (``threads ×2``) and its breakdown.
        title: the table's title.
    """
    table = Table(
        title=Text(printable(title), style="table.title"),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("point", no_wrap=True)
    for category in WAIT_CATEGORIES:
        table.add_column(CATEGORY_WORDS[category], justify="right", no_wrap=True)
    table.add_column("dominant wait", no_wrap=True)
    for label, waits in points:
        dominant = "none (computing)" if waits.dominant is None else CATEGORY_WORDS[waits.dominant]
        table.add_row(
            Text(printable(label)),
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
    table = Table(
        title=Text("Where the threads were", style="table.title"),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
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
