"""The words of scaling checks: one check's explanation and table, and Markdown summaries.

Markdown is for a pull request comment or ``$GITHUB_STEP_SUMMARY``: the
plugin's summary of its checks (``threadlab compare --format markdown`` is in
``_compare``). Names are escaped for a table cell (``markdown_cell``), never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from threadlab._units import interval, percent, ratio
from threadlab.analysis._check import ScalingDecision
from threadlab.analysis._waits import MIN_DOMINANT_SHARE
from threadlab.render._rows import point_names, speedup_with_interval
from threadlab.render._waits import CATEGORY_WORDS, line_words
from threadlab.worker._text import printable

_SOURCE_WORDS = {
    "affinity": "its CPU affinity allows {cores:g} CPU(s)",
    "quota": "its cgroup CPU quota is {cores:.2f} cores",
    "capacity": "only {cores:.2f} cores ran in parallel when measured beside the check",
    "left": "other programs left it only {cores:.2f} cores while the check ran",
}


# How time in each waiting category is spent, in the words of the "Where the time went" table.
_SPENT = {
    "gil": f"waiting for the {CATEGORY_WORDS['gil']}",
    "lock": f"waiting on a {CATEGORY_WORDS['lock']}",
    "sleep": CATEGORY_WORDS["sleep"],
    "io": f"waiting on {CATEGORY_WORDS['io']}",
    "other": f"in {CATEGORY_WORDS['other']} waits",
}


def _shortfalls(decision: ScalingDecision) -> str:
    return "; ".join(_SOURCE_WORDS[short.source].format(cores=short.cores) for short in decision.short)


def _point(decision: ScalingDecision) -> str:
    return f"{decision.strategy} ×{decision.workers}"


def _asked(decision: ScalingDecision) -> str:
    return f"{_point(decision)} at least {ratio(decision.at_least)}"


def _measured(decision: ScalingDecision) -> str:
    if decision.speedup is None or decision.interval is None:
        return "no paired speedup was measured"
    return (
        f"the speedup was {ratio(decision.speedup)}, 95% interval {interval(decision.interval)}, "
        f"over {decision.rounds} paired round(s)"
    )


def wait_words(decision: ScalingDecision) -> str | None:
    """Where the checked point's time went: its dominant wait at its top line, else its time on CPU
    (and runnable, where the machine held the cores for a share that would count as a wait).

    ``threads ×2 spent 48% of their time waiting on a lock at app.py:18 (locked_sleep)``; None
    where the threads' states were not read.
    """
    waits = decision.waits
    if waits is None:
        return None
    point = _point(decision)
    dominant = waits.dominant
    if dominant is None:
        cpu, least = percent(waits.share("cpu")), percent(MIN_DOMINANT_SHARE)
        # sha256 beside other programs' work ran 38-67% on CPU and spent the rest runnable: the
        # machine held the cores (bench_check_scaling --budget 6, load average 1.5).
        runnable = waits.share("runnable")
        held = (
            f" and {percent(runnable)} {CATEGORY_WORDS['runnable']} while the machine held the cores"
            if runnable >= MIN_DOMINANT_SHARE
            else ""
        )
        return f"{point} spent {cpu} of their time {CATEGORY_WORDS['cpu']}{held}; no wait held {least} of it"
    top = waits.top_line(dominant)
    at = "" if top is None else f" at {line_words(top)}"
    return f"{point} spent {percent(waits.share(dominant))} of their time {_SPENT[dominant]}{at}"


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
            f"{_shortfalls(decision)}; the code may scale where the cores are free."
        )
    elif decision.why == "straddles":
        said = (
            f"Inconclusive: {asked}: {measured}; the interval holds {ratio(decision.at_least)}: "
            "more budget (more rounds) or a quieter machine would decide it."
        )
    else:
        said = f"Inconclusive: {asked}: {measured} (the point crashed, or too few rounds paired)."
    waited = wait_words(decision)
    if waited is not None:
        said += f" Where the time went: {printable(waited)}."
    if decision.gil_cause is not None:
        said += (
            f" The free-threaded Python ran with its GIL on ({decision.gil_cause}), "
            "so threads could not run Python code in parallel."
        )
    return f"{said} {machine[:1].upper()}{machine[1:]}."


def skip_reason(decision: ScalingDecision) -> str:
    """The measured reason an inconclusive check is skipped, in one line."""
    if decision.why == "cores short":
        return "threadlab: the machine could not give the cores: " + _shortfalls(decision)
    held = f"; the interval holds {ratio(decision.at_least)}" if decision.why == "straddles" else ""
    return f"threadlab: inconclusive: {_measured(decision)}{held}"


def check_table(decision: ScalingDecision) -> str:
    """The points the decision read, one line each: the point's name (tasks where not one per
    worker, as every table names it) and its speedup with its interval."""
    names = point_names([measurement for measurement, _ in decision.points], workload=False)
    width = max(map(len, names), default=0)
    return "\n".join(
        f"  {name:<{width}}  speedup {speedup_with_interval(summary)}"
        for name, (_, summary) in zip(names, decision.points, strict=True)
    )


def markdown_cell(text: str) -> str:
    """Text for a Markdown table cell: control characters escaped, pipes and backticks made inert."""
    return printable(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


_OUTCOME_MARK = {"passed": "✅ passed", "failed": "❌ failed", "inconclusive": "⚠️ inconclusive"}


def checks_markdown(checks: Sequence[tuple[str, ScalingDecision, str]]) -> str:
    """The Markdown summary of scaling checks: a table, one row per (name, decision, explanation),
    then each check's explanation."""
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
            f"| {markdown_cell(name)} | {_OUTCOME_MARK[decision.outcome]} | "
            f"{markdown_cell(_asked(decision))} | {speedup} | {decision.rounds} |"
        )
    counts = {outcome: sum(d.outcome == outcome for _, d, _ in checks) for outcome in _OUTCOME_MARK}
    lines += [
        "",
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['inconclusive']} inconclusive.",
        "",
    ]
    lines += [f"- **{markdown_cell(name)}**: {markdown_cell(words)}" for name, _, words in checks]
    return "\n".join(lines) + "\n"
