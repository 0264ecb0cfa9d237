"""The CPU plot: CPU time over wall time of every point, 1 is one core busy, 0 is waiting.

A line marks 1.0 (one core busy all along) and another the machine's number
of CPUs (all of them busy), where the measurements come near it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from threadlab.render.plots._figure import ImageFormat, rows_image, strategies_legend, strategy_colour
from threadlab.render.plots._select import PlottedPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw(
    points: Sequence[tuple[PlottedPoint, float]], cpu_count: int | None, image_format: ImageFormat
) -> bytes:
    """One bar per point (``plots._select.cpu_points``), the first at the top.

    ``cpu_count``, the machine's CPUs (None where unknown), places the line of all of them busy.
    """
    values = [value for _, value in points]

    def on(axes: Axes) -> None:
        colours = [strategy_colour(p.strategy) for p, _ in points]
        axes.barh(range(len(points)), values, color=colours, height=0.6)
        axes.axvline(1.0, color="#444444", linestyle="--", linewidth=1)
        top = max(values)
        right = max(1.1, top * 1.1)
        axes.text(1.0, -0.9, " one core busy", fontsize=7, color="#444444", va="bottom")
        # The line for all CPUs busy only where the measurements come near it.
        if cpu_count is not None and cpu_count > 1 and cpu_count <= top * 1.5:
            right = max(right, cpu_count * 1.05)
            axes.axvline(cpu_count, color="#444444", linestyle=":", linewidth=1)
            axes.text(
                cpu_count, -0.9, f" all {cpu_count} CPUs busy", fontsize=7, color="#444444", va="bottom"
            )
        axes.set_xlim(0, right)
        axes.set_xlabel("CPU time / wall time (median over samples; 0 = waiting, 1 = one core busy)")
        axes.set_title(f"CPU use per point ({len(points)} points)", loc="left", pad=14)

    legend = strategies_legend([p.strategy for p, _ in points])
    return rows_image("cpu", [p.name for p, _ in points], on, image_format, legend=legend)
