"""The timeline: one row per worker (thread or process), one bar per task of a sample of a point.

A bar spans a task from its start to its end; its colour is the task's CPU
time over its wall time, from pale (the task waited: I/O, sleep, or a thread
waiting for the GIL) to dark (it computed all along). Sleeping threads show
as pale bars side by side (waiting overlaps); CPU-bound threads under the
GIL as long, pale-to-middling bars that overlap, each busy only part of the
time; processes as short dark bars in parallel. Failed tasks are drawn in
red, hatched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from threadlab._units import count, seconds
from threadlab.model import Sample
from threadlab.render.plots._figure import ImageFormat, drawing, image_bytes, new_figure, plain
from threadlab.render.plots._select import TimelinePanel
from threadlab.worker.strategies._base import label_parts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

_FAILED_COLOUR = "#d62728"
# Rows of a timeline beyond which tick labels and bar edges would only be ink.
_LABELLED_ROWS = 40
_EDGED_BARS = 200
# A timeline of more rows than this is still drawn, each row thinner.
_MAX_ROW_INCHES = 0.32
# Bars drawn as one image, not one vector shape each, beyond _EDGED_BARS: 1000 threads' bars were
# 1000 SVG paths, 211 KB of the tour's report, against a few KB as one image (at 100 dpi, the
# size it shows at). Their zorder is put below this, and the axes rasterize what lies below it.
_RASTER_BELOW = 0.5


def draw(panels: Sequence[TimelinePanel], image_format: ImageFormat) -> bytes:
    """The panels one above the other, on one time axis, with one colour bar."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    with drawing("timeline-" + "-".join(str(panel.index) for panel in panels)):
        rows = [len(_rows(panel.sample)) for panel in panels]
        heights = [0.9 + min(_MAX_ROW_INCHES * r, 6.0 / len(panels)) for r in rows]
        figure = new_figure(9.0, 0.7 + sum(heights))
        axes_list = figure.subplots(len(panels), 1, sharex=True, squeeze=False, height_ratios=heights)[:, 0]
        # Blues without its near-white end, so that a task that only waited still shows.
        palette = ListedColormap(colormaps["Blues"](np.linspace(0.15, 1.0, 256)))
        end = max(max(panel.sample.wall_s, max(panel.sample.spans.end_s)) for panel in panels)
        for axes, panel in zip(axes_list, panels, strict=True):
            _panel(axes, panel, palette)
        axes_list[0].set_xlim(0, end * 1.04)
        axes_list[-1].set_xlabel("seconds from the start of the sample")
        colourbar = figure.colorbar(
            ScalarMappable(norm=Normalize(0.0, 1.0), cmap=palette),
            ax=list(axes_list),
            fraction=0.04,
            pad=0.01,
            aspect=25 * len(panels),
        )
        colourbar.set_label("task CPU / task wall (0 waits, 1 computes)", fontsize=7)
        return image_bytes(figure, image_format)


def _rows(sample: Sample) -> list[int]:
    """The workers that ran a task in ``sample``, in the order they started their first."""
    spans = sample.spans
    first_start: dict[int, float] = {}
    for start, worker in zip(spans.start_s, spans.worker, strict=True):
        first_start[worker] = min(start, first_start.get(worker, start))
    return sorted(first_start, key=first_start.__getitem__)


def _row_names(labels: Sequence[str]) -> list[str]:
    """Worker labels (``pid:thread``, ``pid:thread@host``) shortened to what tells them apart.

    A process is its pid on its host: two machines may each have a process 41.
    """
    parts = [label_parts(label) for label in labels]
    several_hosts = len({host for _, _, host in parts}) > 1

    def at(host: str) -> str:
        return f"@{host}" if several_hosts else ""

    if len({(pid, host) for pid, _, host in parts}) == 1:
        return [thread.removeprefix("threadlab-") for _, thread, _ in parts]
    if len({thread for _, thread, _ in parts}) == 1:
        return [f"pid {pid}{at(host)}" for pid, _, host in parts]
    return [f"{pid}:{thread}{at(host)}" for pid, thread, host in parts]


def _title(panel: TimelinePanel) -> str:
    """``count · threads ×2: sample 3 of 5 (the median, 1.20 s), 8 tasks``."""
    samples = len(panel.measurement.samples)
    median = (
        "the median"
        if panel.with_spans == samples
        else f"the median of the {panel.with_spans} with task spans"
    )
    return (
        f"{panel.name}: sample {panel.sample_index + 1} of {samples} "
        f"({median}, {seconds(panel.sample.wall_s)}), {len(panel.sample.spans)} tasks"
    )


# Each kind of bar's rows, widths, left ends and colours (computed bars are coloured by CPU/wall).
_Bars = dict[str, tuple[list[int], list[float], list[float], list[Any]]]


def _bars(sample: Sample, row_of: dict[int, int], palette: Colormap) -> _Bars:
    """The sample's tasks as bars, in three groups: computed, failed, CPU unknown.

    Drawn in three calls, not one call per task: a thousand threads make a thousand bars.
    """
    groups: _Bars = {"ok": ([], [], [], []), "failed": ([], [], [], []), "unknown": ([], [], [], [])}
    spans = sample.spans
    for start, stop, cpu_s, worker, ok in zip(
        spans.start_s, spans.end_s, spans.cpu_s, spans.worker, spans.ok, strict=True
    ):
        duration = max(stop - start, 0.0)
        group = "failed" if not ok else "unknown" if cpu_s is None else "ok"
        ys, widths, lefts, colours = groups[group]
        ys.append(row_of[worker])
        widths.append(duration)
        lefts.append(start)
        if group == "ok":
            assert cpu_s is not None
            colours.append(palette(min(cpu_s / duration, 1.0) if duration > 0 else 1.0))
    return groups


def _panel(axes: Axes, panel: TimelinePanel, palette: Colormap) -> None:
    from matplotlib.patches import Patch

    sample = panel.sample
    spans = sample.spans
    used = _rows(sample)
    edged = len(spans) <= _EDGED_BARS
    groups = _bars(sample, {worker: row for row, worker in enumerate(used)}, palette)
    looks = {"ok": (None, ""), "failed": (_FAILED_COLOUR, "xx"), "unknown": ("#cccccc", "//")}
    for group, (ys, widths, lefts, colours) in groups.items():
        if not ys:
            continue
        fixed, hatch = looks[group]
        axes.barh(
            ys,
            widths,
            left=lefts,
            height=0.8,
            color=colours if fixed is None else fixed,
            hatch=hatch or None,
            edgecolor="#333333" if edged or hatch else "none",
            linewidth=0.5 if edged else 0,
            zorder=1 if edged else _RASTER_BELOW / 2,
        )
    if not edged:
        axes.set_rasterization_zorder(_RASTER_BELOW)
    axes.axvline(sample.wall_s, color="#444444", linestyle="--", linewidth=1)
    rows = len(used)
    # Upright beside the line, in the room after the last task, clear of the title.
    axes.text(
        sample.wall_s, rows - 0.4, " end of sample", fontsize=7, color="#444444", rotation=90, va="bottom"
    )
    if rows <= _LABELLED_ROWS:
        axes.set_yticks(range(rows), [plain(name) for name in _row_names([spans.workers[w] for w in used])])
    else:
        axes.set_yticks([])
    axes.set_ylim(rows - 0.4, -0.6)
    axes.grid(axis="y", visible=False)
    axes.set_ylabel(count(rows, "worker"))
    axes.set_title(plain(_title(panel)), loc="left")
    extra = []
    failed = len(groups["failed"][0])
    if failed:
        extra.append(
            Patch(facecolor=_FAILED_COLOUR, hatch="xx", edgecolor="#333", label=f"failed ({failed})")
        )
    if groups["unknown"][0]:
        extra.append(Patch(facecolor="#ccc", hatch="//", edgecolor="#333", label="CPU time not measured"))
    if extra:
        axes.legend(handles=extra, fontsize=7, loc="lower right")
