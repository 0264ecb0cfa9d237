"""The command line; the only module that prints or exits.

Options arrive as text and are checked by threadlab itself (not by the CLI
framework), so that every bad value gets the same kind of answer: one line
naming the option, the value and what is accepted, exit code 2, before any
work starts. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from threadlab._errors import SpecError, ThreadlabError
from threadlab._model import Point, Result, Sample, Spec

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
    from threadlab.render._terminal import problem_lines, results_table

    console = _out()
    console.print(results_table(result, title))
    problems = problem_lines(result, full_tracebacks=_state["debug"])
    if problems:
        console.print("Problems:", style="bold")
        for line in problems:
            console.print(line, markup=False)
        console.print()
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
        params=parse_params(param),
        timeout_s=parse_seconds("--timeout", timeout),
        python=sys.executable,
        max_workers=None if max_workers is None else parse_count("--max-workers", max_workers, 1),
    )
    result = _run_spec(spec, out, quiet)
    _print_result(result)
    _finish(result, out)


def _refuse(option: str, value: str, expected: str) -> NoReturn:
    raise SpecError(option, f"{value!r} names nothing; expected {expected}")


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
    out: Path | None,
    quiet: bool,
) -> None:
    """Measure TARGET (module:function or file.py:function) and recommend a strategy."""
    from threadlab.orchestrate._advise import advise_sweep
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
    view = _ProgressView(0, quiet)
    with view.progress:
        found = advise_sweep(
            target,
            args=args_json or "[]",
            inputs=inputs or "",
            tasks=count,
            budget_s=seconds,
            repeat=samples,
            warmup=warmups,
            python=sys.executable,
            out=out,
            on_point=view.on_point,
            on_sample=view.on_sample,
        )
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
def show(results: Path) -> None:
    """Print the table of a results file again."""
    from threadlab.orchestrate._store import load_result

    _print_result(load_result(results))


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
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def tour(quick: bool, out: Path, quiet: bool) -> None:
    """Run the classic lessons of Python concurrency here and explain what they show."""
    from threadlab._tour import findings, tour_points, tour_spec

    spec = tour_spec(quick)
    result = _run_spec(spec, out, quiet, points=tour_points(quick))
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
    _finish(result, out)


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
