"""Results as text for other programs and documents: JSON, CSV, Markdown.

CSV and Markdown lay out the rows of ``render._rows.point_rows``, one per
point, numbered from 1 as ``threadlab plot --point`` counts them: CSV with
plain numbers in SI units (seconds, bytes, tasks per second) for scripts,
Markdown formatted for people. Text from the results file has its control
characters escaped (``printable``) in both, so that neither carries a
terminal escape sequence nor a line break inside a field.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
from collections.abc import Mapping
from typing import Literal

from threadlab.analysis import python_label
from threadlab.analysis._summary import summarise
from threadlab.model import Result, Summary
from threadlab.model._json import result_to_json
from threadlab.render._doubts import machine_line_of
from threadlab.render._rows import RESULTS_COLUMNS, TEXT_COLUMNS, point_rows
from threadlab.worker._text import printable

ExportFormat = Literal["table", "json", "csv", "markdown"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("table", "json", "csv", "markdown")

# What a point is; then every field of its ``Summary``, in the order the model declares them
# (see ``csv_columns``).
POINT_COLUMNS = (
    "point",
    "workload",
    "strategy",
    "workers",
    "tasks",
    "params",
    "strategy_params",
    "python",
    "status",
    "samples",
)


# Summary fields that hold a pair of numbers, and the suffixes of their two plain CSV columns.
_PAIRS = {"speedup_vs_sequential_ci": ("low", "high")}


def _summary_columns() -> tuple[tuple[str, str, int | None], ...]:
    """The summary's CSV columns: name, the ``Summary`` field, and the index in it for a pair."""
    columns: list[tuple[str, str, int | None]] = []
    for field in dataclasses.fields(Summary):
        if field.name in _PAIRS:
            columns.extend((f"{field.name}_{end}", field.name, i) for i, end in enumerate(_PAIRS[field.name]))
        else:
            columns.append((field.name, field.name, None))
    return tuple(columns)


def csv_columns() -> tuple[str, ...]:
    """The CSV header: the point's columns, then the summary's fields (a pair as two columns)."""
    return POINT_COLUMNS + tuple(name for name, _, _ in _summary_columns())


# The results table's columns but the parameters (which make rows too wide to read).
MARKDOWN_COLUMNS = tuple(column for column in RESULTS_COLUMNS if column != "parameters")


def to_json(result: Result) -> str:
    """The results file's content, as threadlab writes it, each point's summary derived again."""
    summaries = [summary for _, summary in summarise(result)]
    return json.dumps(result_to_json(result, summaries), indent=1, allow_nan=False) + "\n"


def _figure(summary: Summary | None, name: str, index: int | None) -> str:
    value = None if summary is None else getattr(summary, name)
    if index is not None and value is not None:
        value = value[index]
    return "" if value is None else repr(value)


def _mapping(values: Mapping[str, object]) -> str:
    return json.dumps(dict(values), sort_keys=True) if values else ""


def to_csv(result: Result) -> str:
    """One row per point: what was measured, its status, and the summary's figures.

    The columns after ``samples`` are the fields of ``Summary``, named as
    there (``wall_median_s``, ``throughput_median``, …), except that the
    speedup's interval is two columns, ``speedup_vs_sequential_ci_low`` and
    ``speedup_vs_sequential_ci_high``. ``params`` and
    ``strategy_params`` are JSON objects; numbers are plain (seconds, bytes,
    tasks per second); an empty cell is a figure that was not measured or has
    no meaning (no samples, no sequential baseline).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_columns())
    summary_columns = _summary_columns()
    for row in point_rows(result):
        measurement, point = row.measurement, row.measurement.point
        figures = [_figure(row.summary, name, index) for _, name, index in summary_columns]
        writer.writerow(
            (
                row.number,
                printable(point.workload),
                printable(point.strategy),
                point.workers,
                point.tasks,
                _mapping(point.params),
                _mapping(point.strategy_params),
                printable(python_label(measurement)),
                row.status,
                len(measurement.samples),
                *figures,
            )
        )
    return buffer.getvalue()


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipe, no line break or control character, no raw HTML."""
    return html.escape(printable(text), quote=False).replace("|", "\\|")


def to_markdown(result: Result) -> str:
    """A GitHub-flavoured Markdown table, one row per point, figures as the terminal table shows them,
    below the machine line where the result carries noise readings."""
    machine = machine_line_of(result)
    lines = [] if machine is None else [markdown_cell(machine), ""]
    lines += [
        "| " + " | ".join(MARKDOWN_COLUMNS) + " |",
        "| " + " | ".join("---" if c in TEXT_COLUMNS else "---:" for c in MARKDOWN_COLUMNS) + " |",
    ]
    for row in point_rows(result):
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in row.cells(MARKDOWN_COLUMNS)) + " |")
    return "\n".join(lines) + "\n"
