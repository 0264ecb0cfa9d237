"""The terminal view of an analysis: scaling tables, warnings, findings, advice."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from threadlab.analysis import Analysis, StrategyScaling, USLFit
from threadlab.render._units import rate, ratio


def _usl_line(scaling: StrategyScaling) -> str:
    usl = scaling.usl
    if not isinstance(usl, USLFit):
        return f"USL not fitted: {usl.reason}"
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
    for scaling in analysis.scaling:
        if len(scaling.points) < 2:
            continue
        table = Table(
            title=f"Scaling: {scaling.workload} on {scaling.strategy} [{scaling.python}]",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            header_style="bold",
        )
        for column in ("workers", "tasks/s", "vs 1 worker", "vs sequential", "efficiency", "Karp–Flatt"):
            table.add_column(column, justify="right", no_wrap=True)
        for point in scaling.points:
            table.add_row(
                str(point.workers),
                rate(point.throughput),
                ratio(point.speedup_vs_one),
                ratio(point.speedup_vs_sequential),
                "-" if point.efficiency is None else f"{point.efficiency:.0%}",
                "-" if point.karp_flatt is None else f"{point.karp_flatt:.3f}",
            )
        shown.append(Group(table, Text(_usl_line(scaling)), Text("")))
    return shown


def warning_lines(analysis: Analysis) -> list[str]:
    """One line per stability warning (which point, what), then each distinct advice once."""
    lines = [f"{stats.label}: {w.message}" for stats in analysis.points for w in stats.warnings]
    advice = dict.fromkeys(w.advice for stats in analysis.points for w in stats.warnings)
    return lines + [f"what to do: {text}" for text in advice]


def advice_renderables(analysis: Analysis) -> list[RenderableType]:
    """The classification and recommendation of each workload, with the evidence."""
    shown: list[RenderableType] = []
    for recommendation in analysis.recommendations:
        classification = recommendation.classification
        lines = Text()
        lines.append(f"{recommendation.workload} [{recommendation.python}]: ", style="bold")
        lines.append(classification.kind, style="bold cyan")
        for evidence in classification.evidence:
            lines.append(f"\n  · {evidence}")
        lines.append("\n  → " + recommendation.text)
        shown.append(lines)
    return shown


def analysis_renderables(analysis: Analysis, *, advice: bool = True) -> list[RenderableType]:
    """Scaling, then stability warnings, then (optionally) classification and advice."""
    shown = scaling_renderables(analysis)
    warnings = warning_lines(analysis)
    if warnings:
        shown.append(Text("Stability:", style="bold"))
        shown.extend(Text(f"  ! {line}", style="yellow") for line in warnings)
        shown.append(Text(""))
    if advice:
        shown.append(Text("What the measurements say:", style="bold"))
        shown.extend(advice_renderables(analysis))
    return shown
