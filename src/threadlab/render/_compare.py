"""The terminal view of a comparison of two results: one row per matched point, then the summary."""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from threadlab._model import Result
from threadlab.analysis._compare import Comparison, PointChange
from threadlab.render._labels import point_name, python_label
from threadlab.render._units import rate

_VERDICT_STYLE = {"faster": "green", "slower": "red", "not significant": "dim"}


def change_text(change: PointChange) -> str:
    """``1.31× faster``, ``1.05× slower`` or ``not significant``."""
    if change.verdict == "faster":
        return f"{change.ratio:.2f}× faster"
    if change.verdict == "slower":
        return f"{1.0 / change.ratio:.2f}× slower"
    return "not significant"


def ratio_text(ratio: float) -> str:
    """A ratio of throughputs in words: ``1.03× faster``, ``1.02× slower``, ``no change``."""
    if round(ratio, 2) == 1.0:
        return "no change (1.00×)"
    return f"{ratio:.2f}× faster" if ratio > 1 else f"{1.0 / ratio:.2f}× slower"


def comparison_renderables(
    comparison: Comparison, base: Result, new: Result, base_name: str, new_name: str
) -> list[RenderableType]:
    """The table of matched points, the geometric mean, then what could not be compared."""
    pythons = {python_label(m) for m in (*base.measurements, *new.measurements)}
    table = Table(
        title=f"{base_name} → {new_name}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
    )
    table.add_column("point")
    for column in ("base", "new", "new/base", "p"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("change", no_wrap=True)
    notes: dict[str, None] = {}
    for change in comparison.changes:
        measurement = base.measurements[change.base_index]
        name = point_name(measurement)
        if len(pythons) > 1:
            name += f" [{python_label(measurement)}]"
        table.add_row(
            Text(name),
            rate(change.base_throughput),
            rate(change.new_throughput),
            f"{change.ratio:.2f}×",
            f"{change.p_value:.3f}",
            Text(change_text(change), style=_VERDICT_STYLE[change.verdict]),
        )
        if change.note is not None:
            notes[change.note] = None
    shown: list[RenderableType] = [table]
    lines: list[str] = []
    if comparison.geometric_mean is not None:
        counts = {verdict: 0 for verdict in ("faster", "slower", "not significant")}
        for change in comparison.changes:
            counts[change.verdict] += 1
        lines.append(
            f"Geometric mean of {len(comparison.changes)} ratios (new/base throughput): "
            f"{ratio_text(comparison.geometric_mean)}; {counts['faster']} significantly faster, "
            f"{counts['slower']} significantly slower, {counts['not significant']} not significant "
            f"(two-sided Mann–Whitney U, p < {comparison.alpha:g})"
        )
    else:
        lines.append("No point of the two results could be compared.")
    lines.extend(f"note: {note}" for note in notes)
    lines.extend(f"only in {base_name}: {point_name(base.measurements[i])}" for i in comparison.only_in_base)
    lines.extend(f"only in {new_name}: {point_name(new.measurements[i])}" for i in comparison.only_in_new)
    lines.extend(
        f"not compared: {point_name(base.measurements[i])}: {why}" for i, _, why in comparison.not_compared
    )
    shown.extend(Text(line) for line in lines)
    return shown
