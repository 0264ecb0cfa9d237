"""The command line; the only module that prints or exits.

What a command does is a call of the Python API (``_api``) or of a renderer; what is left
here is parsing (``_cli_types``), printing and the exit code (how an option names its API
parameter: docs/ARCHITECTURE.md). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from rich.text import Text

from threadlab import _cli_types as types
from threadlab._errors import NothingInCommon, SpecError, ThreadlabError
from threadlab.model import DEFAULT_MAX_TIME_S, Point, Result
from threadlab.orchestrate._progress import Progress, RoundProgress
from threadlab.render._export import EXPORT_FORMATS
from threadlab.render.plots import PLOT_KINDS
from threadlab.worker._text import ECHO_LIMIT, printable

if TYPE_CHECKING:
    from threadlab.analysis import Analysis

EXIT_BAD_INPUT = 2
EXIT_POINT_FAILED = 1
EXIT_INTERRUPTED = 130

_state = {"debug": False}
_Measured = TypeVar("_Measured")


def _out() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 120  # rich's 80 columns would wrap the tables in logs and pipes
    return console


def _err() -> Console:
    # Messages on stderr stay one line each, whatever the width: rich would
    # wrap them at 80 columns in logs and pipes, splitting a path in two.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _say(console: Console, line: str, style: str | None = None) -> None:
    """Print a line that may hold user text: as data, never markup, control characters escaped; line
    breaks stay (a traceback under ``--debug``), the renderers escape those of one-line fields."""
    console.print(printable(line, one_line=False), markup=False, style=style)


class _Command(click.Command):
    """A command that words the API's errors with its own flags: ``workers`` as ``--workers``."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SpecError as error:
            flags = {param.name: _flag(param) for param in self.params if param.name is not None}
            raise error.renamed(flags.get(error.option, error.option), flags) from error


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(package_name="threadlab")
def app(debug: bool) -> None:
    """threadlab: measure which concurrency strategy makes your Python code faster."""
    _state["debug"] = debug


app.command_class = _Command  # every command words the API's errors with its flags


class _ProgressView(Progress):
    """A progress bar over each group's time, on stderr, only when stderr is a terminal; notes always."""

    def __init__(self, quiet: bool) -> None:
        console = _err()
        self.progress = ProgressBar(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=quiet or not console.is_terminal,
        )
        self.task = self.progress.add_task("starting", total=1.0)

    def note(self, line: str) -> None:
        _say(self.progress.console, f"note: {line}")

    def point_started(self, point: Point) -> None:
        self._show(f"starting {point.label()}")

    def round_done(self, where: RoundProgress) -> None:
        self._show(where.line(), where.done)

    def _show(self, line: str, completed: float | None = None) -> None:
        # refresh: each start and round drawn, not only those a timed refresh catches
        self.progress.update(
            self.task, description=escape(printable(line)), completed=completed, refresh=True
        )


def _print_result(
    result: Result,
    title: str | None = None,
    *,
    command: str | None = "run",
    analysis: Analysis | None = None,
    waits_of: frozenset[str] | None = None,
    told: list[tuple[str, str | None]] | None = None,
) -> None:
    """The machine's noise, the results table, its problems, where the time went, then the analysis
    (the API's, where it made one). ``command``: whose options word what to do; None where it cannot
    measure again (``show``, the tour). ``waits_of``: the strategies whose waits are shown; None: all.
    ``told``: lines (and their style) the command says before the advice, instead of its heading."""
    from threadlab.analysis import analyse
    from threadlab.render._analysis import OPTIONS, advice_renderables, analysis_renderables
    from threadlab.render._tasks import task_tables
    from threadlab.render._terminal import noise_lines, problem_lines, results_table
    from threadlab.render._waits import waits_renderables

    console = _out()
    for line in noise_lines(result):
        _say(console, line)
    console.print(results_table(result, title))
    problems = problem_lines(result, full_tracebacks=_state["debug"])
    if problems:
        console.print("Problems:", style="bold")
        for line in problems:
            _say(console, line)
        console.print()
    for renderable in task_tables(result):
        console.print(renderable)
    for renderable in waits_renderables(result, waits_of, every_line=True):
        console.print(renderable)
    options = None if command is None else OPTIONS[command]
    analysis = analyse(result) if analysis is None else analysis
    for renderable in analysis_renderables(analysis, advice=told is None, options=options):
        console.print(renderable)
    if told is not None:
        for line, style in told:
            _say(console, line, style)
        for renderable in advice_renderables(analysis, options):
            console.print(renderable)


def _print_screen(
    result: Result,
    analysis: Analysis,
    answer: list[RenderableType],
    command: str | None,
    waits_of: frozenset[str] | None = None,
) -> None:
    """The default screen of run, advise and tour: the answer (after it, for a command that can
    measure again, the advice in its options' words), one compact table, folded warnings, then
    where the time went (``waits_of`` as ``_print_result`` takes it)."""
    from threadlab.render._analysis import OPTIONS, advice_renderables
    from threadlab.render._screen import screen_renderables
    from threadlab.render._waits import waits_renderables

    console = _out()
    options = None if command is None else OPTIONS[command]
    if options is not None:
        answer = [*answer, *advice_renderables(analysis, options), Text("")]
    for renderable in screen_renderables(
        result, analysis, answer, options=options, full_tracebacks=_state["debug"]
    ):
        console.print(renderable)
    for renderable in waits_renderables(result, waits_of):
        console.print(renderable)


_memory_budget_option = click.option(
    "--memory-budget",
    type=types.Size(),
    help="Memory the live workers may hold, like 4GB; past it, workers are closed and started afresh "
    "in their turn. Default: half the memory available.",
)


def _screen_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--no-waits``, ``--quiet`` and ``--verbose``, shared by the commands that measure and show it."""
    command = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Also the full table, per-task, scaling, pools and precision tables.",
    )(command)
    command = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(command)
    # Where each worker thread's time went (GIL, a lock, sleeping, I/O), read from /proc beside
    # the worker: on by default; off saves the sidecar's start-up (0.08-0.13 s a worker).
    return click.option(
        "--no-waits",
        is_flag=True,
        help="Do not read where the worker threads' time went (GIL, locks, sleeps, I/O).",
    )(command)


def _measured(api: Callable[..., _Measured], quiet: bool, no_waits: bool, **options: object) -> _Measured:
    """Call a measuring API function (run, advise, tour) under the progress bar (unless ``--quiet``)."""
    view = _ProgressView(quiet)
    with view.progress:
        return api(progress=view, waits=not no_waits, **options)


def _finish(result: Result, out: Path | None) -> None:
    """Say where results went; exit non-zero when points failed or Ctrl-C cut the run."""
    console = _err()
    if out is not None:
        _say(console, f"Results written to {out}")
    if result.interrupted:
        _say(
            console,
            f"Interrupted: {len(result.measurements)} point(s) measured"
            + (f", all saved in {out}" if out is not None else ""),
        )
        sys.exit(EXIT_INTERRUPTED)
    if any(m.status != "ok" for m in result.measurements):
        sys.exit(EXIT_POINT_FAILED)


_OUT_PATH = click.Path(dir_okay=True, path_type=Path)


def _round_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--precision``, ``--repeat`` and ``--warmup``, shared by the commands that measure in rounds."""
    command = click.option(
        "--warmup",
        type=types.Count(0),
        default="1",
        show_default=True,
        help="Discarded warm-up runs per point.",
    )(command)
    command = click.option(
        "--repeat",
        type=types.Count(1),
        default="5",
        show_default=True,
        help="The fewest rounds (timed samples per point).",
    )(command)
    return click.option(
        "--precision",
        type=types.Share(),
        default="0.05",
        show_default=True,
        help="Relative half-width every 95% speedup interval should reach (0.05 or 5%).",
    )(command)


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
        multiple=True,
        metavar="PYTHON",
        help="Run the workers under this Python: 3.12, 3.13t, a path, or all (every Python found here "
        "that can); repeatable. Default: this one. See threadlab interpreters.",
    )(command)


@app.command()
@click.option(
    "--workload",
    "-w",
    "workloads",
    type=types.Names("a workload name"),
    required=True,
    help="Workload(s), comma-separated, or module:function.",
)
@click.option(
    "--strategy",
    "-s",
    "strategies",
    type=types.Names("a strategy name"),
    default="sequential,threads",
    show_default=True,
    help="Strategies, comma-separated.",
)
@click.option(
    "--workers",
    "-n",
    type=types.Workers(),
    default="1,2",
    show_default=True,
    help="Worker counts, comma-separated, e.g. 1,2,1000.",
)
@click.option(
    "--tasks",
    type=types.Count(1),
    help="Total tasks per point (fixed work). Default: one per worker.",
)
@_round_options
@click.option(
    "--max-time",
    type=types.Seconds(),
    default=f"{DEFAULT_MAX_TIME_S:g}",
    show_default=True,
    help="Seconds the run may take, its workers' start-ups included; the rounds stop there if not precise "
    "before.",
)
@_memory_budget_option
@click.option(
    "--param",
    "-p",
    "params",
    type=types.KeyValue(),
    multiple=True,
    help="key=value for a workload or strategy parameter; k=1,2,4 sweeps it, a point each; repeatable.",
)
@click.option(
    "--timeout",
    type=types.Seconds(),
    default="600",
    show_default=True,
    help="Seconds before a sample (or a point's start-up) is killed and the point recorded as timed out.",
)
@click.option(
    "--max-workers",
    type=types.Count(1),
    help="Raise the safe worker limit of every strategy to this.",
)
@_interpreter_options
@click.option(
    "--scheduler",
    help="dask: tcp://HOST:PORT of a running Dask scheduler to use (default: $THREADLAB_DASK_SCHEDULER, "
    "else a LocalCluster here).",
)
@click.option("--out", "-o", type=_OUT_PATH, help="Write the results file here.")
@_screen_options
def run(
    params: tuple[tuple[str, str], ...],
    out: Path | None,
    no_waits: bool,
    quiet: bool,
    verbose: bool,
    **options: object,
) -> None:
    """Measure workloads × strategies × worker counts in interleaved rounds and print one table."""
    from threadlab._api import run as run_api

    result = _measured(run_api, quiet, no_waits, params=types.params_given(params), out=out, **options)
    if verbose:
        _print_result(result)
    else:
        from threadlab.analysis import analyse

        _print_screen(result, analyse(result), [Text("What the measurements say:", style="bold")], "run")
    _finish(result, out)


@app.command()
@click.argument("function", metavar="TARGET")
@click.option(
    "--args",
    type=types.JsonArgs(),
    help="JSON list of positional arguments for every call, e.g. '[0.1, \"x\"]'.",
)
@click.option("--inputs", help="module:name of a sequence; one call per item.")
@click.option("--tasks", type=types.Count(1), help="Calls per point (default: fitted to the budget).")
@click.option(
    "--budget",
    type=types.Seconds(),
    default="60",
    show_default=True,
    help="Seconds the whole sweep may take.",
)
@_memory_budget_option
@_round_options
@_interpreter_options
@click.option(
    "--scheduler",
    help="tcp://HOST:PORT of a running Dask scheduler: try dask on its workers too.",
)
@click.option("--out", "-o", type=_OUT_PATH, help="Write the results file, analysis included.")
@_screen_options
def advise(
    function: str,
    args: tuple[object, ...] | None,
    inputs: str | None,
    out: Path | None,
    no_waits: bool,
    quiet: bool,
    verbose: bool,
    **options: object,
) -> None:
    """Measure TARGET (module:function or file.py:function) and recommend a strategy."""
    from threadlab._api import advise as advise_api

    if args is not None and inputs is not None:
        raise SpecError("args", "--args and --inputs exclude each other; give one of them")
    found = _measured(
        advise_api, quiet, no_waits, function=function, args=args, inputs=inputs, out=out, **options
    )
    threads = frozenset({"threads"})  # advise shows the waits of threads alone
    if not verbose:
        notes: list[RenderableType] = [Text(printable(f"note: {note}")) for note in found.notes]
        _print_screen(found.result, found.analysis, notes, "advise", waits_of=threads)
    else:
        _print_result(
            found.result,
            title=f"advise {function}",
            command="advise",
            analysis=found.analysis,
            waits_of=threads,
            told=[*((f"note: {note}", None) for note in found.notes), ("", None)],
        )
    _finish(found.result, out)


@app.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    type=types.OneOf(EXPORT_FORMATS),
    default="table",
    show_default=True,
    help="table (with the analysis), json (the results file), csv or markdown (one row per point).",
)
def show(results: Path, output_format: str) -> None:
    """Print a results file again: as tables, or as JSON, CSV or Markdown."""
    from threadlab.render import _export

    result = _load(results)
    if output_format == "table":
        _print_result(result, command=None)
        return
    exporters = {"json": _export.to_json, "csv": _export.to_csv, "markdown": _export.to_markdown}
    sys.stdout.write(exporters[output_format](result))


@app.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    "-k",
    type=types.OneOf(PLOT_KINDS),
    default="speedup",
    show_default=True,
    help="The kind of plot.",
)
@click.option("--out", "-o", type=_OUT_PATH, required=True, help="The image to write: FILE.png or FILE.svg.")
@click.option(
    "--point",
    "points",
    type=types.PointNumbers(),
    help="timeline: point number(s), e.g. 7 or 7,11 (default: the most workers).",
)
def plot(results: Path, kind: str, out: Path, points: tuple[int, ...] | None) -> None:
    """Draw a plot of a results file as PNG or SVG."""
    from threadlab._api import plot as plot_api

    _say(_err(), f"Plot written to {plot_api(_load(results), out, kind=kind, points=points)}")


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
    from threadlab._api import report as report_api

    loaded = [_load(path) for path in results]
    _say(_err(), f"Report written to {report_api(loaded, out, names=[str(path) for path in results])}")


@app.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--fail-slower",
    type=types.Percent(),
    metavar="PERCENT",
    help="Exit with code 1 if a point is significantly slower by more than PERCENT (for CI).",
)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=types.OneOf(("table", "markdown")),
    default="table",
    show_default=True,
    help="table, or markdown: a block for a pull request comment or $GITHUB_STEP_SUMMARY.",
)
def compare(base: Path, new: Path, fail_slower: float | None, output_format: str) -> None:
    """Compare two results files point by point: faster, slower, or not significant."""
    from threadlab._api import compare as compare_api
    from threadlab.render._compare import (
        change_text,
        compare_markdown,
        compared_names,
        comparison_renderables,
    )

    try:
        compared = compare_api(_load(base), _load(new), fail_slower=fail_slower)
    except NothingInCommon as error:
        # Two files with no point in common are the wrong files: bad input, not a finding.
        _fail(
            f"threadlab: error: nothing of {str(new)!r} could be compared with {str(base)!r}: {error}",
            EXIT_BAD_INPUT,
            _state["debug"],
        )
    shown = (compared.comparison, compared.base, compared.new, str(base), str(new))
    if output_format == "markdown":
        sys.stdout.write(compare_markdown(*shown, fail_slower=fail_slower, regressed=compared.regressed))
    else:
        console = _out()
        for renderable in comparison_renderables(*shown):
            console.print(renderable)
    if compared.compared_nothing:
        _say(
            _err(),
            f"threadlab: --fail-slower {fail_slower:g}: no point of {str(new)!r} could be compared "
            f"with {str(base)!r}, so no slowdown can be ruled out",
        )
    elif compared.regressed:
        names, _ = compared_names(compared.base, compared.new)
        named = "; ".join(f"{names[c.base_index]} ({change_text(c)})" for c in compared.regressed)
        _say(
            _err(),
            f"threadlab: {len(compared.regressed)} point(s) significantly slower by more than "
            f"{compared.fail_slower:g}%: {named}",
        )
    if not compared.passed:
        sys.exit(EXIT_POINT_FAILED)


def _load(path: Path) -> Result:
    """A results file named on the command line; one that cannot be read or trusted is bad input."""
    from threadlab._errors import ResultsFileError
    from threadlab.orchestrate._store import load_result

    try:
        return load_result(path)
    except ResultsFileError as error:
        _fail(f"threadlab: error: {error}", EXIT_BAD_INPUT, _state["debug"])


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
@click.option("--quick", is_flag=True, help="Shorter durations (about 15 s in all).")
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
    multiple=True,
    metavar="PYTHON",
    help="3.12, 3.13t, a path, or all: the lessons run under the first; with several, the "
    "'which Python' lesson compares them (default: up to 3 of the Pythons found here).",
)
@_memory_budget_option
@_screen_options
def tour(
    quick: bool,
    out: Path,
    python: tuple[str, ...],
    memory_budget: int | None,
    no_waits: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run the classic lessons of Python concurrency here and explain what they show."""
    from threadlab._api import tour as tour_api

    toured = _measured(
        tour_api, quiet, no_waits, quick=quick, python=python, out=out, memory_budget=memory_budget
    )
    if not verbose:
        from threadlab.render._screen import tour_answer

        lessons = [(finding.title, finding.text) for finding in toured.findings]
        _print_screen(toured.result, toured.analysis, tour_answer(lessons), None, waits_of=frozenset())
    else:
        told: list[tuple[str, str | None]] = [("The lessons, as measured here:", "bold")]
        for number, finding in enumerate(toured.findings, start=1):
            told += [(f"{number}. {finding.title}", "bold"), (f"   {finding.text}", None)]
        _print_result(
            toured.result,
            title="The tour: what was measured on this machine",
            command=None,
            analysis=toured.analysis,
            # The lessons cite the waits that tell them; a table of every lesson's points (11 rows
            # with the "which Python" lesson) would not fit 120 columns.
            waits_of=frozenset(),
            told=[*told, ("", None), ("What to use, workload by workload:", "bold")],
        )
    if toured.report_path is not None:
        _say(_err(), f"Report written to {toured.report_path}")
    _finish(toured.result, toured.results_path)


@app.command()
@click.option(
    "--python",
    multiple=True,
    metavar="PATH",
    help="List only this Python (a path, a command, a version like 3.13t, or all); repeatable.",
)
@click.option("--refresh", is_flag=True, help="Probe every Python again instead of using the cache.")
def interpreters(python: tuple[str, ...], refresh: bool) -> None:
    """List the Pythons found here: version, free-threading, GIL, subinterpreters, whether threadlab runs.

    Looks for python3.X on PATH, pyenv versions, uv-managed Pythons and the
    builds of scripts/free-threaded-python.sh (~/.cache/threadlab/pythons);
    with --python, lists only the Pythons it names. Answers are cached
    (THREADLAB_CACHE_DIR, else ~/.cache/threadlab) until a Python or
    threadlab changes.
    """
    from threadlab.orchestrate._discover import cache_file
    from threadlab.orchestrate._select import listed
    from threadlab.render._interpreters import interpreters_table

    found = listed(python, use_cache=not refresh)
    _out().print(interpreters_table(found))
    usable = sum(1 for f in found if f.can_host)
    _say(
        _err(), f"{len(found)} Python(s) found, {usable} can run threadlab's worker; cached in {cache_file()}"
    )


class _Interrupts:
    """Ctrl-C, SIGTERM and SIGHUP end a command alike: the first one raises ``KeyboardInterrupt``, a run
    ends its workers and saves what it measured (``interrupted`` true), the command exits 130. Later ones
    are dropped, so that a terminal closing (SIGHUP, then SIGTERM) or a second Ctrl-C cannot cut that
    ending short and leave a worker or a half-saved file behind; SIGKILL remains, and a worker dies with
    its orchestrator."""

    def __init__(self) -> None:
        self.first: str | None = None

    def __call__(self, signum: int, frame: object) -> None:
        if self.first is None:
            self.first = signal.Signals(signum).name
            raise KeyboardInterrupt(self.first)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``threadlab`` command (through ``threadlab.__main__``, which holds start-up)."""
    before: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        interrupts = _Interrupts()
        for number in [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]:
            before[number] = signal.signal(number, interrupts)
    try:
        _main(sys.argv[1:] if argv is None else argv)
    finally:
        for number, handler in before.items():  # as they were: main() may run inside a test
            signal.signal(number, handler)  # type: ignore[arg-type]  # what signal.signal returned


def _main(args: list[str]) -> NoReturn:
    debug = "--debug" in args
    try:
        code = app.main(args=args, prog_name="threadlab", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _say(_err(), "threadlab: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except types.Refused as error:
        _fail(f"threadlab: error: {_flag(error.param)}: {error.message}", EXIT_BAD_INPUT, debug)
    except click.UsageError as error:
        where = f"threadlab {error.ctx.info_name}" if error.ctx and error.ctx.parent else "threadlab"
        _fail(f"{where}: error: {_cut_words(error.format_message())}", EXIT_BAD_INPUT, debug)
    except SpecError as error:
        _fail(f"threadlab: error: {error}", EXIT_BAD_INPUT, debug)
    except ThreadlabError as error:
        _fail(f"threadlab: error: {error}", EXIT_POINT_FAILED, debug)
    # Without standalone mode, click returns the code of typer.Exit instead of raising it.
    sys.exit(code if isinstance(code, int) else 0)


def _flag(param: click.Parameter | None) -> str:
    """How the user named an option: its long flag (``--workers`` for ``-n``), or an argument's name."""
    if param is None:
        return "option"
    flags = [flag for flag in param.opts if flag.startswith("--")]
    return flags[0] if flags else param.human_readable_name


def _cut_words(message: str) -> str:
    """click's message with each word past ``ECHO_LIMIT`` characters cut: it echoes what was typed."""
    return re.sub(
        rf"\S{{{ECHO_LIMIT + 1},}}",
        lambda word: f"{word.group()[:ECHO_LIMIT]}… ({len(word.group()):,} characters)",
        message,
    )


def _fail(line: str, code: int, debug: bool) -> NoReturn:
    if debug:
        import traceback

        traceback.print_exc()
    print(printable(" ".join(line.split())), file=sys.stderr)
    sys.exit(code)
