"""The terminal view of a comparison of two results: one row per matched point, then the summary.

Beside the change in throughput, each row shows the point's speedup against
the sequential point of its own result on both sides: whether the gain from
running in parallel moved, and by more than its intervals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from threadlab._units import rate
from threadlab.analysis._compare import Comparison, PointChange
from threadlab.analysis._summary import summarise
from threadlab.model import Result
from threadlab.render._check import markdown_cell
from threadlab.render._rows import point_names, speedup_with_interval, titled_table
from threadlab.worker._text import printable

_VERDICT_STYLE = {"faster": "green", "slower": "red", "not significant": "dim"}
_UNUSABLE = {"no-samples": "no samples", "no-task-succeeded": "no task succeeded"}


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


def compared_names(base: Result, new: Result) -> tuple[list[str], list[str]]:
    """Each result's point names, ending with ``[python]`` where the two ran under several Pythons."""
    both = (*base.measurements, *new.measurements)
    return point_names(base.measurements, among=both), point_names(new.measurements, among=both)


def comparison_renderables(
    comparison: Comparison, base: Result, new: Result, base_name: str, new_name: str
) -> list[RenderableType]:
    """The table of matched points (median throughputs, their ratio, its Mann–Whitney p-value, each
    side's speedup over its own sequential point), the geometric mean, then what was not compared."""
    base_names, new_names = compared_names(base, new)
    base_summaries = [summary for _, summary in summarise(base)]
    new_summaries = [summary for _, summary in summarise(new)]
    # Two spaces between columns, not three, as in the results table: it fits 120 columns.
    table = titled_table(f"{base_name} → {new_name}", collapse_padding=True)
    table.add_column("point")
    for column in ("base", "new", "new/base", "p", "change", "base speedup", "new speedup"):
        table.add_column(column, justify="left" if column == "change" else "right", no_wrap=True)
    for change in comparison.changes:
        table.add_row(
            Text(base_names[change.base_index]),
            rate(change.base_throughput),
            rate(change.new_throughput),
            f"{change.ratio:.2f}×",
            f"{change.p_value:.3f}",
            Text(change_text(change), style=_VERDICT_STYLE[change.verdict]),
            speedup_with_interval(base_summaries[change.base_index]),
            speedup_with_interval(new_summaries[change.new_index]),
        )
    if comparison.geometric_mean is not None:
        counts = Counter(change.verdict for change in comparison.changes)
        summary = (
            f"Geometric mean of {len(comparison.changes)} ratios (new/base throughput): "
            f"{ratio_text(comparison.geometric_mean)}; {counts['faster']} significantly faster, "
            f"{counts['slower']} significantly slower, {counts['not significant']} not significant "
            f"(two-sided Mann–Whitney U, p < {comparison.alpha:g})"
        )
    else:
        summary = "No point of the two results could be compared."
    lines = [summary, *_others(comparison, base_name, new_name, base_names, new_names)]
    return [table, *(Text(printable(line)) for line in lines)]


def compare_markdown(
    comparison: Comparison,
    base: Result,
    new: Result,
    base_name: str,
    new_name: str,
    *,
    fail_slower: float | None = None,
    regressed: Sequence[PointChange] = (),
) -> str:
    """``threadlab compare --format markdown``, for a pull request comment or ``$GITHUB_STEP_SUMMARY``:
    the geometric mean, the gate's verdict where ``fail_slower`` was asked for, the changed points, a
    folded table of every matched point, then what could not be compared."""
    base_names, new_names = compared_names(base, new)
    base_summaries = [summary for _, summary in summarise(base)]
    new_summaries = [summary for _, summary in summarise(new)]
    lines = [f"### threadlab compare: `{markdown_cell(base_name)}` → `{markdown_cell(new_name)}`", ""]
    if comparison.geometric_mean is not None:
        changed = [c for c in comparison.changes if c.verdict != "not significant"]
        lines.append(
            f"**Geometric mean** of {len(comparison.changes)} throughput ratio(s) (new/base): "
            f"**{ratio_text(comparison.geometric_mean)}**; {len(changed)} changed significantly "
            f"(two-sided Mann–Whitney U, p < {comparison.alpha:g})."
        )
    else:
        changed = []
        lines.append("No point of the two results could be compared.")
    if fail_slower is not None:
        lines.append(_markdown_gate(fail_slower, regressed, comparison, base_names))
    header = [
        "| point | new/base | p | change | base speedup (95% interval) | new speedup (95% interval) |",
        "|---|---:|---:|---|---:|---:|",
    ]

    def row(change: PointChange) -> str:
        return (
            f"| {markdown_cell(base_names[change.base_index])} | {change.ratio:.2f}× | "
            f"{change.p_value:.3f} | {change_text(change)} | "
            f"{speedup_with_interval(base_summaries[change.base_index])} | "
            f"{speedup_with_interval(new_summaries[change.new_index])} |"
        )

    if changed:
        lines += ["", "**What changed**", "", *header, *map(row, changed)]
    elif comparison.changes:
        lines += ["", "Nothing changed significantly."]
    if comparison.changes:
        folded = f"<details><summary>All {len(comparison.changes)} matched point(s)</summary>"
        lines += ["", folded, "", *header, *map(row, comparison.changes), "", "</details>"]
    others = _others(comparison, base_name, new_name, base_names, new_names)
    if others:
        lines += ["", *(f"- {markdown_cell(line)}" for line in others)]
    return "\n".join(lines) + "\n"


def _markdown_gate(
    fail_slower: float, regressed: Sequence[PointChange], comparison: Comparison, base_names: Sequence[str]
) -> str:
    """The gate's verdict: failed with the points significantly slower than ``fail_slower``%, else passed."""
    if regressed:
        named = ", ".join(f"`{markdown_cell(base_names[c.base_index])}`" for c in regressed)
        return (
            f"\n**Gate (--fail-slower {fail_slower:g}%): failed**: {len(regressed)} point(s) "
            f"significantly slower by more than {fail_slower:g}%: {named}"
        )
    return f"\n**Gate (--fail-slower {fail_slower:g}%): " + (
        "failed**: no point could be compared" if not comparison.changes else "passed**"
    )


def _others(
    comparison: Comparison,
    base_name: str,
    new_name: str,
    base_names: Sequence[str],
    new_names: Sequence[str],
) -> list[str]:
    """What could not be compared: too few samples to tell, points in one result only, points refused."""
    notes = [
        f"{c.base_samples} and {c.new_samples} samples cannot reach p < {comparison.alpha:g} "
        f"(the smallest possible p is {c.smallest_p:.3g}); measure with --repeat 5 or more"
        for c in comparison.changes
        if c.smallest_p is not None
    ]
    return [
        *(f"note: {note}" for note in dict.fromkeys(notes)),
        *(f"only in {base_name}: {base_names[i]}" for i in comparison.only_in_base),
        *(f"only in {new_name}: {new_names[i]}" for i in comparison.only_in_new),
        *(
            f"not compared: {base_names[n.base_index]}: {_UNUSABLE[n.reason]} in the {n.side} result "
            f"(status {n.status})"
            for n in comparison.not_compared
        ),
    ]
