"""The Python API: ``run``, ``advise`` and ``tour`` measure; ``compare``, ``plot`` and ``report`` read."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from threadlab._errors import SpecError, ThreadlabError
from threadlab.model import DEFAULT_MAX_TIME_S, DEFAULT_PRECISION, Point, Result, Spec
from threadlab.orchestrate._advise import Advice
from threadlab.orchestrate._execute import execute
from threadlab.orchestrate._progress import Progress, RoundProgress, RunDone
from threadlab.worker._params import DAY_S, ParamValue
from threadlab.worker._text import quoted

if TYPE_CHECKING:
    from threadlab.analysis import Analysis
    from threadlab.analysis._check import ScalingCheck
    from threadlab.analysis._compare import Comparison, PointChange
    from threadlab.lessons import Finding
    from threadlab.orchestrate._select import Selection
    from threadlab.orchestrate._store import ResultsWriter
    from threadlab.render._html import Lesson


class _CellProgress(Progress):
    """A run's progress in the notebook cell that called it, one display updated in place: the CLI's
    bar and notes, left full at the end where the CLI's vanishes. IPython is imported only here."""

    def __init__(self) -> None:
        self._line = "starting"
        self._done = 0.0
        self._notes: list[str] = []
        self._handle: Any = None

    def _show(self) -> None:
        from IPython.display import display

        from threadlab.render._notebook import progress_html, progress_text

        bundle = {
            "text/html": progress_html(self._line, self._done, self._notes),
            "text/plain": progress_text(self._line, self._done, self._notes),
        }
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]  # IPython leaves display() unannotated
        else:
            self._handle.update(bundle, raw=True)

    def note(self, line: str) -> None:
        self._notes.append(line)
        self._show()

    def point_started(self, point: Point) -> None:
        self._line = f"starting {point.label()}"
        self._show()

    def round_done(self, where: RoundProgress) -> None:
        self._line, self._done = where.line(), where.done
        self._show()

    def run_done(self, where: RunDone) -> None:
        # The cell keeps its last state once the command returns: what ended, not the last round.
        self._line, self._done = where.line(), 1.0
        self._show()


def _progress_or_cell(progress: Progress | None) -> Progress:
    """The progress asked for; else, in a notebook's kernel (an IPython shell with a ``kernel``,
    which a terminal IPython lacks), the calling cell's; else none shown."""
    if progress is not None:
        return progress
    shell = _running_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return Progress()
    return _CellProgress()


def _running_ipython() -> Any:
    """The IPython shell this process runs in, or None; IPython is never imported for it."""
    ipython = sys.modules.get("IPython")
    return None if ipython is None else ipython.get_ipython()


def _refuse_nested(name: str) -> None:
    """Refuse a run inside a process threadlab launched (a worker, a target's probe): it can only come
    from a user's script imported again without a ``__main__`` guard, as ``spawn`` would start one."""
    from threadlab.orchestrate._launch import IN_WORKER_ENV

    if os.environ.get(IN_WORKER_ENV):
        raise ThreadlabError(
            f"threadlab.{name} was called inside a threadlab worker: put the call under "
            f'`if __name__ == "__main__":`, as multiprocessing asks'
        )


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _selected(
    python: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None, progress: Progress
) -> Selection:
    """The Pythons ``python`` names, each one left out a note; refused where none can run the worker."""
    from threadlab.orchestrate._select import select

    given = [python] if isinstance(python, (str, os.PathLike)) else list(python or [])
    selection = select([os.fspath(p) for p in given], option="python")
    for line in selection.skipped:
        progress.note(line)
    return selection


def _shown(value: object) -> str:
    """A value an API user passed, in an error: a number as written, anything else quoted and cut."""
    if isinstance(value, (int, float)) and len(repr(value)) <= 40:
        return repr(value)
    return quoted(value)


def _check_number(name: str, value: object, accepted: Callable[[float], bool], expected: str) -> None:
    """Refuse ``value`` unless it is a finite number (never a bool) that ``accepted`` takes."""
    try:
        taken = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
            and accepted(value)
        )
    except OverflowError:  # an int too large for a float (10**400) crashed isfinite
        taken = False
    if not taken:
        raise SpecError(name, f"{_shown(value)} is not accepted; expected {expected}")


def _check_seconds(name: str, value: object) -> None:
    _check_number(name, value, lambda s: 0 < s <= DAY_S, f"seconds above 0, at most {DAY_S:,.0f}")


def _check_share(precision: object) -> None:
    _check_number("precision", precision, lambda p: 0 < p < 1, "a share below 1, like 0.05")


def _json_args(args: Sequence[object]) -> str:
    try:
        return json.dumps(list(args))
    except TypeError as error:
        raise SpecError("args", f"must be JSON-serialisable: {error}") from None


def _swept(params: Mapping[str, ParamValue | Sequence[ParamValue]]) -> dict[str, ParamValue]:
    """``params`` with each list of values written as the command line takes a sweep: ``1,2,4``."""
    return {
        key: value
        if isinstance(value, (int, float, str, bool))
        else ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in value)
        for key, value in params.items()
    }


def _with_scheduler(
    params: Mapping[str, ParamValue], scheduler: str | None, strategies: Sequence[str]
) -> dict[str, ParamValue]:
    """``params`` with the dask strategy's ``scheduler``: the one given, else the environment's;
    refused before any work where it is malformed or no Dask scheduler answers there (within 10 s)."""
    from threadlab.scaleout.dask_cluster import SCHEDULER_ENV, check_scheduler, scheduler_address

    option = "scheduler"
    if scheduler is not None and "dask" not in strategies:
        raise SpecError(
            option, f"{quoted(scheduler)} is for the dask strategy, which is not among the strategies"
        )
    if scheduler is not None and "scheduler" in params:
        raise SpecError(option, "is given twice, as a scheduler and as the parameter scheduler; give one")
    if scheduler is None and "dask" in strategies and "scheduler" not in params:
        scheduler, option = os.environ.get(SCHEDULER_ENV) or None, SCHEDULER_ENV
    if scheduler is None:
        return dict(params)
    try:
        address = scheduler_address(scheduler)
        check_scheduler(address)
    except ValueError as error:
        raise SpecError(option, str(error)) from None
    return {**params, "scheduler": address}


@contextlib.contextmanager
def _writer(out: str | os.PathLike[str] | None) -> Iterator[ResultsWriter | None]:
    """The command's one writer of its results file, its lock taken before any work; None: no file.
    Refuses (``out``) a path that cannot be written, or that another run is writing."""
    from threadlab.orchestrate._store import ResultsWriter, check_writable

    if out is None:
        yield None
        return
    check_writable(Path(out), "out")
    with ResultsWriter(out) as writer:
        yield writer


def _memory_budget(given: int | str | None) -> int | None:
    """The live workers' memory budget in bytes: ``given`` checked, or half the memory available."""
    from threadlab.orchestrate._plan import default_memory_budget, parse_size

    if given is None:
        return default_memory_budget()
    if isinstance(given, str):
        try:
            return parse_size(given)
        except ValueError as error:
            raise SpecError("memory_budget", str(error)) from None
    accepted = "bytes above 0 or a size like '4GB'"
    _check_number("memory_budget", given, lambda b: isinstance(b, int) and b > 0, accepted)
    return given


def run(
    workloads: str | Sequence[str],
    strategies: str | Sequence[str],
    workers: int | Sequence[int],
    *,
    tasks: int | None = None,
    repeat: int = 5,
    warmup: int = 1,
    params: Mapping[str, ParamValue | Sequence[ParamValue]] | None = None,
    precision: float = DEFAULT_PRECISION,
    max_time: float = DEFAULT_MAX_TIME_S,
    timeout: float | None = 600.0,
    python: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    gil: str = "default",
    max_workers: int | None = None,
    scheduler: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    memory_budget: int | str | None = None,
    waits: bool = True,
) -> Result:
    """Measure workloads × strategies × worker counts; return the result.

    The points that are compared with each other (every strategy and worker
    count of one workload, its parameters and Python) are measured in
    interleaved rounds: each round takes one sample of every point, in an
    order that rotates, each point in its own fresh worker process (warm-ups
    discarded there). Speedups are the median of the per-round ratios
    against the sequential sample of the same round, with a 95% interval.
    Rounds go on until every interval is within ``precision``, or
    ``max_time`` is spent.

    Args:
        workloads: workload name(s), e.g. ``"count"`` or ``["sleep", "hash"]``.
        strategies: strategy name(s), e.g. ``["sequential", "threads"]``.
        workers: worker count(s) to sweep.
        tasks: total tasks per point; None gives each worker one task.
        repeat: the fewest rounds (timed samples per point), whatever the precision.
        warmup: discarded runs per point before them.
        params: workload and strategy parameters, e.g. ``{"duration": 0.2}``; a
            list of values is a sweep, a point per value, as ``workers`` is:
            ``{"threads_per_worker": [1, 2]}``.
        precision: the relative half-width every 95% speedup interval should
            reach: 0.05 is ±5%.
        max_time: seconds the run may take, shared among its groups of
            points, its workers' start-ups and warm-ups included (never
            fewer than ``repeat`` rounds). A sweep whose start-ups alone
            would overrun it by more than 10 s is refused.
        timeout: seconds after which a sample (or a point's start-up) is
            killed and the point recorded as timed out; None: never.
        python: the Python(s) workers run under: a path, a version such as
            ``"3.12"`` or ``"3.13t"``, ``"all"`` (every Python found here that
            can run threadlab's worker), or a list of these; each point runs
            once per Python (default: this one).
        gil: ``"off"`` or ``"on"`` to run free-threaded builds without or with
            their GIL; ``"default"`` leaves each build's own default.
        max_workers: raise the strategies' safe worker limit to this.
        scheduler: ``tcp://HOST:PORT`` of a running Dask scheduler for the
            ``dask`` strategy (default: ``$THREADLAB_DASK_SCHEDULER``, else a
            LocalCluster here).
        out: also write the results file here, after every round.
        progress: told of each point's start, each sample, each round, and
            of notes (a Python left out). None: in a Jupyter notebook, the
            progress shows in the calling cell; elsewhere nothing is shown.
        memory_budget: bytes (or a size such as ``"4GB"``) the live workers
            may hold; where a group's workers (about 20 MB each) would not
            fit, some are closed and started afresh in their turn, every
            round still sampling every point. Default: half the memory
            available. A sweep that cannot run ``repeat`` such rounds in
            ``max_time`` is refused with the numbers.
        waits: False: no breakdown of where the worker threads' time went (on by default;
            read from /proc on Linux, each point's samples carry it, or why it is missing).

    Returns:
        The result; ``result.interrupted`` is True if Ctrl-C cut it short.

    Raises:
        SpecError: an unknown name, a bad value, an unsupported pair, a
            user's target that cannot be imported (it is imported in a probe
            process with limits of its own, 10 s and half the memory, never
            in this one).
        ThreadlabError: called inside a threadlab worker (a script without
            an ``if __name__ == "__main__":`` guard).

    Example:
        >>> result = threadlab.run("sleep", ["sequential", "threads"], [1, 2],
        ...                        params={"duration": 0.1}, max_time=5)
        >>> [round(s.speedup_vs_sequential, 1) for _, s in threadlab.summarise(result) if s]
        [1.0, 1.0, 1.0, 2.0]
    """
    from threadlab.orchestrate._plan import check_size, plan
    from threadlab.orchestrate._select import parse_gil

    _refuse_nested("run")
    _check_seconds("max_time", max_time)
    _check_share(precision)
    progress = _progress_or_cell(progress)
    counts = (workers,) if isinstance(workers, int) else tuple(workers)
    names = _names(strategies)
    executables = _selected(python, progress).executables
    try:
        spec = Spec(
            workloads=_names(workloads),
            strategies=names,
            workers=tuple(sorted(set(counts))),
            tasks=tasks,
            repeat=repeat,
            warmup=warmup,
            params=_with_scheduler(_swept(params or {}), scheduler, names),
            timeout_s=timeout,
            python=executables[0],
            pythons=executables if len(executables) > 1 else (),
            gil=parse_gil(gil, "gil"),
            max_workers=max_workers,
            precision=precision,
            max_time_s=max_time,
        )
    except ValueError as error:
        if isinstance(error, SpecError):
            raise
        raise SpecError("run()", str(error)) from None
    budget = _memory_budget(memory_budget)
    notes: list[str] = []
    points = plan(spec, notes)
    bounded = check_size(points, max_time_s=max_time, memory_budget=budget, min_rounds=repeat)
    for line in [*notes, *([bounded] if bounded else [])]:
        progress.note(line)
    with _writer(out) as writer:
        return execute(
            spec, writer=writer, points=points, progress=progress, memory_budget=budget, waits=waits
        )


def advise(
    function: Callable[..., object] | str,
    *,
    args: Sequence[object] | None = None,
    inputs: str | None = None,
    tasks: int | None = None,
    budget: float = 60.0,
    precision: float = DEFAULT_PRECISION,
    repeat: int = 5,
    warmup: int = 1,
    python: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    gil: str = "default",
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    memory_budget: int | str | None = None,
    waits: bool = True,
) -> Advice:
    """Measure a function under every strategy that applies and recommend one.

    Sequential runs first, to learn what one call costs and how much of it
    is CPU; then threads, a thread pool, processes and subinterpreters (or
    asyncio, for an ``async def``) over worker counts 2, 4, …, all measured
    in interleaved rounds against sequential until the speedup intervals are
    within ``precision`` or ``budget`` seconds are spent.

    Args:
        function: a function, or its target ``"module:function"`` /
            ``"path/to/file.py:function"``. It runs in worker processes, which
            import it by name; a function of a script run as a program is
            imported from the script (guard its top level with
            ``if __name__ == "__main__":``), and one no import can reach (a
            notebook cell's, a lambda, a nested function) is sent by value
            with cloudpickle, which the Python it runs under then needs.
        args: positional arguments for every call (JSON-serialisable).
        inputs: ``"module:name"`` of a sequence; call i gets item i.
        tasks: calls per point (default: enough for a sequential sample of
            about 0.1 s, within the budget; or one per input item).
        budget: seconds the whole sweep may take (shared among Pythons).
        precision: the relative half-width every speedup interval should reach.
        repeat: the fewest rounds (timed samples per point).
        warmup: discarded runs per point.
        python: the Python(s) to run the function under, as ``run`` takes them;
            each gets its own sweep and recommendation (default: this one).
        gil: ``"off"``, ``"on"`` or ``"default"``, as ``run`` takes it.
        out: also write the results file, analysis included, here.
        progress: as ``run`` takes it (None: the calling notebook cell's, if any).
        scheduler: ``tcp://HOST:PORT`` of a running Dask scheduler: ``dask``
            on its workers is then tried too (checked before any work starts).
        memory_budget: what the live workers may hold, as ``run`` takes it.
        waits: False: no breakdown of where the worker threads' time went, as ``run`` takes it.

    Returns:
        An ``Advice``; ``advice.recommendation`` has ``strategy``, ``workers``,
        ``speedup``, ``interval``, ``classification`` and ``reasons``.

    Raises:
        SpecError: the function cannot be imported (in a probe process, never
            in this one) or sent by value, every call of it raised, or a
            value is refused.
        ThreadlabError: called inside a threadlab worker (a script without
            an ``if __name__ == "__main__":`` guard).

    Example:
        >>> advice = threadlab.advise("mymodule:download", args=["https://example.org"])
        >>> advice.recommendation.strategy, advice.recommendation.workers
        ('threads', 32)
    """
    from threadlab.orchestrate._advise import advise_pythons, target_of
    from threadlab.orchestrate._select import check_gil, parse_gil

    _refuse_nested("advise")
    _check_seconds("budget", budget)
    bytes_budget = _memory_budget(memory_budget)
    _check_share(precision)
    if args is not None and inputs is not None:
        raise SpecError("args", "args and inputs exclude each other; give one of them")
    args_text = _json_args(args or [])
    address = "" if scheduler is None else str(_with_scheduler({}, scheduler, ("dask",))["scheduler"])
    progress = _progress_or_cell(progress)
    selection = _selected(python, progress)
    notes: list[str] = []
    gils = check_gil(selection.interpreters, parse_gil(gil, "gil"), notes)
    for line in notes:
        progress.note(line)
    # The lock on the results file, from before the probes start workers to the last save.
    with _writer(out) as writer:
        return advise_pythons(
            target_of(function),
            hosts=selection.interpreters,
            gils=gils,
            budget_s=budget,
            writer=writer,
            progress=progress,
            args=args_text,
            inputs=inputs or "",
            tasks=tasks,
            precision=precision,
            repeat=repeat,
            warmup=warmup,
            scheduler=address,
            memory_budget=bytes_budget,
            waits=waits,
        )


class ScalingOptions(TypedDict, total=False):
    """``check_scaling``'s keywords past its target, for a caller that passes them on (the
    pytest plugin's ``threadlab_scaling.check``): its defaults stay in ``check_scaling`` alone."""

    args: Sequence[object]
    strategy: str
    workers: int
    at_least: float
    budget: float
    python: str | os.PathLike[str] | None


def check_scaling(
    target: Callable[..., object] | str,
    *,
    args: Sequence[object] = (),
    strategy: str = "threads",
    workers: int = 2,
    at_least: float = 1.5,
    budget: float = 60.0,
    python: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> ScalingCheck:
    """Check that ``target`` scales: ``strategy`` with ``workers`` reaches ``at_least`` × sequential.

    Sequential and ``strategy`` × ``workers`` are measured in interleaved
    rounds (as ``run`` and ``advise`` measure), within ``budget`` seconds;
    the paired per-round speedups give a 95% interval, and the check gives
    three answers where a timed assertion gives two:

    * ``passed``: the interval's low bound reaches ``at_least``;
    * ``failed``: its high bound stays below ``at_least``, on a machine
      that could give ``at_least`` cores;
    * ``inconclusive``: the interval holds ``at_least``, or the machine
      could not give the cores (its CPU affinity, its cgroup quota or its
      parallel capacity measured beside the check: the explanation names
      which), or nothing was paired.

    Args:
        target: a function, or ``"module:function"`` / ``"path/to/file.py:function"``,
            as ``advise`` takes it.
        args: positional arguments for every call (JSON-serialisable).
        strategy: the strategy checked, e.g. ``"threads"``, ``"processes"``.
        workers: its worker count, 2 or more.
        at_least: the speedup over sequential it must reach, above 1.
        budget: seconds the whole check may take, probes included.
        python: the Python to run it under: a path or a version such as
            ``"3.13t"`` (default: this one).
        progress: told of each point's start, each sample and each round.

    Returns:
        A ``ScalingCheck``: ``outcome`` (and ``passed``, ``failed``,
        ``inconclusive``), ``interval``, ``rounds``, ``machine``,
        ``explanation``, ``table`` and the ``decision`` as data. Where the
        threads' states were read (Linux), the explanation names where the
        checked point's time went: its dominant wait at its line, or its
        time on CPU.

    Raises:
        SpecError: a value is refused, or the target cannot be loaded, or
            every call of it raised.
        ThreadlabError: called inside a threadlab worker.

    Example:
        >>> check = threadlab.check_scaling("mylib:hash_chunk", workers=2, at_least=1.5, budget=30)
        >>> check.outcome, check.interval
        ('passed', (1.82, 1.97))
    """
    from threadlab.analysis._check import ScalingCheck, decide_check
    from threadlab.orchestrate._advise import target_of
    from threadlab.orchestrate._check import core_limits, measure_scaling
    from threadlab.orchestrate._strategies import strategy_names
    from threadlab.render._check import check_table, explanation
    from threadlab.render._doubts import machine_line_of

    _refuse_nested("check_scaling")
    _check_seconds("budget", budget)
    names = [name for name in strategy_names() if name != "sequential"]
    if strategy not in names:
        raise SpecError("strategy", f"{_shown(strategy)} is not accepted; expected one of {', '.join(names)}")
    _check_number("workers", workers, lambda w: isinstance(w, int) and w >= 2, "a whole number of 2 or more")
    _check_number("at_least", at_least, lambda x: x > 1, "a speedup above 1, like 1.5")
    args_text = _json_args(args)
    progress = progress or Progress()
    result = measure_scaling(
        target_of(target),
        host=_selected(python, progress).interpreters[0],
        args=args_text,
        strategy=strategy,
        workers=workers,
        budget_s=budget,
        progress=progress,
    )
    decision = decide_check(
        result, strategy=strategy, workers=workers, at_least=float(at_least), cores=core_limits(result)
    )
    machine = machine_line_of(result) or "machine: not measured"
    return ScalingCheck(decision, result, machine, explanation(decision, machine), check_table(decision))


TOUR_TITLE = "threadlab tour: what was measured on this machine"


@dataclass(frozen=True, slots=True)
class TourResult:
    """What ``threadlab.tour()`` measured, and what the lessons found.

    Attributes:
        result: every point the lessons measured (also in ``results_path``).
        analysis: the analysis of ``result``, computed once.
        findings: each lesson's conclusion in plain words, citing the numbers
            measured, in the order the lessons are told.
        results_path: the results file written.
        report_path: the HTML report written beside it; None when ``report``
            was false.
    """

    result: Result
    analysis: Analysis
    findings: tuple[Finding, ...]
    results_path: Path
    report_path: Path | None

    def _repr_html_(self) -> str:
        """How Jupyter shows the tour: the report's section of it, lessons, tables and plots."""
        from threadlab.render._html import html_fragment

        return html_fragment("The tour", self.result, self.analysis, _report_lessons(self.findings))


def _report_lessons(told: Sequence[Finding]) -> list[Lesson]:
    """The tour's findings as the report's lessons: each one's words, beside the points it cites."""
    from threadlab.render._html import Lesson

    return [Lesson(finding.title, finding.text, finding.points) for finding in told]


def tour(
    *,
    quick: bool = False,
    python: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    out: str | os.PathLike[str] = "threadlab-tour.json",
    report: bool = True,
    max_time: float | None = None,
    progress: Progress | None = None,
    memory_budget: int | str | None = None,
    waits: bool = True,
) -> TourResult:
    """Run the classic lessons of Python concurrency here and say what they show.

    The lessons: one sleep, two in sequence, two on two threads and 1000
    threads sleeping at once; the pure-Python CPU loop on two threads and on
    two processes; sha256 on two threads; and, where more than one Python is
    found here (or given), the CPU loop under each of up to three of them
    ("which Python"). They are measured in interleaved rounds, as ``run``
    measures, and each finding is written from the numbers measured here.

    Args:
        quick: shorter tasks and 10 s of rounds: about 15 s in all on two
            cores, against about a minute.
        python: the Python(s) the lessons run under: a path, a version such
            as ``"3.12"`` or ``"3.13t"``, ``"all"``, or a list of these. The
            classic lessons run under the first; with several, the "which
            Python" lesson compares them (default: this Python, and the
            lesson compares up to three of the Pythons found here).
        out: the results file, written after every round.
        report: also write the self-contained HTML report beside ``out``
            (``threadlab-tour.html`` for ``threadlab-tour.json``).
        max_time: seconds of rounds the lessons share, instead of their
            sizes' own (10 s quick, 46 s full); a shorter tour for a test or
            a demo. The fewest rounds (3) are taken whatever it is.
        progress: as ``run`` takes it (None: the calling notebook cell's, if any).
        memory_budget: what the live workers may hold, as ``run`` takes it.
        waits: False: no breakdown of where the worker threads' time went, as ``run`` takes it.

    Returns:
        A ``TourResult``: the result, its analysis, the findings, and where
        the results file and the report went. ``result.interrupted`` is True
        if Ctrl-C cut the tour short; the findings then cover what was measured.

    Raises:
        SpecError: ``python`` names no Python that can run threadlab's
            worker, ``max_time`` is not above 0, or ``out`` (or the report
            beside it) cannot be written; before any work starts.
        ThreadlabError: the report could not be written after the run, or
            ``tour`` was called inside a threadlab worker.

    Example:
        >>> toured = threadlab.tour(quick=True)
        >>> for finding in toured.findings:
        ...     print(finding.title, "—", finding.text)
    """
    from threadlab.analysis import analyse
    from threadlab.lessons import LessonPython, findings, lesson_parts, lesson_pythons, tour_spec
    from threadlab.orchestrate._discover import discover
    from threadlab.orchestrate._plan import plan
    from threadlab.orchestrate._store import check_writable
    from threadlab.render._html import html_report

    _refuse_nested("tour")
    if max_time is not None:
        _check_seconds("max_time", max_time)
    budget = _memory_budget(memory_budget)
    results_path = Path(out)
    report_path = _beside(results_path, ".html") if report else None
    if report_path is not None:
        check_writable(report_path, "out")
    with _writer(results_path) as writer:
        progress = _progress_or_cell(progress)
        chosen = _selected(python, progress).interpreters
        candidates = chosen if len(chosen) > 1 else tuple(discover())
        compared = lesson_pythons(
            [
                LessonPython(found.executable, found.version, found.free_threaded, found.subinterpreters)
                for found in candidates
                if found.can_host
            ]
        )
        # "When is a cluster worth it?" is told where dask runs under the tour's Python.
        cluster = "dask" not in chosen[0].unavailable
        spec = tour_spec(quick, chosen[0].executable, compared, max_time_s=max_time, cluster=cluster)
        notes: list[str] = []
        points = plan(spec, notes)
        for line in notes:
            progress.note(line)
        result = execute(
            spec,
            writer=writer,
            points=points,
            progress=progress,
            memory_budget=budget,
            waits=waits,
            weigh=lesson_parts(quick),
        )
        analysis = analyse(result)
        told = tuple(findings(result))
        if report_path is not None:
            lessons = _report_lessons(told)
            page = html_report(
                [(str(results_path), result)], title=TOUR_TITLE, lessons=lessons, analyses=[analysis]
            )
            _write(report_path, page.encode("utf-8"))
        return TourResult(result, analysis, told, results_path, report_path)


def _beside(path: Path, suffix: str) -> Path:
    """``path`` with ``suffix`` for its own; ``tour.html`` -> ``tour.html.html``, never the file itself."""
    return path.with_name(path.name + suffix) if path.suffix == suffix else path.with_suffix(suffix)


def _result_of(given: Result | str | os.PathLike[str]) -> Result:
    from threadlab.orchestrate._store import load_result

    return given if isinstance(given, Result) else load_result(given)


def _write(path: Path, content: bytes) -> None:
    from threadlab.orchestrate._store import write_atomically

    try:
        write_atomically(path, content)
    except OSError as error:
        raise ThreadlabError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


@dataclass(frozen=True, slots=True)
class CompareResult:
    """Two results compared point by point, and whether a ``fail_slower`` gate passed.

    Attributes:
        base: the result compared against.
        new: the result compared.
        comparison: each matched point's change (``Comparison.changes``),
            the points found on one side only, and the geometric mean.
        fail_slower: the gate asked for, a slowdown in percent; None: no gate.
        regressed: the points significantly slower by more than
            ``fail_slower`` percent (``PointChange.slowdown_percent`` says by
            how much, its indices which point of each side); empty without a gate.
        compared_nothing: a gate was asked for and no point could be
            compared (every matched point crashed): no slowdown can be
            ruled out, so the gate has not passed.
    """

    base: Result
    new: Result
    comparison: Comparison
    fail_slower: float | None
    regressed: tuple[PointChange, ...]
    compared_nothing: bool

    @property
    def passed(self) -> bool:
        """True unless the gate failed: a point regressed, or nothing could be compared."""
        return not (self.regressed or self.compared_nothing)


def compare(
    base: Result | str | os.PathLike[str],
    new: Result | str | os.PathLike[str],
    *,
    fail_slower: float | None = None,
) -> CompareResult:
    """Compare two results point by point: faster, slower, or not significant.

    A point of ``base`` is matched with the point of ``new`` that did the
    same work the same way (workload, strategy, workers, tasks, parameters,
    Python); their median throughputs give the ratio, and a Mann–Whitney U
    test on the samples says whether it is significant at 5%.

    Args:
        base: the result compared against, or its results file.
        new: the result compared, or its results file.
        fail_slower: a gate for CI, in percent: the comparison fails where a
            point is significantly slower by more than this, or where no
            point could be compared at all. None: no gate.

    Returns:
        A ``CompareResult``; ``passed`` is False where the gate failed, and
        ``regressed`` names the points that failed it.

    Raises:
        SpecError: ``fail_slower`` is not a percentage of 0 or more.
        ResultsFileError: a results file cannot be read or trusted.
        NothingInCommon: no point of ``new`` does the work of a point of
            ``base`` (another workload, or no points): nothing to compare.

    Example:
        >>> compared = threadlab.compare("before.json", "after.json", fail_slower=10)
        >>> compared.passed, [c.slowdown_percent for c in compared.regressed]
        (False, [23.5])
    """
    from threadlab.analysis._compare import compare as compare_results

    if fail_slower is not None:
        _check_number("fail_slower", fail_slower, lambda p: p >= 0, "a percentage of 0 or more, like 10")
    before, after = _result_of(base), _result_of(new)
    comparison = compare_results(before, after)
    return CompareResult(
        before,
        after,
        comparison,
        fail_slower,
        comparison.slower_than(fail_slower) if fail_slower is not None else (),
        fail_slower is not None and not comparison.changes,
    )


def plot(
    result: Result | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    kind: str = "speedup",
    points: int | Sequence[int] | None = None,
) -> Path:
    """Draw a plot of a result and write it as PNG or SVG, as ``out``'s suffix asks.

    Args:
        result: the result, or its results file.
        out: the image to write: ``FILE.png`` or ``FILE.svg``.
        kind: ``speedup`` (throughput and speedup against workers, per
            workload, with the Universal Scalability Law's fit), ``wall``
            (median wall time per point), ``timeline`` (one row per worker,
            one bar per task) or ``cpu`` (CPU time over wall time per point).
        points: for ``timeline``, the point number(s), counted from 1 as
            ``threadlab show`` numbers them; None: the first with the most workers.

    Returns:
        The path written.

    Raises:
        SpecError: an unknown kind, an ``out`` that is not ``.png`` or
            ``.svg`` or cannot be written, ``points`` for another kind or
            not points of the result, or nothing of this kind to plot.
        ResultsFileError: the results file cannot be read or trusted.
        ThreadlabError: the image could not be written.

    Example:
        >>> threadlab.plot("results.json", "speedup.svg")
        PosixPath('speedup.svg')
    """
    from threadlab.orchestrate._store import check_writable
    from threadlab.render import plots
    from threadlab.render._options import check_points, image_format_of, parse_choice

    chosen = parse_choice("kind", kind, plots.PLOT_KINDS)
    path = Path(out)
    image_format = image_format_of(path, "out")
    numbers = (points,) if isinstance(points, int) else None if points is None else tuple(points)
    if numbers is not None and chosen != "timeline":
        shown = ",".join(str(number) for number in numbers)
        raise SpecError("points", f"{shown!r} applies to {{kind}} only, not {chosen}", {"kind": "timeline"})
    check_writable(path, "out")
    measured = _result_of(result)
    indices = None if numbers is None else check_points("points", numbers, len(measured.measurements))
    try:
        image = plots.plot(chosen, measured, image_format=image_format, point=indices)
    except plots.NothingToPlot as nothing:
        raise SpecError("kind", f"{chosen}: {nothing}") from None
    _write(path, image)
    return path


def report(
    results: Sequence[Result | str | os.PathLike[str]],
    out: str | os.PathLike[str] = "threadlab-report.html",
    *,
    names: Sequence[str] | None = None,
) -> Path:
    """Write one self-contained HTML report of one or more results.

    Args:
        results: the results, or their results files, in the order shown.
        out: the HTML file to write.
        names: what each result is called in the report (default: its path,
            or ``result N`` for one given as a ``Result``).

    Returns:
        The path written.

    Raises:
        SpecError: no result, ``names`` not one per result, or ``out``
            cannot be written.
        ResultsFileError: a results file cannot be read or trusted.
        ThreadlabError: the report could not be written.

    Example:
        >>> threadlab.report(["before.json", "after.json"], "report.html")
        PosixPath('report.html')
    """
    from threadlab.orchestrate._store import check_writable
    from threadlab.render._html import html_report

    given = list(results)
    if not given:
        raise SpecError("results", "names no results; expected one or more results or results files")
    if names is None:
        names = [
            f"result {n}" if isinstance(r, Result) else os.fspath(r) for n, r in enumerate(given, start=1)
        ]
    called = list(names)
    if len(called) != len(given):
        raise SpecError("names", f"{len(called)} names for {len(given)} results; expected one per result")
    path = Path(out)
    check_writable(path, "out")
    runs = [(name, _result_of(r)) for name, r in zip(called, given, strict=True)]
    _write(path, html_report(runs).encode("utf-8"))
    return path


def _html(shown: Result | Advice) -> str:
    from threadlab.render._html import html_fragment

    if isinstance(shown, Advice):
        return html_fragment("What advise measured", shown.result, shown.analysis)
    return html_fragment("Results", shown)


def show_in_notebooks() -> None:
    """Have a running IPython show a ``Result`` and an ``Advice`` as the report's section of them: the
    model and the orchestrator cannot import the renderers (the layers), so this registers their HTML."""
    shell = _running_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(Result, _html)
    formatter.for_type(Advice, _html)


show_in_notebooks()
