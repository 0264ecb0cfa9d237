"""The command line; the only module that prints or exits.

Options arrive as text and are checked by threadlab itself (not by the CLI
framework), so that every bad value gets the same kind of answer: one line
naming the option, the value and what is accepted, exit code 2, before any
work starts. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from threadlab._errors import SpecError, ThreadlabError
from threadlab._model import Point, Result, Sample, Spec

if TYPE_CHECKING:
    from threadlab.orchestrate._advise import Advice
    from threadlab.orchestrate._interpreters import Selection

EXIT_BAD_INPUT = 2
EXIT_POINT_FAILED = 1
EXIT_INTERRUPTED = 130

_state = {"debug": False}


def _out() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # rich's 80 columns would wrap the tables in logs and pipes
    return console


def _err() -> Console:
    # Messages on stderr stay one line each, whatever the width: rich would
    # wrap them at 80 columns in logs and pipes, splitting a path in two.
    return Console(stderr=True, highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(package_name="threadlab")
def app(debug: bool) -> None:
    """threadlab: measure which concurrency strategy makes your Python code faster."""
    _state["debug"] = debug


class _ProgressView:
    """A progress bar over samples, on stderr, only when stderr is a terminal."""

    def __init__(self, total_samples: int, quiet: bool) -> None:
        console = _err()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
        )
        self.fixed_total = total_samples > 0
        self.task = self.progress.add_task("starting", total=total_samples)

    def on_point(self, index: int, total: int, point: Point) -> None:
        self.progress.update(self.task, description=f"[{index + 1}/{total}] {point.label()}")
        if not self.fixed_total:  # a sweep that plans as it goes: grow the total point by point
            self.progress.update(
                self.task, total=(self.progress.tasks[0].total or 0) + point.repeat + point.warmup
            )

    def on_sample(self, point: Point, sample: Sample, warmup: bool) -> None:
        self.progress.advance(self.task)


def _run_spec(spec: Spec, out: Path | None, quiet: bool, points: tuple[Point, ...] | None = None) -> Result:
    from threadlab.orchestrate._execute import execute
    from threadlab.orchestrate._plan import plan

    todo = points if points is not None else plan(spec)
    if out is not None:
        from threadlab.orchestrate._store import check_writable

        check_writable(out)
    view = _ProgressView(sum(p.repeat + p.warmup for p in todo), quiet)
    with view.progress:
        return execute(spec, out=out, on_point=view.on_point, on_sample=view.on_sample, points=todo)


def _print_result(result: Result, title: str | None = None, *, advice: bool = True) -> None:
    """The results table, its problems, then the analysis: scaling, stability, advice."""
    from threadlab.analysis import analyse
    from threadlab.render._analysis import analysis_renderables
    from threadlab.render._tasks import task_tables
    from threadlab.render._terminal import problem_lines, results_table

    console = _out()
    console.print(results_table(result, title))
    problems = problem_lines(result, full_tracebacks=_state["debug"])
    if problems:
        console.print("Problems:", style="bold")
        for line in problems:
            console.print(line, markup=False)
        console.print()
    for renderable in task_tables(result):
        console.print(renderable)
    for renderable in analysis_renderables(analyse(result), advice=advice):
        console.print(renderable)


def _finish(result: Result, out: Path | None) -> None:
    """Say where results went; exit non-zero when points failed or Ctrl-C cut the run."""
    console = _err()
    if out is not None:
        console.print(f"Results written to {out}", markup=False)
    if result.interrupted:
        console.print(
            f"Interrupted: {len(result.measurements)} point(s) measured"
            + (f", all saved in {out}" if out is not None else ""),
            markup=False,
        )
        sys.exit(EXIT_INTERRUPTED)
    if any(m.status != "ok" for m in result.measurements):
        sys.exit(EXIT_POINT_FAILED)


_OUT_PATH = click.Path(dir_okay=True, path_type=Path)


def _interpreter_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--python`` and ``--gil``, shared by the commands that run workers."""
    command = click.option(
        "--gil",
        default="default",
        show_default=True,
        help="on or off: run free-threaded builds (3.13t, 3.14t) with or without their GIL.",
    )(command)
    return click.option(
        "--python",
        "python",
        multiple=True,
        metavar="PYTHON",
        help="Run the workers under this Python: 3.12, 3.13t, a path, or all (every Python found here "
        "that can); repeatable. Default: this one. See threadlab interpreters.",
    )(command)


@app.command()
@click.option("--workload", "-w", required=True, help="Workload(s), comma-separated, or module:function.")
@click.option(
    "--strategy", "-s", default="sequential,threads", show_default=True, help="Strategies, comma-separated."
)
@click.option(
    "--workers", "-n", default="1,2", show_default=True, help="Worker counts, comma-separated, e.g. 1,2,1000."
)
@click.option("--tasks", default=None, help="Total tasks per point (fixed work). Default: one per worker.")
@click.option("--repeat", default="5", show_default=True, help="Timed samples per point.")
@click.option("--warmup", default="1", show_default=True, help="Discarded warm-up runs per point.")
@click.option(
    "--param",
    "-p",
    "param",
    multiple=True,
    help="key=value for a workload or strategy parameter; repeatable.",
)
@click.option(
    "--timeout",
    default="600",
    show_default=True,
    help="Seconds before a point is killed and recorded as timed out.",
)
@click.option("--max-workers", default=None, help="Raise the safe worker limit of every strategy to this.")
@_interpreter_options
@click.option(
    "--scheduler",
    default=None,
    help="dask: tcp://HOST:PORT of a running Dask scheduler to use (default: $THREADLAB_DASK_SCHEDULER, "
    "else a LocalCluster here).",
)
@click.option("--out", "-o", type=_OUT_PATH, default=None, help="Write the results file here.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(
    workload: str,
    strategy: str,
    workers: str,
    tasks: str | None,
    repeat: str,
    warmup: str,
    param: tuple[str, ...],
    timeout: str,
    max_workers: str | None,
    python: tuple[str, ...],
    gil: str,
    scheduler: str | None,
    out: Path | None,
    quiet: bool,
) -> None:
    """Measure workloads × strategies × worker counts and print one table."""
    from threadlab.orchestrate._plan import (
        parse_count,
        parse_params,
        parse_seconds,
        parse_workers,
        split_list,
    )

    spec = Spec(
        workloads=tuple(split_list(workload)) or _refuse("--workload", workload, "a workload name"),
        strategies=tuple(split_list(strategy)) or _refuse("--strategy", strategy, "a strategy name"),
        workers=parse_workers(workers),
        tasks=None if tasks is None else parse_count("--tasks", tasks, 1),
        repeat=parse_count("--repeat", repeat, 1),
        warmup=parse_count("--warmup", warmup, 0),
        params=_with_scheduler(parse_params(param), scheduler, split_list(strategy)),
        timeout_s=parse_seconds("--timeout", timeout),
        python=sys.executable,
        max_workers=None if max_workers is None else parse_count("--max-workers", max_workers, 1),
    )
    result = _run_spec(spec, out, quiet, _plan_pythons(spec, python, gil))
    _print_result(result)
    _finish(result, out)


def _refuse(option: str, value: str, expected: str) -> NoReturn:
    raise SpecError(option, f"{value!r} names nothing; expected {expected}")


def _select_pythons(values: tuple[str, ...]) -> Selection:
    """The Pythons ``--python`` names; those ``all`` leaves out are said on stderr."""
    from threadlab.orchestrate._interpreters import select

    selection = select(values)
    for line in selection.skipped:
        _err().print(f"note: {line}", markup=False)
    return selection


def _plan_pythons(spec: Spec, values: tuple[str, ...], gil: str) -> tuple[Point, ...]:
    """Plan ``spec`` once per Python ``--python`` names, with ``--gil``; notes go to stderr."""
    import dataclasses

    from threadlab.orchestrate._interpreters import parse_gil
    from threadlab.orchestrate._plan import plan

    mode = parse_gil(gil)
    executables = _select_pythons(values).executables
    spec = dataclasses.replace(
        spec, python=executables[0], pythons=executables if len(executables) > 1 else (), gil=mode
    )
    notes: list[str] = []
    points = plan(spec, notes)
    for line in notes:
        _err().print(f"note: {line}", markup=False)
    return points


def _with_scheduler(params: dict[str, str], scheduler: str | None, strategies: list[str]) -> dict[str, str]:
    """``params`` with the dask strategy's ``scheduler``: ``--scheduler``, else the environment's.

    The address is refused here, before any work starts, when it is malformed
    or no Dask scheduler answers there (within 10 s).
    """
    from threadlab.scaleout.dask_cluster import SCHEDULER_ENV, check_scheduler, scheduler_address

    option = "--scheduler"
    if scheduler is not None and "dask" not in strategies:
        raise SpecError(option, f"{scheduler!r} is for the dask strategy, which --strategy does not name")
    if scheduler is not None and "scheduler" in params:
        raise SpecError(option, "is given twice, as --scheduler and --param scheduler=; give one")
    if scheduler is None and "dask" in strategies and "scheduler" not in params:
        scheduler, option = os.environ.get(SCHEDULER_ENV) or None, SCHEDULER_ENV
    if scheduler is None:
        return params
    try:
        address = scheduler_address(scheduler)
        check_scheduler(address)
    except ValueError as error:
        raise SpecError(option, str(error)) from None
    return {**params, "scheduler": address}


def _merge_advice(sweeps: list[Advice], labels: list[str], out: Path | None) -> Advice:
    """One advice from the sweeps of several Pythons: their points together, analysed by Python."""
    import dataclasses

    from threadlab.analysis import analyse
    from threadlab.orchestrate._advise import Advice
    from threadlab.orchestrate._store import save_result

    first = sweeps[0].result
    pythons = tuple(sweep.result.spec.python for sweep in sweeps)
    result = Result(
        spec=dataclasses.replace(first.spec, pythons=pythons),
        environment=first.environment,
        measurements=tuple(m for sweep in sweeps for m in sweep.result.measurements),
        interrupted=any(sweep.result.interrupted for sweep in sweeps),
    )
    if out is not None:
        save_result(result, out)
    analysis = analyse(result)
    recommendation = analysis.recommendations[0] if analysis.recommendations else None
    notes = tuple(
        f"{label}: {note}" for label, sweep in zip(labels, sweeps, strict=False) for note in sweep.notes
    )
    return Advice(result, analysis, recommendation, notes)


@app.command()
@click.argument("target")
@click.option(
    "--args",
    "args_json",
    default=None,
    help="JSON list of positional arguments for every call, e.g. '[0.1, \"x\"]'.",
)
@click.option("--inputs", default=None, help="module:name of a sequence; one call per item.")
@click.option("--tasks", default=None, help="Calls per point (default: fitted to the budget).")
@click.option("--budget", default="60", show_default=True, help="Seconds the whole sweep may take.")
@click.option("--repeat", default="5", show_default=True, help="Timed samples per point.")
@click.option("--warmup", default="1", show_default=True, help="Discarded warm-up runs per point.")
@_interpreter_options
@click.option("--out", "-o", type=_OUT_PATH, default=None, help="Write the results file, analysis included.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def advise(
    target: str,
    args_json: str | None,
    inputs: str | None,
    tasks: str | None,
    budget: str,
    repeat: str,
    warmup: str,
    python: tuple[str, ...],
    gil: str,
    out: Path | None,
    quiet: bool,
) -> None:
    """Measure TARGET (module:function or file.py:function) and recommend a strategy."""
    from threadlab.orchestrate._advise import advise_sweep
    from threadlab.orchestrate._interpreters import check_gil, parse_gil
    from threadlab.orchestrate._plan import parse_count, parse_seconds
    from threadlab.render._analysis import advice_renderables
    from threadlab.worker.workloads._function import parse_args

    if args_json is not None and inputs is not None:
        raise SpecError("--args", "--args and --inputs exclude each other; give one of them")
    if args_json is not None:
        try:
            parse_args(args_json)
        except ValueError as error:
            raise SpecError("--args", str(error)) from None
    count = None if tasks is None else parse_count("--tasks", tasks, 1)
    seconds = parse_seconds("--budget", budget)
    samples = parse_count("--repeat", repeat, 1)
    warmups = parse_count("--warmup", warmup, 0)
    mode = parse_gil(gil)
    hosts = _select_pythons(python).interpreters
    gil_notes: list[str] = []
    gils = check_gil(hosts, mode, gil_notes)
    for line in gil_notes:
        _err().print(f"note: {line}", markup=False)
    view = _ProgressView(0, quiet)
    sweeps = []
    with view.progress:
        for host, host_gil in zip(hosts, gils, strict=True):
            # Several Pythons share the budget; each gets its own sweep and recommendation.
            sweeps.append(
                advise_sweep(
                    target,
                    args=args_json or "[]",
                    inputs=inputs or "",
                    tasks=count,
                    budget_s=seconds / len(hosts),
                    repeat=samples,
                    warmup=warmups,
                    python=host.executable,
                    gil=host_gil,
                    out=out if len(hosts) == 1 else None,
                    on_point=view.on_point,
                    on_sample=view.on_sample,
                )
            )
            if sweeps[-1].result.interrupted:
                break
    labels = [host.label() for host in hosts]
    found = sweeps[0] if len(sweeps) == 1 else _merge_advice(sweeps, labels, out)
    console = _out()
    _print_result(found.result, title=f"advise {target}", advice=False)
    for note in found.notes:
        console.print(f"note: {note}", markup=False)
    console.print()
    for renderable in advice_renderables(found.analysis):
        console.print(renderable)
    _finish(found.result, out)


@app.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    default="table",
    show_default=True,
    help="table (with the analysis), json (the results file), csv or markdown (one row per point).",
)
def show(results: Path, output_format: str) -> None:
    """Print a results file again: as tables, or as JSON, CSV or Markdown."""
    from threadlab.orchestrate._store import load_result
    from threadlab.render import _export
    from threadlab.render._options import parse_choice

    chosen = parse_choice("--format", output_format, _export.EXPORT_FORMATS)
    result = load_result(results)
    if chosen == "table":
        _print_result(result)
        return
    exporters = {"json": _export.to_json, "csv": _export.to_csv, "markdown": _export.to_markdown}
    sys.stdout.write(exporters[chosen](result))


@app.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--kind", "-k", default="speedup", show_default=True, help="speedup, wall, timeline or cpu.")
@click.option("--out", "-o", type=_OUT_PATH, required=True, help="The image to write: FILE.png or FILE.svg.")
@click.option(
    "--point", default=None, help="timeline: point number(s), e.g. 7 or 7,11 (default: the most workers)."
)
def plot(results: Path, kind: str, out: Path, point: str | None) -> None:
    """Draw a plot of a results file as PNG or SVG."""
    from threadlab.orchestrate._store import check_writable, load_result
    from threadlab.render import _plots
    from threadlab.render._options import image_format_of, parse_choice, parse_points

    chosen = parse_choice("--kind", kind, _plots.PLOT_KINDS)
    image_format = image_format_of(out)
    if point is not None and chosen != "timeline":
        raise SpecError("--point", f"{point!r} applies to --kind timeline only, not {chosen}")
    check_writable(out)
    result = load_result(results)
    indices = None if point is None else parse_points("--point", point, len(result.measurements))
    try:
        image = _plots.plot(chosen, result, image_format=image_format, point=indices)
    except _plots.NothingToPlot as nothing:
        raise SpecError("--kind", f"{chosen}: {nothing}") from None
    _write_bytes(out, image)
    _err().print(f"Plot written to {out}", markup=False)


@app.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=_OUT_PATH,
    default=Path("threadlab-report.html"),
    show_default=True,
    help="The HTML file to write.",
)
def report(results: tuple[Path, ...], out: Path) -> None:
    """Write one self-contained HTML report of one or more results files."""
    from threadlab.orchestrate._store import check_writable, load_result
    from threadlab.render._html import html_report

    check_writable(out)
    runs = [(str(path), load_result(path)) for path in results]
    _write_bytes(out, html_report(runs).encode("utf-8"))
    _err().print(f"Report written to {out}", markup=False)


@app.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--fail-slower",
    default=None,
    metavar="PERCENT",
    help="Exit with code 1 if a point is significantly slower by more than PERCENT (for CI).",
)
def compare(base: Path, new: Path, fail_slower: str | None) -> None:
    """Compare two results files point by point: faster, slower, or not significant."""
    from threadlab.analysis._compare import compare as compare_results
    from threadlab.orchestrate._store import load_result
    from threadlab.render._compare import change_text, comparison_renderables
    from threadlab.render._labels import point_name
    from threadlab.render._options import parse_percent

    limit = None if fail_slower is None else parse_percent("--fail-slower", fail_slower)
    before, after = load_result(base), load_result(new)
    comparison = compare_results(before, after)
    console = _out()
    for renderable in comparison_renderables(comparison, before, after, str(base), str(new)):
        console.print(renderable)
    if limit is not None:
        slower = comparison.slower_than(limit)
        if slower:
            named = "; ".join(
                f"{point_name(before.measurements[c.base_index])} ({change_text(c)})" for c in slower
            )
            _err().print(
                f"threadlab: {len(slower)} point(s) significantly slower by more than {limit:g}%: {named}",
                markup=False,
            )
            sys.exit(EXIT_POINT_FAILED)


def _write_bytes(path: Path, content: bytes) -> None:
    """Write a file atomically (a temporary file, then a rename), or fail with one line."""
    import tempfile

    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise ThreadlabError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


@app.command()
def workloads() -> None:
    """List the workloads: what a task does, parameters, whether it runs here."""
    from threadlab._catalogue import workloads as catalogue
    from threadlab.render._terminal import workloads_table

    _out().print(workloads_table(catalogue()))


@app.command()
def strategies() -> None:
    """List the strategies: how they run tasks, parameters, whether they run here."""
    from threadlab._catalogue import strategies as catalogue
    from threadlab.render._terminal import strategies_table

    _out().print(strategies_table(catalogue()))


@app.command()
@click.option("--quick", is_flag=True, help="Shorter durations (about 10 s in all).")
@click.option(
    "--out",
    "-o",
    type=_OUT_PATH,
    default=Path("threadlab-tour.json"),
    show_default=True,
    help="Where to write the tour's results file.",
)
@click.option(
    "--python",
    "python",
    multiple=True,
    metavar="PYTHON",
    help="3.12, 3.13t, a path, or all: the lessons run under the first; with several, the "
    "'which Python' lesson compares them (default: up to 3 of the Pythons found here).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def tour(quick: bool, out: Path, python: tuple[str, ...], quiet: bool) -> None:
    """Run the classic lessons of Python concurrency here and explain what they show."""
    import dataclasses

    from threadlab._tour import findings, tour_points, tour_spec
    from threadlab._tour_interpreters import lesson_points, lesson_pythons
    from threadlab.orchestrate._interpreters import discover

    chosen = _select_pythons(python).interpreters
    compared = lesson_pythons(chosen if len(chosen) > 1 else discover())
    spec = tour_spec(quick, chosen[0].executable)
    if compared:
        spec = dataclasses.replace(spec, pythons=(spec.python, *(p.executable for p in compared)))
    points = tour_points(quick, spec.python) + lesson_points(compared, quick)
    result = _run_spec(spec, out, quiet, points=points)
    console = _out()
    _print_result(result, title="The tour: what was measured on this machine", advice=False)
    console.print("The lessons, as measured here:", style="bold")
    for number, finding in enumerate(findings(result), start=1):
        console.print(f"{number}. {finding.title}", style="bold", markup=False)
        console.print(f"   {finding.text}", markup=False)
    console.print()
    from threadlab.analysis import analyse
    from threadlab.render._analysis import advice_renderables

    console.print("What to use, workload by workload:", style="bold")
    for renderable in advice_renderables(analyse(result)):
        console.print(renderable)
    from threadlab.render._html import Lesson, html_report

    page = out.with_suffix(".html") if out.suffix != ".html" else out.with_name(out.name + ".html")
    lessons = [Lesson(finding.title, finding.text) for finding in findings(result)]
    title = "threadlab tour: what was measured on this machine"
    _write_bytes(page, html_report([(str(out), result)], title=title, lessons=lessons).encode("utf-8"))
    _err().print(f"Report written to {page}", markup=False)
    _finish(result, out)


@app.command()
@click.option(
    "--python",
    "python",
    multiple=True,
    metavar="PATH",
    help="Also probe this Python; repeatable.",
)
@click.option("--refresh", is_flag=True, help="Probe every Python again instead of using the cache.")
def interpreters(python: tuple[str, ...], refresh: bool) -> None:
    """List the Pythons found here: version, free-threading, GIL, subinterpreters, whether threadlab runs.

    Looks for python3.X on PATH, pyenv versions, uv-managed Pythons and the
    paths given. Answers are cached (THREADLAB_CACHE_DIR, else
    ~/.cache/threadlab) until a Python or threadlab changes.
    """
    from threadlab.orchestrate._interpreters import cache_file, discover
    from threadlab.render._interpreters import interpreters_table

    found = discover(python, use_cache=not refresh)
    _out().print(interpreters_table(found))
    usable = sum(1 for f in found if f.can_host)
    _err().print(
        f"{len(found)} Python(s) found, {usable} can run threadlab's worker; cached in {cache_file()}",
        markup=False,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``threadlab`` command."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app.main(args=args, prog_name="threadlab", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        _err().print("threadlab: interrupted", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as error:
        where = f"threadlab {error.ctx.info_name}" if error.ctx and error.ctx.parent else "threadlab"
        _fail(f"{where}: error: {error.format_message()}", EXIT_BAD_INPUT, debug)
    except SpecError as error:
        _fail(f"threadlab: error: {error}", EXIT_BAD_INPUT, debug)
    except ThreadlabError as error:
        _fail(f"threadlab: error: {error}", EXIT_POINT_FAILED, debug)
    except KeyboardInterrupt:
        _err().print("threadlab: interrupted", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    # Without standalone mode, click returns the code of typer.Exit instead of raising it.
    sys.exit(code if isinstance(code, int) else 0)


def _fail(line: str, code: int, debug: bool) -> NoReturn:
    if debug:
        import traceback

        traceback.print_exc()
    print(" ".join(line.split()), file=sys.stderr)
    sys.exit(code)
