"""Plots of a result, as PNG or SVG bytes: speedup, wall time, a task timeline, CPU/wall.

:func:`plot` chooses what a plot shows (``_select.py``: which points, which
sample), then hands it to the plot's own module, which draws it through the
matplotlib plumbing they share (``_figure.py``: matplotlib imported only
there and only when drawing, ``Figure`` objects without ``pyplot``, the
image file's bytes). Nothing is written or shown here.

::

    Result, Analysis ──► _select.py ──► speedup.draw(groups)     throughput and speedup against workers
                                    ──► wall.draw(points)        median wall per point, min–max whiskers
                                    ──► timeline.draw(panels)    one row per worker, one bar per task
                                    ──► cpu.draw(points)         CPU time / wall time per point
    [(name, PointWaits)] (the report) ──► waits.draw(points)  where each point's threads' time went
                                              │
                                              ▼ _figure.py: PNG (Agg) or SVG (text as text) bytes
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from threadlab.model import Result
from threadlab.render.plots import cpu, speedup, timeline, wall
from threadlab.render.plots._figure import IMAGE_FORMATS, ImageFormat, check_format, strategy_colour
from threadlab.render.plots._select import (
    NothingToPlot,
    cpu_points,
    default_timeline_point,
    speedup_groups,
    timeline_panels,
    timeline_points,
    timeline_sample,
    wall_points,
)

if TYPE_CHECKING:
    from threadlab.analysis import Analysis

__all__ = [
    "IMAGE_FORMATS",
    "PLOT_KINDS",
    "ImageFormat",
    "NothingToPlot",
    "PlotKind",
    "default_timeline_point",
    "plot",
    "strategy_colour",
    "timeline_points",
    "timeline_sample",
]

PlotKind = Literal["speedup", "wall", "timeline", "cpu"]
PLOT_KINDS: tuple[PlotKind, ...] = ("speedup", "wall", "timeline", "cpu")


def plot(
    kind: PlotKind,
    result: Result,
    analysis: Analysis | None = None,
    *,
    image_format: ImageFormat = "png",
    point: int | Sequence[int] | None = None,
) -> bytes:
    """Draw one kind of plot of ``result``.

    Args:
        kind: ``speedup`` (throughput and speedup against workers, per
            workload, with the Universal Scalability Law's fit), ``wall``
            (median wall time per point, whiskers from min to max),
            ``timeline`` (one row per worker, one bar per task, of the median
            sample with task spans) or ``cpu`` (CPU time over wall time per point).
        result: the measurements.
        analysis: ``analyse(result)``, if already computed (used by ``speedup``).
        image_format: ``png`` or ``svg``.
        point: for ``timeline``, the index (or indices) of the point(s) in
            ``result.measurements``; None picks the first with the most workers.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: the result holds nothing this kind of plot could show.
        IndexError: ``point`` is not a point of ``result``.
        ValueError: an unknown kind or format.
    """
    image_format = check_format(image_format)
    if kind == "speedup":
        return speedup.draw(speedup_groups(result, analysis), image_format)
    if kind == "wall":
        return wall.draw(wall_points(result), image_format)
    if kind == "timeline":
        return timeline.draw(timeline_panels(result, point), image_format)
    if kind == "cpu":
        return cpu.draw(cpu_points(result), result.environment.cpu_count, image_format)
    raise ValueError(f"plot kind must be one of {', '.join(PLOT_KINDS)}, not {kind!r}")
