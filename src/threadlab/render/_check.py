"""The words of scaling checks: one check's explanation and table, and Markdown summaries.

Markdown is for a pull request comment or ``$GITHUB_STEP_SUMMARY``: the
plugin's summary of its checks, and ``threadlab compare --format markdown``.
Names and paths are escaped for a table cell (``_cell``), never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from threadlab._units import interval, ratio
from threadlab.analysis._check import ScalingDecision, Shortfall
from threadlab.analysis._compare import Comparison
from threadlab.analysis._summary import summarise
from threadlab.model import Result
from threadlab.render._compare import change_text, compared_names, ratio_text
from threadlab.render._rows import speedup_with_interval
from threadlab.worker._text import printable

__all__ = ["check_table", "checks_markdown", "compare_markdown", "explanation", "skip_reason"]

_SOURCE_WORDS = {
    "affinity": "its CPU affinity allows {cores:g} CPU(s)",
    "quota": "its cgroup CPU quota is {cores:.2f} cores",
    "capacity": "only {cores:.2f} cores ran in parallel when measured beside the check",
}


def _short(short: Shortfall) -> str:
    return _SOURCE_WORDS[short.source].format(cores=short.cores)


def _asked(decision: ScalingDecision) -> str:
    return f"{decision.strategy} ×{decision.workers} at least {ratio(decision.at_least)}"


def _measured(decision: ScalingDecision) -> str:
    if decision.speedup is None or decision.interval is None:
        return "no paired speedup was measured"
    return (
        f"the speedup was {ratio(decision.speedup)}, 95% interval {interval(decision.interval)}, "
        f"over {decision.rounds} paired round(s)"
    )


def explanation(decision: ScalingDecision, machine: str) -> str:
    """One paragraph: what was asked, what was measured, what decided it, and the machine line."""
    asked, measured = _asked(decision), _measured(decision)
    if decision.why == "reached":
        said = f"Passed: {asked}: {measured}; its low bound reaches {ratio(decision.at_least)}."
    elif decision.why == "below":
        said = f"Failed: {asked}: {measured}; even its high bound stays below {ratio(decision.at_least)}."
    elif decision.why == "cores short":
        need = f"{decision.at_least:g} cores"
        said = (
            f"Inconclusive: {asked}: {measured}, but the machine could not give {need}: "
            f"{'; '.join(_short(s) for s in decision.short)}; the code may scale where the cores are free."
        )
    elif decision.why == "straddles":
        said = (
            f"Inconclusive: {asked}: {measured}; the interval holds {ratio(decision.at_least)}: "
            "more budget (more rounds) or a quieter machine would decide it."
        )
    else:
        said = f"Inconclusive: {asked}: {measured} (the point crashed, or too few rounds paired)."
    if decision.gil_cause is not None:
        said += (
            f" The free-threaded Python ran with its GIL on ({decision.gil_cause}), "
            "so threads could not run Python code in parallel."
        )
    return f"{said} {machine[:1].upper()}{machine[1:]}."


def skip_reason(decision: ScalingDecision) -> str:
    """The measured reason an inconclusive check is skipped, in one line."""
    if decision.why == "cores short":
        return "threadlab: the machine could not give the cores: " + "; ".join(
            _short(s) for s in decision.short
        )
    return f"threadlab: inconclusive: {_measured(decision)}"


def check_table(result: Result) -> str:
    """The check's points, one line each: name, median sample, speedup with its interval."""
    lines = []
    for measurement, summary in summarise(result):
        point = measurement.point
        name = "sequential" if point.strategy == "sequential" else f"{point.strategy} ×{point.workers}"
        lines.append(f"  {printable(name):<20} {point.tasks} tasks  speedup {speedup_with_interval(summary)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: control characters escaped, pipes and backticks made inert."""
    return printable(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


_OUTCOME_MARK = {"passed": "✅ passed", "failed": "❌ failed", "inconclusive": "⚠️ inconclusive"}


def checks_markdown(checks: Sequence[tuple[str, ScalingDecision, str]]) -> str:
    """The Markdown summary of scaling checks: one row per (name, decision, explanation).

    Returns:
        A heading, a table (check, outcome, asked, speedup with its
        interval, rounds) and each check's explanation below it.
    """
    lines = [
        "### threadlab scaling checks",
        "",
        "| check | outcome | asked | speedup (95% interval) | rounds |",
        "|---|---|---|---|---:|",
    ]
    for name, decision, _ in checks:
        speedup = (
            "-"
            if decision.speedup is None or decision.interval is None
            else f"{ratio(decision.speedup)} ({interval(decision.interval)})"
        )
        lines.append(
            f"| {_cell(name)} | {_OUTCOME_MARK[decision.outcome]} | {_cell(_asked(decision))} | "
            f"{speedup} | {decision.rounds} |"
        )
    counts = {outcome: sum(d.outcome == outcome for _, d, _ in checks) for outcome in _OUTCOME_MARK}
    lines += [
        "",
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['inconclusive']} inconclusive.",
        "",
    ]
    lines += [f"- **{_cell(name)}**: {_cell(words)}" for name, _, words in checks]
    return "\n".join(lines) + "\n"


def compare_markdown(comparison: Comparison, base: Result, new: Result, base_name: str, new_name: str) -> str:
    """``threadlab compare --format markdown``: what changed, with intervals and the geometric mean.

    The changed points first (significantly faster or slower), then a
    folded table of every matched point, then what could not be compared.
    """
    base_names, new_names = compared_names(base, new)
    base_summaries = [summary for _, summary in summarise(base)]
    new_summaries = [summary for _, summary in summarise(new)]
    lines = [f"### threadlab compare: `{_cell(base_name)}` → `{_cell(new_name)}`", ""]
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
    header = [
        "| point | new/base | p | change | base speedup (95% interval) | new speedup (95% interval) |",
        "|---|---:|---:|---|---:|---:|",
    ]

    def row(index: int) -> str:
        change = comparison.changes[index]
        return (
            f"| {_cell(base_names[change.base_index])} | {change.ratio:.2f}× | {change.p_value:.3f} | "
            f"{change_text(change)} | {speedup_with_interval(base_summaries[change.base_index])} | "
            f"{speedup_with_interval(new_summaries[change.new_index])} |"
        )

    if changed:
        lines += ["", "**What changed**", "", *header]
        lines += [row(i) for i, c in enumerate(comparison.changes) if c.verdict != "not significant"]
    elif comparison.changes:
        lines += ["", "Nothing changed significantly."]
    if comparison.changes:
        lines += [
            "",
            f"<details><summary>All {len(comparison.changes)} matched point(s)</summary>",
            "",
            *header,
        ]
        lines += [row(i) for i in range(len(comparison.changes))]
        lines += ["", "</details>"]
    notes = [c.note for c in comparison.changes if c.note is not None]
    others = [
        *(f"note: {note}" for note in dict.fromkeys(notes)),
        *(f"only in {base_name}: {base_names[i]}" for i in comparison.only_in_base),
        *(f"only in {new_name}: {new_names[i]}" for i in comparison.only_in_new),
        *(f"not compared: {base_names[i]}: {why}" for i, _, why in comparison.not_compared),
    ]
    if others:
        lines += ["", *(f"- {_cell(line)}" for line in others)]
    return "\n".join(lines) + "\n"
