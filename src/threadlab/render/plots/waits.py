"""The waits plot: one stacked bar per point, its threads' time split by where it went.

Each bar is a point's shares (``analysis.PointWaits``): on a CPU, runnable,
the GIL, a lock, sleeping, I/O, other, summing to 1; the report draws it
beside the speedup plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from threadlab.analysis import PointWaits
from threadlab.model import WAIT_CATEGORIES
from threadlab.render._waits import CATEGORY_WORDS
from threadlab.render.plots._figure import ImageFormat, rows_image

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# One colour per category: computing in greens, the serialising waits (GIL, lock) in reds,
# the overlapping ones (sleep, I/O) in blues, what is left in grey.
CATEGORY_COLOURS: dict[str, str] = {
    "cpu": "#2e7d32",
    "runnable": "#a5d6a7",
    "gil": "#c62828",
    "lock": "#ef9a9a",
    "sleep": "#1565c0",
    "io": "#90caf9",
    "other": "#bdbdbd",
}


def draw(
    points: Sequence[tuple[str, PointWaits]],
    image_format: ImageFormat,
    *,
    salt: str = "waits",
    width: float = 9.0,
) -> bytes:
    """One stacked bar per point (its name and breakdown), the first at the top.

    ``salt`` and ``width`` as for :func:`~threadlab.render.plots._figure.rows_image`.
    """

    def on(axes: Axes) -> None:
        left = [0.0] * len(points)
        for category in WAIT_CATEGORIES:
            shares = [waits.share(category) for _, waits in points]
            axes.barh(
                range(len(points)),
                shares,
                left=left,
                height=0.6,
                color=CATEGORY_COLOURS[category],
                label=CATEGORY_WORDS[category],
            )
            left = [a + b for a, b in zip(left, shares, strict=True)]
        axes.set_xlim(0, 1)
        axes.set_xlabel("share of the worker threads' time (over all samples)")
        axes.set_title(f"Where the time went ({len(points)} points)", loc="left")

    def legend(figure: Figure, axes: Axes) -> None:
        # Below the figure, placed by the constrained layout: right of the title, it covered the
        # title in the report's 6.5-inch column. Seven categories fit one row from 8 inches.
        figure.legend(
            fontsize=7,
            loc="outside lower center",
            ncol=len(WAIT_CATEGORIES) if width >= 8 else 4,
            frameon=False,
        )

    names = [name for name, _ in points]
    # 0.3 inch more than the rows_image default: the legend's row below the figure.
    return rows_image(salt, names, on, image_format, legend=legend, width=width, margin=1.4)
