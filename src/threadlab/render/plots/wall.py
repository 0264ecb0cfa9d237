"""The wall plot: the median wall time of every point, whiskers from its fastest to its slowest sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from threadlab._units import seconds
from threadlab.render.plots._figure import ImageFormat, rows_image, strategies_legend, strategy_colour
from threadlab.render.plots._select import PlottedPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw(
    points: Sequence[PlottedPoint], image_format: ImageFormat, *, salt: str = "wall", width: float = 9.0
) -> bytes:
    """One line per point (``plots._select.wall_points``), the first at the top.

    ``salt`` and ``width`` as for :func:`~threadlab.render.plots._figure.rows_image`.
    """

    def on(axes: Axes) -> None:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        for y, point in enumerate(points):
            median = point.summary.wall_median_s
            axes.errorbar(
                [median],
                [y],
                xerr=[[median - point.summary.wall_min_s], [point.summary.wall_max_s - median]],
                fmt="o",
                color=strategy_colour(point.strategy),
                capsize=3,
            )
        low = min(p.summary.wall_min_s for p in points)
        high = max(p.summary.wall_max_s for p in points)
        if high / low >= 20:
            axes.set_xscale("log")
            axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axes.xaxis.set_minor_formatter(NullFormatter())
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: seconds(value) if value > 0 else "0"))
        axes.set_xlabel("wall time per sample (median, min–max)")
        axes.set_title(f"Wall time per point ({len(points)} points)", loc="left")

    legend = strategies_legend([p.strategy for p in points])
    return rows_image(salt, [p.name for p in points], on, image_format, legend=legend, width=width)
