"""The terminal view of an analysis: scaling tables, precision, warnings, findings, advice.

Here, and only here, the analysis's remedies become command-line options
(``OPTIONS``); a view given none (``show``, the tour, a report) keeps to the plain words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from threadlab._units import count, elapsed, milliseconds, percent, rate, seconds
from threadlab.analysis import Analysis, GroupPrecision, Remedy, StrategyScaling, USLFit
from threadlab.analysis._group import MOST_TIME_S
from threadlab.render._advice import advice_text, fact_text, overhead_text, scheduler_text, split_text
from threadlab.render._doubts import noise_notes, stability_advice, stability_message
from threadlab.render._rows import (
    SCALING_COLUMNS,
    scaled,
    scaling_cells,
    scaling_title,
    titled_table,
    with_python,
)
from threadlab.worker._text import printable

# The option that gives ``threadlab run`` more seconds of rounds; ``advise`` names its own.
RUN_TIME_OPTION = "--max-time"

# How each command that measures names a remedy among its options, where it has one; MORE_TIME's
# is the option alone, the seconds suggested for the whole run are added (``_more_time``). Remedies
# with no option (a quieter machine, more work per task) are left to the analysis's words.
OPTIONS: Mapping[str, Mapping[Remedy, str]] = {
    "run": {
        Remedy.MORE_TIME: RUN_TIME_OPTION,
        Remedy.MORE_SAMPLES: "a larger --repeat",
        Remedy.MORE_TASKS: "a larger --tasks",
        Remedy.TIGHTER_PRECISION: "a smaller --precision",
        Remedy.ADD_SEQUENTIAL: "sequential in -s",
        Remedy.ADD_THREADS: "threads in -s and 2 in -n",
        Remedy.ADD_GIL_PER_WORKER: "processes in -s",
        Remedy.ADD_WORKERS: "2 or more in -n",
        Remedy.ADD_INNER_SPLIT: "-p inner_threads=1 with 2 or more in -n",
    },
    "advise": {
        Remedy.MORE_TIME: "--budget",
        Remedy.MORE_SAMPLES: "a larger --repeat",
        Remedy.MORE_TASKS: "a larger --tasks",
        Remedy.TIGHTER_PRECISION: "a smaller --precision",
    },
}


def _usl_line(scaling: StrategyScaling) -> str:
    usl = scaling.usl
    if not isinstance(usl, USLFit):
        listed = ", ".join(map(str, usl.workers))
        why = (
            f"USL fit did not converge: {usl.message}"
            if usl.reason == "not-converged"
            else f"USL needs at least {usl.needed} distinct worker counts; got {len(usl.workers)} ({listed})"
        )
        return f"USL not fitted: {why}"
    peak = (
        f"peak at N* = {usl.peak_workers:.1f} workers ({rate(usl.peak_throughput)})"
        if usl.peak_workers is not None
        else "no peak: throughput levels off without falling"
        if usl.kappa == 0 and usl.sigma > 0
        else "no peak within the model"
    )
    fit = f"R² {usl.r_squared:.3f}" if usl.r_squared is not None else "R² undefined (flat)"
    model = f"λ {rate(usl.lam)}, σ {usl.sigma:.3f} (contention), κ {usl.kappa:.2g} (coherency)"
    return f"USL: {model}; {peak}; {fit}"


def scaling_renderables(analysis: Analysis) -> list[RenderableType]:
    """One small table per strategy that was measured at two or more worker counts."""
    shown: list[RenderableType] = []
    for scaling in scaled(analysis):
        table = titled_table(scaling_title(scaling))
        for column in SCALING_COLUMNS:
            table.add_column(column, justify="right", no_wrap=True)
        for point in scaling.points:
            table.add_row(*scaling_cells(point))
        shown.append(Group(table, Text(_usl_line(scaling)), Text("")))
    return shown


def _round_up(value: float) -> int:
    """``value`` rounded up to two significant digits: 97.3 → 98, 1540 → 1600 (an estimate's worth)."""
    if value <= 10:
        return max(1, math.ceil(value))
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return int(math.ceil(value / step) * step)


def _precision_line(precision: GroupPrecision, more_time: str | None) -> str:
    head = with_python(precision.workload, precision.python) + ": "
    asked = f"(asked ±{percent(precision.precision)})"
    rounds = count(precision.rounds, "round")
    if precision.most_live is not None:
        live = count(precision.most_live, "live worker")
        rounds += f" (at most {live} in the memory budget, {precision.restarts} started afresh)"
    took = elapsed(precision.elapsed_s)
    if precision.reached is not None and precision.reached <= precision.precision:
        return f"{head}±{percent(precision.reached)} after {rounds} in {took} {asked}"
    reached = "no interval" if precision.reached is None else f"reached ±{percent(precision.reached)}"
    line = f"{head}{reached} in {took}, {rounds} {asked}"
    if precision.ended == "interrupted":
        return line + "; interrupted before the end"
    if precision.ended == "failed":
        return line + "; no point of it was left running"
    if precision.more_time_s is None:
        return line
    if precision.more_time_s >= MOST_TIME_S:
        return (
            line + "; more than an hour of rounds would be needed to reach it — "
            "measure on a quieter machine, or give each task more work"
        )
    line += f"; about {precision.more_time_s:.0f} s of rounds would reach it — give it more time"
    return line if more_time is None else f"{line} with {more_time}"


def precision_lines(analysis: Analysis, time_option: str | None = RUN_TIME_OPTION) -> list[str]:
    """One line per group measured in rounds (none for files written before rounds).

    ``count [3.11.7]: ±4% after 23 rounds in 12 s (asked ±5%)``, or ``count [3.11.7]: reached ±9% in
    30 s, 41 rounds (asked ±5%); about 97 s of rounds would reach it — give it more time with
    --max-time 98``, the command's ``time_option`` (None for plain words: the tour, a report).
    """
    more_time = None if time_option is None else _more_time(time_option, analysis)
    return [_precision_line(p, more_time) for p in analysis.precision]


def _more_time(option: str, analysis: Analysis) -> str:
    """``--max-time 98``, the time option with the seconds the whole run needs, or ``a larger --max-time``.

    The run's time is shared out among its groups, so the seconds are their sum: what each group
    that ran out of time would need, and what each other took. A group that would need an hour or
    more (``MOST_TIME_S``) is told to change something else, and counts for what it took; the
    seconds are suggested only where some group's time ran out short of that.
    """
    needs = [
        p.more_time_s if p.more_time_s is not None and p.more_time_s < MOST_TIME_S else None
        for p in analysis.precision
    ]
    if all(need is None for need in needs):
        return f"a larger {option}"
    total = sum(
        p.elapsed_s if need is None else need for p, need in zip(analysis.precision, needs, strict=True)
    )
    return f"{option} {_round_up(total)}"


def remedy_options(
    remedies: Sequence[Remedy], options: Mapping[Remedy, str] | None, analysis: Analysis
) -> str | None:
    """``rerun with --max-time 98, --repeat 10``: the ``remedies`` a command has ``options`` for, as
    them; None where none has one, or no command can measure again (``options`` None)."""
    if options is None:
        return None
    named = [
        _more_time(option, analysis) if remedy is Remedy.MORE_TIME else option
        for remedy in dict.fromkeys(remedies)
        if (option := options.get(remedy)) is not None
    ]
    return "rerun with " + ", ".join(named) if named else None


def warning_lines(analysis: Analysis, options: Mapping[Remedy, str] | None = None) -> list[str]:
    """Stability notes: the machine's noise (it concerns every point), each point's warnings, then
    each distinct advice once (``what_to_do_lines``)."""
    machine = [] if analysis.noise is None else list(noise_notes(analysis.noise))
    lines = [
        printable(f"{stats.label}: {stability_message(w)}")
        for stats in analysis.points
        for w in stats.warnings
    ]
    return machine + lines + what_to_do_lines(analysis, options)


def what_to_do_lines(analysis: Analysis, options: Mapping[Remedy, str] | None) -> list[str]:
    """Each distinct advice of the points' warnings once: ``what to do: …; rerun with --max-time 98``."""
    advice = dict.fromkeys(
        (stability_advice(w), w.remedies) for stats in analysis.points for w in stats.warnings
    )
    what = []
    for text, remedies in advice:
        rerun = remedy_options(remedies, options, analysis)
        what.append(printable(f"what to do: {text}" + ("" if rerun is None else f"; {rerun}")))
    return what


def advice_renderables(
    analysis: Analysis, options: Mapping[Remedy, str] | None = None
) -> list[RenderableType]:
    """The classification and recommendation of each workload, with the evidence; with the command's
    ``options`` (``OPTIONS``), a last line ``→ rerun with …``."""
    shown: list[RenderableType] = []
    for recommendation in analysis.recommendations:
        classification = recommendation.classification
        lines = Text()
        lines.append(with_python(recommendation.workload, recommendation.python) + ": ", style="bold")
        lines.append(classification.kind.words, style="bold cyan")
        for evidence in classification.evidence:
            lines.append(f"\n  · {printable(fact_text(evidence))}")
        lines.append("\n  → " + printable(advice_text(recommendation)))
        remedies = (*classification.remedies, *recommendation.remedies)
        rerun = remedy_options(remedies, options, analysis)
        if rerun is not None:
            lines.append(f"\n  → {printable(rerun)}")
        shown.append(lines)
    return shown


# The heading of the pool lines, in the terminal and in the report.
POOLS_TITLE = "Pools and clusters (start-up apart; overhead = (wall − ideal) / tasks)"


def pool_lines(analysis: Analysis) -> list[str]:
    """Pools and clusters: warm start-ups (out of throughput), per-task overheads, then the
    analysis's sentences on splits and limits; empty where no point ran on a pool."""
    pools = analysis.pools
    lines = [
        f"{start.point}: started in {seconds(start.startup_s)} (to its first task done), out of throughput"
        for start in pools.startups
    ]
    lines.extend(
        with_python(f"{o.workload} · {o.point}", o.python)
        + f": {milliseconds(o.overhead_s)} per task beyond the tasks' own time"
        for o in pools.overheads
    )
    lines.extend(overhead_text(cluster, pool) for cluster, pool in pools.comparisons)
    lines.extend(
        with_python(f"{s.workload}, {s.threads} worker threads", s.python) + f": {split_text(s)}"
        for s in pools.splits
    )
    lines.extend(scheduler_text(*limit) for limit in pools.scheduler)
    return lines


def _section(title: str, lines: Sequence[str], style: str = "") -> list[RenderableType]:
    """``title`` in bold, the lines indented, then a blank line; nothing without lines."""
    if not lines:
        return []
    return [Text(title, style="bold"), *(Text(f"  {line}", style=style) for line in lines), Text("")]


def analysis_renderables(
    analysis: Analysis, *, advice: bool = True, options: Mapping[Remedy, str] | None = OPTIONS["run"]
) -> list[RenderableType]:
    """Scaling, pools, the precision reached, stability warnings, then classification and advice.

    Args:
        analysis: what to show.
        advice: show the classification and advice (``advise`` shows its own after its notes).
        options: how the command that measured names what to do (``OPTIONS["run"]``,
            ``OPTIONS["advise"]``); None for plain words (``show``, the tour).
    """
    precision = precision_lines(analysis, None if options is None else options.get(Remedy.MORE_TIME))
    shown = scaling_renderables(analysis)
    shown += _section(POOLS_TITLE + ":", pool_lines(analysis))
    shown += _section("Precision of the speedups (half-width of their 95% intervals):", precision)
    shown += _section("Stability:", [f"! {line}" for line in warning_lines(analysis, options)], "yellow")
    if advice:
        shown.append(Text("What the measurements say:", style="bold"))
        shown.extend(advice_renderables(analysis, options))
    return shown
