"""The matplotlib plumbing every plot shares: style, figures, colours, and the image file's bytes.

matplotlib is imported inside these functions, never at module level, so
that ``import threadlab`` and ``threadlab --help`` stay fast. Figures are
built on ``Figure`` objects directly (no ``pyplot``, no global state, no GUI
backend): PNG goes through Agg, SVG through matplotlib's SVG backend with its
text as text (a font the viewer has draws it; nothing is embedded or fetched),
slimmed (``image_bytes``), so that it can be inlined into an HTML page as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from threadlab.worker._text import printable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ImageFormat = Literal["png", "svg"]
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("png", "svg")

# One colour per strategy, the same in every plot and report.
_STRATEGY_COLOURS = {
    "sequential": "#7f7f7f",
    "threads": "#1f77b4",
    "thread-pool": "#17becf",
    "processes": "#d62728",
    "asyncio": "#2ca02c",
    "interpreters": "#9467bd",
    "dask": "#ff7f0e",
}
_OTHER_COLOURS = ("#8c564b", "#e377c2", "#bcbd22", "#393b79", "#637939")
# Enough resolution for a README or a report; a PNG stays under ~200 KiB.
_PNG_DPI = 110


def strategy_colour(strategy: str) -> str:
    """The colour a strategy has in every plot: fixed for known strategies, stable for others."""
    if strategy in _STRATEGY_COLOURS:
        return _STRATEGY_COLOURS[strategy]
    return _OTHER_COLOURS[sum(strategy.encode()) % len(_OTHER_COLOURS)]


def plain(text: str) -> str:
    """Text from a results file (a point's name, a worker's), shown by matplotlib as it is.

    matplotlib reads text between two ``$`` as mathtext: a function named
    ``f$x$.py:g`` would be drawn as maths, and ``$\\frac{$`` would fail the
    plot. Every ``$`` escaped, matplotlib shows the text and nothing else;
    control characters, which no font draws, are escaped as ``\\x1b``.
    """
    return printable(text).replace("$", r"\$")


def check_format(image_format: str) -> ImageFormat:
    """``png`` or ``svg``; ``ValueError`` for any other format."""
    for known in IMAGE_FORMATS:
        if image_format == known:
            return known
    raise ValueError(f"image format must be png or svg, not {image_format!r}")


@contextmanager
def drawing(salt: str) -> Iterator[None]:
    """matplotlib settings for every plot, within this block only; ``salt`` sets this plot's SVG ids
    apart from those of the other plots inlined in the same page."""
    import matplotlib

    # Text as text, not paths: drawn as paths, each glyph's outline was inlined in every plot, and
    # the tour's report weighed 1.2 MB (its 10-row speedup plot 385 KB); as text, the browser draws it
    # with a font it has (no font is fetched: the page forbids it), in a page of ~0.3 MB. The font
    # named once, short: matplotlib writes its whole fallback list (250 bytes) into every label.
    # Stable ids inside the SVG (matplotlib otherwise salts them at random), distinct per plot so
    # that several SVGs inlined in one page do not clash.
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans"],
            "svg.hashsalt": f"threadlab-{salt}",
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#e7e7e7",  # the default grey at alpha 0.3 on white, without an opacity per line
        }
    ):
        yield


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of ``width`` × ``height`` inches, laid out by matplotlib's constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# No date (the same figure, the same bytes) and no RDF block naming matplotlib in every plot.
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
# matplotlib writes coordinates with six decimals and indents every element: in the tour's report
# that was a fifth of each plot's bytes. A tenth of a point (1/720 inch) is below a pixel at any
# size the report shows.
_GEOMETRY = re.compile(rb'(\s(?:d|x|y|transform)=")([^"]*)"')
_LONG_DECIMAL = re.compile(rb"(\d\.\d)\d+")
_BETWEEN_ELEMENTS = re.compile(rb">\s+<")
_NO_ROTATION = re.compile(rb' transform="rotate\(-0 [^"]*\)"')  # on every upright label: draws nothing


def image_bytes(figure: Figure, image_format: ImageFormat) -> bytes:
    """The image file of ``figure``: the same figure always gives the same bytes (no date in an SVG)."""

    def geometry(found: re.Match[bytes]) -> bytes:
        value = _LONG_DECIMAL.sub(rb"\1", b" ".join(found.group(2).split()))
        return found.group(1) + value + b'"'

    buffer = io.BytesIO()
    if image_format == "svg":
        figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
        # Slimmed: geometry to one decimal, no rotation by -0°, no indentation; text untouched.
        svg = _NO_ROTATION.sub(b"", buffer.getvalue())
        return _BETWEEN_ELEMENTS.sub(b"><", _GEOMETRY.sub(geometry, svg))
    figure.savefig(buffer, format="png", dpi=_PNG_DPI)
    return buffer.getvalue()


# --- one row per point (wall, cpu, waits) ------------------------------------------------------------

# Draws a plot's legend, on its axes or on the figure around them.
Legend = Callable[["Figure", "Axes"], None]


def strategies_legend(strategies: Sequence[str]) -> Legend:
    """The legend of rows coloured by strategy: one patch per strategy, in the order first seen,
    inside the axes at the lower right."""

    def legend(figure: Figure, axes: Axes) -> None:
        from matplotlib.patches import Patch

        handles = [Patch(color=strategy_colour(s), label=plain(s)) for s in dict.fromkeys(strategies)]
        axes.legend(handles=handles, fontsize=7, loc="lower right")

    return legend


def rows_image(
    salt: str,
    names: Sequence[str],
    draw_on: Callable[[Axes], None],
    image_format: ImageFormat,
    *,
    legend: Legend,
    width: float = 9.0,
    margin: float = 1.1,
) -> bytes:
    """A plot of one row per point, ``names`` from the top: ``draw_on`` draws row ``i`` at ``y = i`` with
    the axes' labels and title; this adds the names and, last, the ``legend``.

    ``salt`` as for :func:`drawing`; ``width`` in inches; ``margin``, inches of the figure's height beyond
    its rows (0.28 inch each): the title, the axis label, and a legend drawn outside the axes.
    """
    with drawing(salt):
        figure = new_figure(width, margin + 0.28 * max(len(names), 2))
        axes = figure.subplots()
        draw_on(axes)
        axes.set_yticks(range(len(names)), [plain(name) for name in names])
        axes.invert_yaxis()
        axes.grid(axis="y", visible=False)
        legend(figure, axes)
        return image_bytes(figure, image_format)
