"""The Python API: ``threadlab.run(...)`` and ``threadlab.advise(...)``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from threadlab._model import Gil, Result, Spec
from threadlab.orchestrate._advise import Advice
from threadlab.orchestrate._execute import execute
from threadlab.worker._params import ParamValue


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def run(
    workloads: str | Sequence[str],
    strategies: str | Sequence[str],
    workers: int | Sequence[int],
    *,
    tasks: int | None = None,
    repeat: int = 5,
    warmup: int = 1,
    params: Mapping[str, ParamValue] | None = None,
    timeout: float | None = 600.0,
    python: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    gil: str = "default",
    max_workers: int | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Result:
    """Measure workloads × strategies × worker counts; return the result.

    Each point runs in a fresh worker process, with ``warmup`` discarded runs
    and ``repeat`` timed samples.

    Args:
        workloads: workload name(s), e.g. ``"count"`` or ``["sleep", "hash"]``.
        strategies: strategy name(s), e.g. ``["sequential", "threads"]``.
        workers: worker count(s) to sweep.
        tasks: total tasks per point; None gives each worker one task.
        repeat: timed samples per point.
        warmup: discarded runs before them.
        params: workload and strategy parameters, e.g. ``{"duration": 0.2}``.
        timeout: seconds after which a point is killed and recorded as timed out.
        python: the Python(s) workers run under: a path, a version such as
            ``"3.12"`` or ``"3.13t"``, ``"all"`` (every Python found here that
            can run threadlab's worker), or a list of these; each point runs
            once per Python (default: this one).
        gil: ``"off"`` or ``"on"`` to run free-threaded builds without or with
            their GIL; ``"default"`` leaves each build's own default.
        max_workers: raise the strategies' safe worker limit to this.
        out: also write the results file here.

    Returns:
        The result; ``result.interrupted`` is True if Ctrl-C cut it short.

    Raises:
        SpecError: an unknown name, a bad value, an unsupported pair.

    Example:
        >>> result = threadlab.run("sleep", ["sequential", "threads"], [1, 2],
        ...                        params={"duration": 0.1}, repeat=3)
        >>> [round(s.speedup_vs_sequential, 1) for _, s in result.summaries() if s]
        [1.0, 1.0, 1.0, 2.0]
    """
    from threadlab._errors import SpecError

    counts = (workers,) if isinstance(workers, int) else tuple(workers)
    try:
        spec = Spec(
            workloads=_names(workloads),
            strategies=_names(strategies),
            workers=tuple(sorted(set(counts))),
            tasks=tasks,
            repeat=repeat,
            warmup=warmup,
            params=dict(params or {}),
            timeout_s=timeout,
            python=sys.executable,
            max_workers=max_workers,
        )
    except ValueError as error:
        raise SpecError("run()", str(error)) from None
    if python is not None or gil != "default":
        import dataclasses

        from threadlab.orchestrate._interpreters import parse_gil, select

        given = [python] if isinstance(python, (str, os.PathLike)) else list(python or [])
        executables = select([os.fspath(p) for p in given], option="python").executables
        spec = dataclasses.replace(
            spec,
            python=executables[0],
            pythons=executables if len(executables) > 1 else (),
            gil=parse_gil(gil, "gil"),
        )
    return execute(spec, out=Path(out) if out is not None else None)


def advise(
    function: Callable[..., object] | str,
    *,
    args: Sequence[object] | None = None,
    inputs: str | None = None,
    tasks: int | None = None,
    budget: float = 60.0,
    repeat: int = 5,
    warmup: int = 1,
    python: str | os.PathLike[str] | None = None,
    gil: str = "default",
    out: str | os.PathLike[str] | None = None,
) -> Advice:
    """Measure a function under every strategy that applies and recommend one.

    Sequential runs first, to learn what one call costs and how much of it
    is CPU; then threads, a thread pool and processes (or asyncio, for an
    ``async def``) over worker counts 1, 2, 4, … within ``budget`` seconds.

    Args:
        function: a module-level function, or its target ``"module:function"``
            / ``"path/to/file.py:function"``. It runs in worker processes, so
            it must be importable by name.
        args: positional arguments for every call (JSON-serialisable).
        inputs: ``"module:name"`` of a sequence; call i gets item i.
        tasks: calls per point (default: chosen to fit the budget, or one per
            input item).
        budget: seconds the whole sweep may take.
        repeat: timed samples per point.
        warmup: discarded runs per point.
        python: the Python to run the function under: a path, or a version
            such as ``"3.12"`` or ``"3.13t"`` (default: this one).
        gil: ``"off"`` or ``"on"`` to run a free-threaded build without or
            with its GIL; ``"default"`` leaves the build's own default.
        out: also write the results file, analysis included, here.

    Returns:
        An ``Advice``; ``advice.recommendation`` has ``strategy``, ``workers``,
        ``speedup``, ``interval``, ``classification`` and ``reasons``.

    Raises:
        SpecError: the function cannot be imported by name, or a value is refused.

    Example:
        >>> advice = threadlab.advise("mymodule:download", args=["https://example.org"])
        >>> advice.recommendation.strategy, advice.recommendation.workers
        ('threads', 32)
    """
    import json

    from threadlab._errors import SpecError
    from threadlab.orchestrate._advise import advise_sweep, target_of

    if budget <= 0:
        raise SpecError("advise()", f"budget must be above 0 seconds, not {budget!r}")
    try:
        args_text = json.dumps(list(args or []))
    except TypeError as error:
        raise SpecError("advise()", f"args must be JSON-serialisable: {error}") from None
    executable: str = sys.executable
    mode: Gil = "default"
    if python is not None or gil != "default":
        from threadlab.orchestrate._interpreters import check_gil, parse_gil, select

        chosen = select([] if python is None else [os.fspath(python)], option="python").interpreters
        if len(chosen) > 1:
            raise SpecError("python", "advise() measures one Python at a time; give one, like '3.13t'")
        (mode,) = check_gil(chosen, parse_gil(gil, "gil"), [])
        executable = chosen[0].executable
    return advise_sweep(
        target_of(function),
        args=args_text,
        inputs=inputs or "",
        tasks=tasks,
        budget_s=budget,
        repeat=repeat,
        warmup=warmup,
        python=executable,
        gil=mode,
        out=Path(out) if out is not None else None,
    )
