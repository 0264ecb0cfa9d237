"""Results as text for other programs and documents: JSON, CSV, Markdown.

Each function takes a ``Result`` and returns a string; ``cli.py`` prints it.
CSV and Markdown have one row per point, in measurement order, numbered from
1 as ``threadlab plot --point`` counts them. CSV carries plain numbers in SI
units (seconds, bytes, tasks per second) for spreadsheets and scripts;
Markdown carries them formatted for people, as the terminal table does.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
from collections.abc import Mapping
from typing import Literal

from threadlab._model import Result, Summary
from threadlab.render._labels import point_name, python_label
from threadlab.render._units import rate, ratio, seconds, size

ExportFormat = Literal["table", "json", "csv", "markdown"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("table", "json", "csv", "markdown")

# What a point is; then every field of its ``Summary``, in the order the model declares them.
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


def csv_columns() -> tuple[str, ...]:
    """The CSV header: the point's columns, then the summary's fields."""
    return POINT_COLUMNS + tuple(f.name for f in dataclasses.fields(Summary))


MARKDOWN_COLUMNS = ("#", "point", "wall", "min–max", "tasks/s", "speedup", "CPU/wall", "peak RSS", "status")


def to_json(result: Result) -> str:
    """The results file's content, as threadlab writes it (summaries and analysis derived again)."""
    return json.dumps(result.to_json(), indent=1, allow_nan=False) + "\n"


def _number(value: object) -> str:
    return "" if value is None else repr(value)


def _mapping(values: Mapping[str, object]) -> str:
    return json.dumps(dict(values), sort_keys=True) if values else ""


def to_csv(result: Result) -> str:
    """One row per point: what was measured, its status, and the summary's figures.

    The columns after ``samples`` are the fields of ``Summary``, named as
    there (``wall_median_s``, ``throughput_median``, …). ``params`` and
    ``strategy_params`` are JSON objects; numbers are plain (seconds, bytes,
    tasks per second); an empty cell is a figure that was not measured or has
    no meaning (no samples, no sequential baseline).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = csv_columns()
    writer.writerow(columns)
    summary_fields = columns[len(POINT_COLUMNS) :]
    for number, (measurement, summary) in enumerate(result.summaries(), start=1):
        point = measurement.point
        figures = [_number(None if summary is None else getattr(summary, name)) for name in summary_fields]
        writer.writerow(
            (
                number,
                point.workload,
                point.strategy,
                point.workers,
                point.tasks,
                _mapping(point.params),
                _mapping(point.strategy_params),
                python_label(measurement),
                measurement.status,
                len(measurement.samples),
                *figures,
            )
        )
    return buffer.getvalue()


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipe, no line break, no raw HTML."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _summary_cells(summary: Summary | None) -> list[str]:
    if summary is None:
        return ["-"] * 6
    return [
        seconds(summary.wall_median_s),
        f"{seconds(summary.wall_min_s)}–{seconds(summary.wall_max_s)}",
        rate(summary.throughput_median),
        ratio(summary.speedup_vs_sequential),
        ratio(summary.cpu_per_wall, ""),
        size(summary.peak_rss_bytes),
    ]


def to_markdown(result: Result) -> str:
    """A GitHub-flavoured Markdown table, one row per point, figures as the terminal table shows them."""
    pythons = {python_label(m) for m in result.measurements}
    lines = [
        "| " + " | ".join(MARKDOWN_COLUMNS) + " |",
        "| " + " | ".join("---" if c in ("point", "status") else "---:" for c in MARKDOWN_COLUMNS) + " |",
    ]
    for number, (measurement, summary) in enumerate(result.summaries(), start=1):
        name = point_name(measurement)
        if len(pythons) > 1:
            name += f" [{python_label(measurement)}]"
        cells = [str(number), markdown_cell(name), *_summary_cells(summary), measurement.status]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
