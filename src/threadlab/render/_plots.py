"""Plots of a result, as PNG or SVG bytes: speedup, wall time, a task timeline, CPU/wall.

Each function takes data (a ``Result``, its ``Analysis``) and returns the
image file's bytes; nothing is written or shown here. matplotlib is imported
inside the functions, never at module level, so that ``import threadlab``
and ``threadlab --help`` stay fast; figures are built on ``Figure`` objects
directly (no ``pyplot``, no global state, no GUI backend): PNG goes through
Agg, SVG through matplotlib's SVG backend with its text drawn as paths, so an
SVG needs no font and can be inlined into an HTML page as it is.

::

    Result ──► speedup(result, analysis)   throughput and speedup against workers, per workload
           ──► wall(result)                median wall per point, min–max whiskers
           ──► timeline(result, index)     one row per worker, one bar per task of the median sample
           ──► cpu(result)                 CPU time / wall time per point
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from threadlab._model import Measurement, Result, Sample
from threadlab.render._labels import point_name
from threadlab.render._units import seconds

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

    from threadlab.analysis import Analysis, StrategyScaling

PlotKind = Literal["speedup", "wall", "timeline", "cpu"]
PLOT_KINDS: tuple[PlotKind, ...] = ("speedup", "wall", "timeline", "cpu")
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
_FAILED_COLOUR = "#d62728"
# Rows of a timeline beyond which tick labels and bar edges would only be ink.
_LABELLED_ROWS = 40
_EDGED_BARS = 200
# A timeline of more rows than this is still drawn, each row thinner.
_MAX_ROW_INCHES = 0.32
# Enough resolution for a README or a report; a PNG stays under ~200 KiB.
_PNG_DPI = 110


class NothingToPlot(ValueError):
    """Raised when a result holds nothing the requested plot could show; says what is missing."""


def strategy_colour(strategy: str) -> str:
    """The colour a strategy has in every plot: fixed for known strategies, stable for others."""
    if strategy in _STRATEGY_COLOURS:
        return _STRATEGY_COLOURS[strategy]
    return _OTHER_COLOURS[sum(strategy.encode()) % len(_OTHER_COLOURS)]


@contextmanager
def _style(salt: str) -> Iterator[None]:
    """matplotlib settings for every plot, within this block only."""
    import matplotlib

    # Text as paths: the SVG needs no font, and renders the same everywhere. Stable ids
    # inside the SVG (matplotlib otherwise salts them at random), distinct per plot so
    # that several SVGs inlined in one page do not clash.
    with matplotlib.rc_context(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": f"threadlab-{salt}",
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
        }
    ):
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(figure: Figure, image_format: ImageFormat) -> bytes:
    buffer = io.BytesIO()
    if image_format == "svg":
        # No date in the file: the same result gives the same SVG.
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    else:
        figure.savefig(buffer, format="png", dpi=_PNG_DPI)
    return buffer.getvalue()


def _check_format(image_format: str) -> ImageFormat:
    if image_format == "png":
        return "png"
    if image_format == "svg":
        return "svg"
    raise ValueError(f"image format must be png or svg, not {image_format!r}")


# --- speedup -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Group:
    """The scaling of every strategy of one workload on one Python."""

    workload: str
    python: str
    scalings: tuple[StrategyScaling, ...]

    @property
    def sequential_throughput(self) -> float | None:
        for scaling in self.scalings:
            for point in scaling.points:
                if point.speedup_vs_sequential:
                    return point.throughput / point.speedup_vs_sequential
        return None


def _speedup_groups(analysis: Analysis) -> list[_Group]:
    keys: dict[tuple[str, str], list[StrategyScaling]] = {}
    for scaling in analysis.scaling:
        keys.setdefault((scaling.workload, scaling.python), []).append(scaling)
    return [_Group(workload, python, tuple(found)) for (workload, python), found in keys.items()]


def speedup(result: Result, analysis: Analysis | None = None, *, image_format: ImageFormat = "png") -> bytes:
    """Throughput and speedup against workers, one row of two panels per workload.

    The worker axis is logarithmic (base 2). Each strategy is a line; the
    sequential throughput is a grey line, the ideal (linear) scaling a dotted
    one; where the Universal Scalability Law was fitted its curve is drawn
    dashed, and N*, the worker count where it peaks, is marked.

    Args:
        result: the measurements.
        analysis: ``analyse(result)``, if already computed.
        image_format: ``png`` or ``svg``.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: no strategy other than sequential has a measured point.
    """
    image_format = _check_format(image_format)
    if analysis is None:
        from threadlab.analysis import analyse

        analysis = analyse(result)
    groups = _speedup_groups(analysis)
    if not groups:
        raise NothingToPlot(
            "nothing to plot: no strategy other than sequential has a point with samples; "
            "measure one, e.g. -s sequential,threads -n 1,2,4,8"
        )
    with _style("speedup"):
        figure = _figure(10.0, 0.6 + 3.4 * len(groups))
        axes = figure.subplots(len(groups), 2, squeeze=False)
        for row, group in enumerate(groups):
            _speedup_row(group, axes[row][0], axes[row][1])
        return _save(figure, image_format)


def _speedup_row(group: _Group, throughput_axes: Axes, speedup_axes: Axes) -> None:
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    from threadlab.analysis import USLFit
    from threadlab.analysis._scaling import usl_throughput

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
    throughput_axes.plot(xs, ideal_from * xs, ":", color="#444444", linewidth=1, label="ideal (linear)")
    speedup_axes.plot(xs, xs, ":", color="#444444", linewidth=1, label="ideal (linear)")
    if base is not None:
        throughput_axes.axhline(base, color=strategy_colour("sequential"), linewidth=1.2, label="sequential")
        speedup_axes.axhline(1.0, color=strategy_colour("sequential"), linewidth=1.2, label="sequential")
    for scaling in group.scalings:
        colour = strategy_colour(scaling.strategy)
        workers = [p.workers for p in scaling.points]
        throughput = [p.throughput for p in scaling.points]
        throughput_axes.plot(workers, throughput, "o-", color=colour, label=scaling.strategy)
        ratios = [p.speedup_vs_sequential if base is not None else p.speedup_vs_one for p in scaling.points]
        shown = [(w, r) for w, r in zip(workers, ratios, strict=True) if r is not None]
        if shown:
            speedup_axes.plot(*zip(*shown, strict=True), "o-", color=colour, label=scaling.strategy)
        usl = scaling.usl
        if not isinstance(usl, USLFit):
            continue
        peak_shown = usl.peak_workers is not None and usl.peak_workers <= reach
        curve_x = np.geomspace(1.0, reach if peak_shown else float(high), 120)
        curve_y = np.array([usl_throughput(float(n), usl.lam, usl.sigma, usl.kappa) for n in curve_x])
        tallest.append(float(curve_y.max()))
        fit_label = f"{scaling.strategy} USL fit (σ {usl.sigma:.2f}, κ {usl.kappa:.2g})"
        throughput_axes.plot(curve_x, curve_y, "--", color=colour, linewidth=1, alpha=0.8, label=fit_label)
        if base is not None:
            speedup_axes.plot(curve_x, curve_y / base, "--", color=colour, linewidth=1, alpha=0.8)
        if usl.peak_workers is None or usl.peak_throughput is None:
            continue
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
    for axes in (throughput_axes, speedup_axes):
        axes.set_xscale("log", base=2)
        axes.set_xlim(0.8, reach * 1.25)  # 1 worker, where the ideal line starts, always in view
        ticks = sorted({1, *all_workers})
        axes.set_xticks(ticks, [str(w) for w in ticks])
        axes.minorticks_off()
        axes.set_xlabel("workers (log₂ scale)")
        if log_y:
            axes.set_yscale("log", base=2)
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    throughput_axes.set_ylabel("throughput (tasks/s)")
    throughput_axes.set_title(f"{group.workload} [{group.python}]: throughput", loc="left")
    top = max(tallest) * (1.6 if log_y else 1.15)
    throughput_axes.set_ylim(None if log_y else 0, top)
    if base is not None:
        speedup_axes.set_ylabel("speedup vs sequential (×)")
        speedup_axes.set_title(f"{group.workload} [{group.python}]: speedup", loc="left")
    else:
        speedup_axes.set_ylabel("speedup vs 1 worker (×)")
        speedup_axes.set_title(
            f"{group.workload} [{group.python}]: speedup (no sequential point)", loc="left"
        )
    speedup_top = top / base if base is not None else None
    if speedup_top is not None:
        speedup_axes.set_ylim(None if log_y else 0, speedup_top)
    elif not log_y:
        speedup_axes.set_ylim(bottom=0)
    throughput_axes.legend(fontsize=7, loc="best")


# --- wall and cpu ------------------------------------------------------------------------------------


def _rows_figure(count: int) -> tuple[Figure, Axes]:
    figure = _figure(9.0, 1.1 + 0.28 * max(count, 2))
    return figure, figure.subplots()


def _point_axis(axes: Axes, names: Sequence[str]) -> None:
    axes.set_yticks(range(len(names)), list(names))
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)


def _strategy_legend(axes: Axes, strategies: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=strategy_colour(s), label=s) for s in dict.fromkeys(strategies)]
    axes.legend(handles=handles, fontsize=7, loc="lower right")


def wall(result: Result, *, image_format: ImageFormat = "png") -> bytes:
    """Median wall time of every point, with whiskers from the fastest to the slowest sample.

    Args:
        result: the measurements.
        image_format: ``png`` or ``svg``.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: no point has samples.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    image_format = _check_format(image_format)
    rows = [(m, s) for m, s in result.summaries() if s is not None]
    if not rows:
        raise NothingToPlot("nothing to plot: no point has samples")
    with _style("wall"):
        figure, axes = _rows_figure(len(rows))
        for y, (measurement, summary) in enumerate(rows):
            median = summary.wall_median_s
            axes.errorbar(
                [median],
                [y],
                xerr=[[median - summary.wall_min_s], [summary.wall_max_s - median]],
                fmt="o",
                color=strategy_colour(measurement.point.strategy),
                capsize=3,
            )
        _point_axis(axes, [point_name(m) for m, _ in rows])
        low = min(s.wall_min_s for _, s in rows)
        high = max(s.wall_max_s for _, s in rows)
        if high / low >= 20:
            axes.set_xscale("log")
            axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axes.xaxis.set_minor_formatter(NullFormatter())
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: seconds(value) if value > 0 else "0"))
        axes.set_xlabel("wall time per sample: median, whiskers from min to max")
        axes.set_title(f"Wall time per point ({len(rows)} points)", loc="left")
        _strategy_legend(axes, [m.point.strategy for m, _ in rows])
        return _save(figure, image_format)


def cpu(result: Result, *, image_format: ImageFormat = "png") -> bytes:
    """CPU time over wall time of every point: 1 is one core busy, 0 is waiting.

    A line marks 1.0 (one core busy all along) and another the machine's
    number of CPUs (all of them busy).

    Args:
        result: the measurements.
        image_format: ``png`` or ``svg``.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: no point has CPU time measured.
    """
    image_format = _check_format(image_format)
    rows = [
        (m, s.cpu_per_wall) for m, s in result.summaries() if s is not None and s.cpu_per_wall is not None
    ]
    if not rows:
        raise NothingToPlot("nothing to plot: no point has CPU time measured")
    with _style("cpu"):
        figure, axes = _rows_figure(len(rows))
        axes.barh(
            range(len(rows)),
            [value for _, value in rows],
            color=[strategy_colour(m.point.strategy) for m, _ in rows],
            height=0.6,
        )
        _point_axis(axes, [point_name(m) for m, _ in rows])
        axes.axvline(1.0, color="#444444", linestyle="--", linewidth=1)
        top = max(value for _, value in rows)
        right = max(1.1, top * 1.1)
        axes.text(1.0, -0.9, " one core busy", fontsize=7, color="#444444", va="bottom")
        cores = result.environment.cpu_count
        # The line for all CPUs busy only where the measurements come near it.
        if cores is not None and cores > 1 and cores <= top * 1.5:
            right = max(right, cores * 1.05)
            axes.axvline(cores, color="#444444", linestyle=":", linewidth=1)
            axes.text(cores, -0.9, f" all {cores} CPUs busy", fontsize=7, color="#444444", va="bottom")
        axes.set_xlim(0, right)
        axes.set_xlabel("CPU time / wall time (median over samples; 0 = waiting, 1 = one core busy)")
        axes.set_title(f"CPU use per point ({len(rows)} points)", loc="left", pad=14)
        _strategy_legend(axes, [m.point.strategy for m, _ in rows])
        return _save(figure, image_format)


# --- timeline ----------------------------------------------------------------------------------------


def median_sample(measurement: Measurement) -> tuple[int, Sample] | None:
    """The sample of median wall time (the lower one of two middles) and its index; None without samples."""
    if not measurement.samples:
        return None
    order = sorted(range(len(measurement.samples)), key=lambda i: measurement.samples[i].wall_s)
    index = order[(len(order) - 1) // 2]
    return index, measurement.samples[index]


def default_timeline_point(result: Result) -> int | None:
    """The point a timeline shows unless told: the first with the most workers whose median sample has spans.

    Returns:
        Its index in ``result.measurements``, or None when no point has spans.
    """
    best: int | None = None
    for index, measurement in enumerate(result.measurements):
        found = median_sample(measurement)
        if found is None or not len(found[1].spans):
            continue
        if best is None or measurement.point.workers > result.measurements[best].point.workers:
            best = index
    return best


def timeline_points(result: Result, limit: int = 6) -> list[int]:
    """Points worth a timeline in a report: per workload, each strategy's point with the most workers.

    Sequential points are left out unless a workload has nothing else.

    Returns:
        Indices into ``result.measurements``, at most ``limit``, in measurement order.
    """
    chosen: dict[tuple[str, str], int] = {}
    for index, measurement in enumerate(result.measurements):
        found = median_sample(measurement)
        if found is None or not len(found[1].spans):
            continue
        point = measurement.point
        key = (point.workload, point.strategy)
        if key not in chosen or point.workers > result.measurements[chosen[key]].point.workers:
            chosen[key] = index
    workloads = {w for w, s in chosen if s != "sequential"}
    picked = sorted(i for (w, s), i in chosen.items() if s != "sequential" or w not in workloads)
    return picked[:limit]


def _row_names(labels: Sequence[str]) -> list[str]:
    """Worker labels (``pid:thread``) shortened to what tells them apart."""
    pids = {label.split(":", 1)[0] for label in labels}
    names = {label.split(":", 1)[-1] for label in labels}
    if len(pids) == 1:
        threads = [label.split(":", 1)[-1] for label in labels]
        return [t.removeprefix("threadlab-") for t in threads]
    if len(names) == 1:
        return [f"pid {label.split(':', 1)[0]}" for label in labels]
    return list(labels)


def timeline(
    result: Result, points: int | Sequence[int] | None = None, *, image_format: ImageFormat = "png"
) -> bytes:
    """One row per worker (thread or process), one bar per task, from the median sample of a point.

    A bar spans a task from its start to its end; its colour is the task's
    CPU time over its wall time, from pale (the task waited: I/O, sleep, or a
    thread waiting for the GIL) to dark (it computed all along). Sleeping
    threads show as pale bars side by side (waiting overlaps); CPU-bound
    threads under the GIL as long, pale-to-middling bars that overlap, each
    busy only part of the time; processes as short dark bars in parallel.
    Failed tasks are drawn in red, hatched. Several points are drawn one
    above the other on the same time axis, to compare them.

    Args:
        result: the measurements.
        points: the index, or indices, of the points in ``result.measurements``;
            None picks :func:`default_timeline_point`.
        image_format: ``png`` or ``svg``.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: a point has no samples, or its median sample no spans.
        IndexError: an index is not a point of ``result``.
    """
    image_format = _check_format(image_format)
    if points is None:
        default = default_timeline_point(result)
        if default is None:
            raise NothingToPlot("nothing to plot: no point has a sample with recorded tasks")
        points = default
    indices = [points] if isinstance(points, int) else list(points)
    if not indices:
        raise ValueError("points must name at least one point")
    chosen = []
    for index in indices:
        if not 0 <= index < len(result.measurements):
            raise IndexError(f"point {index} is not in the result ({len(result.measurements)} points)")
        measurement = result.measurements[index]
        found = median_sample(measurement)
        if found is None:
            raise NothingToPlot(
                f"nothing to plot: point {index + 1} ({point_name(measurement)}) has no samples "
                f"(status {measurement.status})"
            )
        if not len(found[1].spans):
            raise NothingToPlot(
                f"nothing to plot: point {index + 1} ({point_name(measurement)}) recorded no task spans"
            )
        chosen.append((measurement, *found))
    with _style("timeline-" + "-".join(map(str, indices))):
        return _save(_timeline_figure(chosen), image_format)


def _rows(sample: Sample) -> list[int]:
    """The workers that ran a task in ``sample``, in the order they started their first."""
    spans = sample.spans
    first_start: dict[int, float] = {}
    for start, worker in zip(spans.start_s, spans.worker, strict=True):
        first_start[worker] = min(start, first_start.get(worker, start))
    return sorted(first_start, key=first_start.__getitem__)


def _timeline_figure(chosen: Sequence[tuple[Measurement, int, Sample]]) -> Figure:
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    rows = [len(_rows(sample)) for _, _, sample in chosen]
    heights = [0.9 + min(_MAX_ROW_INCHES * r, 6.0 / len(chosen)) for r in rows]
    figure = _figure(9.0, 0.7 + sum(heights))
    axes_list = figure.subplots(len(chosen), 1, sharex=True, squeeze=False, height_ratios=heights)[:, 0]
    # Blues without its near-white end, so that a task that only waited still shows.
    palette = ListedColormap(colormaps["Blues"](np.linspace(0.15, 1.0, 256)))
    end = max(max(sample.wall_s, max(sample.spans.end_s)) for _, _, sample in chosen)
    for axes, (measurement, sample_index, sample) in zip(axes_list, chosen, strict=True):
        _timeline_axes(axes, measurement, sample_index, sample, palette)
    axes_list[0].set_xlim(0, end * 1.04)
    axes_list[-1].set_xlabel("seconds from the start of the sample")
    colourbar = figure.colorbar(
        ScalarMappable(norm=Normalize(0.0, 1.0), cmap=palette),
        ax=list(axes_list),
        fraction=0.04,
        pad=0.01,
        aspect=25 * len(chosen),
    )
    colourbar.set_label("task CPU / task wall (0 waits, 1 computes)", fontsize=7)
    return figure


def _timeline_axes(
    axes: Axes, measurement: Measurement, sample_index: int, sample: Sample, palette: Colormap
) -> None:
    from matplotlib.patches import Patch

    spans = sample.spans
    used = _rows(sample)
    row_of = {worker: row for row, worker in enumerate(used)}
    edged = len(spans) <= _EDGED_BARS
    # Bars drawn in three calls (computed, failed, CPU unknown), not one call per task:
    # a thousand threads make a thousand bars.
    groups: dict[str, tuple[list[int], list[float], list[float], list[Any]]] = {
        "ok": ([], [], [], []),
        "failed": ([], [], [], []),
        "unknown": ([], [], [], []),
    }
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
        )
    axes.axvline(sample.wall_s, color="#444444", linestyle="--", linewidth=1)
    count = len(used)
    # Upright beside the line, in the room after the last task, clear of the title.
    axes.text(
        sample.wall_s, count - 0.4, " end of sample", fontsize=7, color="#444444", rotation=90, va="bottom"
    )
    if count <= _LABELLED_ROWS:
        axes.set_yticks(range(count), _row_names([spans.workers[w] for w in used]))
    else:
        axes.set_yticks([])
    axes.set_ylim(count - 0.4, -0.6)
    axes.grid(axis="y", visible=False)
    axes.set_ylabel(f"{count} worker{'s' if count != 1 else ''}")
    axes.set_title(
        f"{point_name(measurement)}: sample {sample_index + 1} of {len(measurement.samples)} "
        f"(the median, {seconds(sample.wall_s)}), {len(spans)} tasks",
        loc="left",
    )
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


# --- one entry point ---------------------------------------------------------------------------------


def plot(
    kind: PlotKind,
    result: Result,
    analysis: Analysis | None = None,
    *,
    image_format: ImageFormat = "png",
    point: int | Sequence[int] | None = None,
) -> bytes:
    """Draw one kind of plot of ``result``; see :func:`speedup`, :func:`wall`, :func:`timeline`, :func:`cpu`.

    Args:
        kind: ``speedup``, ``wall``, ``timeline`` or ``cpu``.
        result: the measurements.
        analysis: ``analyse(result)``, if already computed (used by ``speedup``).
        image_format: ``png`` or ``svg``.
        point: for ``timeline``, the index (or indices) of the point(s) in
            ``result.measurements``.

    Returns:
        The image file's bytes.

    Raises:
        NothingToPlot: the result holds nothing this kind of plot could show.
        ValueError: an unknown kind or format.
    """
    if kind == "speedup":
        return speedup(result, analysis, image_format=image_format)
    if kind == "wall":
        return wall(result, image_format=image_format)
    if kind == "timeline":
        return timeline(result, point, image_format=image_format)
    if kind == "cpu":
        return cpu(result, image_format=image_format)
    raise ValueError(f"plot kind must be one of {', '.join(PLOT_KINDS)}, not {kind!r}")
