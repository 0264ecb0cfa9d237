"""The speedup plot: throughput and speedup against workers, one row of two panels per workload.

The worker axis is logarithmic (base 2). Each strategy is a line, each
speedup against sequential with its 95% interval as an error bar
(``Summary.speedup_vs_sequential_ci``); the sequential throughput is a grey
line, the ideal (linear) scaling a dotted one; where the Universal
Scalability Law was fitted its curve is drawn
dashed, and N*, the worker count where it peaks, is marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from threadlab.analysis import USLFit
from threadlab.render._rows import with_python
from threadlab.render.plots._figure import (
    ImageFormat,
    drawing,
    image_bytes,
    new_figure,
    plain,
    strategy_colour,
)
from threadlab.render.plots._select import SpeedupGroup

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw(
    groups: Sequence[SpeedupGroup], image_format: ImageFormat, *, salt: str = "speedup", width: float = 10.0
) -> bytes:
    """One row per group (``plots._select.speedup_groups``): throughput on the left, speedup on the right.

    ``salt`` sets this plot's SVG ids apart from other plots' in the same page; ``width`` is the
    figure's in inches (each row's height scales with it).
    """
    # The throughput panel where a Universal Scalability Law was fitted (3+ worker counts): it draws
    # the curve and its peak. Without one it is the speedup panel times a constant, and the tour's
    # report (10 groups of one or two worker counts) carried 80 KB of such twins.
    fitted = any(isinstance(s.usl, USLFit) for group in groups for s in group.scalings)
    with drawing(salt):
        figure = new_figure(width, 0.6 + 3.4 * width / 10.0 * len(groups))
        axes = figure.subplots(len(groups), 2 if fitted else 1, squeeze=False)
        for row, group in enumerate(groups):
            _row(group, axes[row][0] if fitted else None, axes[row][-1])
        return image_bytes(figure, image_format)


def _row(group: SpeedupGroup, throughput_axes: Axes | None, speedup_axes: Axes) -> None:
    import numpy as np

    base = group.sequential_throughput
    all_workers = sorted({p.workers for s in group.scalings for p in s.points})
    low, high = all_workers[0], all_workers[-1]
    ideal_from = base
    if ideal_from is None:
        first = min((p for s in group.scalings for p in s.points), key=lambda p: p.workers)
        ideal_from = first.throughput / first.workers
    log_y = high / max(low, 1) >= 32
    reach = float(high)
    for scaling in group.scalings:
        usl = scaling.usl
        if isinstance(usl, USLFit) and usl.peak_workers is not None and usl.peak_workers <= 4 * high:
            reach = max(reach, usl.peak_workers * 1.1)
    # The y range follows what was measured and fitted; the ideal line is clipped to it.
    tallest = [p.throughput for s in group.scalings for p in s.points] + ([base] if base else [])
    xs = np.array([1.0, reach])
    if throughput_axes is not None:
        _throughput(group, throughput_axes, ideal_from, reach)
    speedup_axes.plot(xs, xs, ":", color="#444444", linewidth=1, label="ideal (linear)")
    if base is not None:
        speedup_axes.axhline(1.0, color=strategy_colour("sequential"), linewidth=1.2, label="sequential")
    for scaling in group.scalings:
        colour = strategy_colour(scaling.strategy)
        strategy = plain(scaling.strategy)
        workers = [p.workers for p in scaling.points]
        ratios = [p.speedup_vs_sequential if base is not None else p.speedup_vs_one for p in scaling.points]
        shown = [(w, r) for w, r in zip(workers, ratios, strict=True) if r is not None]
        if shown:
            speedup_axes.plot(*zip(*shown, strict=True), "o-", color=colour, label=strategy)
        if base is not None:
            _error_bars(group, scaling.strategy, shown, colour, speedup_axes)
        usl = scaling.usl
        if isinstance(usl, USLFit) and throughput_axes is not None:
            tallest.append(
                _usl_curve(usl, strategy, colour, (throughput_axes, speedup_axes), base, reach, high)
            )
    _frame(group, (throughput_axes, speedup_axes), all_workers, reach, log_y, max(tallest))


def _throughput(group: SpeedupGroup, axes: Axes, one_worker: float, reach: float) -> None:
    """The throughput panel's lines: the ideal from 1 to ``reach`` workers, sequential, each strategy."""
    base = group.sequential_throughput
    axes.plot(
        [1.0, reach],
        [one_worker, one_worker * reach],
        ":",
        color="#444444",
        linewidth=1,
        label="ideal (linear)",
    )
    if base is not None:
        axes.axhline(base, color=strategy_colour("sequential"), linewidth=1.2, label="sequential")
    for scaling in group.scalings:
        workers = [p.workers for p in scaling.points]
        throughput = [p.throughput for p in scaling.points]
        axes.plot(
            workers, throughput, "o-", color=strategy_colour(scaling.strategy), label=plain(scaling.strategy)
        )


def _error_bars(
    group: SpeedupGroup, strategy: str, shown: list[tuple[int, float]], colour: str, axes: Axes
) -> None:
    """The 95% interval of each speedup against sequential, as error bars; none where unknown."""
    bars = [
        (workers, ratio, bounds)
        for workers, ratio in shown
        if (bounds := group.interval(strategy, workers)) is not None
    ]
    if not bars:
        return
    xs = [workers for workers, _, _ in bars]
    ys = [ratio for _, ratio, _ in bars]
    # matplotlib takes the distances below and above each point. The speedup drawn is the
    # ratio of medians and its interval that of the paired per-round ratios: it need not
    # contain the point, so each distance is kept >= 0.
    below = [max(0.0, ratio - low) for _, ratio, (low, _) in bars]
    above = [max(0.0, high - ratio) for _, ratio, (_, high) in bars]
    axes.errorbar(xs, ys, yerr=[below, above], fmt="none", ecolor=colour, elinewidth=1.2, capsize=3)


def _usl_curve(
    usl: USLFit,
    strategy: str,
    colour: str,
    both: tuple[Axes, Axes],
    base: float | None,
    reach: float,
    high: int,
) -> float:
    """A strategy's USL curve, and its peak N* where there is one; returns the curve's top."""
    import numpy as np

    from threadlab.analysis._scaling import usl_throughput

    throughput_axes, speedup_axes = both
    peak_shown = usl.peak_workers is not None and usl.peak_workers <= reach
    curve_x = np.geomspace(1.0, reach if peak_shown else float(high), 120)
    curve_y = np.array([usl_throughput(float(n), usl.lam, usl.sigma, usl.kappa) for n in curve_x])
    fit_label = f"{strategy} USL fit (σ {usl.sigma:.2f}, κ {usl.kappa:.2g})"
    throughput_axes.plot(curve_x, curve_y, "--", color=colour, linewidth=1, alpha=0.8, label=fit_label)
    if base is not None:
        speedup_axes.plot(curve_x, curve_y / base, "--", color=colour, linewidth=1, alpha=0.8)
    if usl.peak_workers is None or usl.peak_throughput is None:
        return float(curve_y.max())
    if peak_shown:
        throughput_axes.plot(
            [usl.peak_workers], [usl.peak_throughput], "*", color=colour, markersize=13, zorder=5
        )
        throughput_axes.annotate(
            f"N* ≈ {usl.peak_workers:.1f}",
            (usl.peak_workers, usl.peak_throughput),
            textcoords="offset points",
            xytext=(-20, 9),
            color=colour,
        )
        if base is not None:
            speedup_axes.plot(
                [usl.peak_workers], [usl.peak_throughput / base], "*", color=colour, markersize=13
            )
    else:
        throughput_axes.plot([], [], "*", color=colour, label=f"N* ≈ {usl.peak_workers:.0f} (beyond)")
    return float(curve_y.max())


def _frame(
    group: SpeedupGroup,
    both: tuple[Axes | None, Axes],
    all_workers: list[int],
    reach: float,
    log_y: bool,
    tallest: float,
) -> None:
    """Both panels' (or the speedup panel's alone) scales, ticks, titles, limits and legend."""
    from matplotlib.ticker import FuncFormatter

    throughput_axes, speedup_axes = both
    base = group.sequential_throughput
    for axes in (a for a in both if a is not None):
        axes.set_xscale("log", base=2)
        axes.set_xlim(0.8, reach * 1.25)  # 1 worker, where the ideal line starts, always in view
        ticks = sorted({1, *all_workers})
        axes.set_xticks(ticks, [str(w) for w in ticks])
        axes.minorticks_off()
        axes.set_xlabel("workers (log₂ scale)")
        if log_y:
            axes.set_yscale("log", base=2)
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    title = plain(with_python(group.workload, group.python))
    top = tallest * (1.6 if log_y else 1.15)
    if throughput_axes is not None:
        throughput_axes.set_ylabel("throughput (tasks/s)")
        throughput_axes.set_title(f"{title}: throughput", loc="left")
        throughput_axes.set_ylim(None if log_y else 0, top)
    if base is not None:
        speedup_axes.set_ylabel("speedup vs sequential (×)")
        speedup_axes.set_title(f"{title}: speedup", loc="left")
        speedup_axes.set_ylim(None if log_y else 0, top / base)
    else:
        speedup_axes.set_ylabel("speedup vs 1 worker (×)")
        speedup_axes.set_title(f"{title}: speedup (no sequential point)", loc="left")
        if not log_y:
            speedup_axes.set_ylim(bottom=0)
    (throughput_axes or speedup_axes).legend(fontsize=7, loc="best")
