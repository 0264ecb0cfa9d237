"""``threadlab advise``: an adaptive sweep for a user's function, within a time budget.

::

    probe: sequential, a few tasks ──► cost of one task, CPU/wall
        │
        ▼ choose worker counts (1, 2, 4, … up to ~64 for waiting work,
        │ about the core count for computing work) and a fixed task count T
        │ so that the whole sweep fits the budget
        ▼
    sequential (T tasks), then each worker count for every strategy that
    applies, smallest first; stop when the next point would overrun the budget
        │
        ▼
    analysis: classification and recommendation
"""

from __future__ import annotations

import os
import pickle
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threadlab._errors import SpecError
from threadlab._model import Gil, Point, Result, Spec
from threadlab.analysis import Analysis, Recommendation, analyse
from threadlab.orchestrate._execute import execute
from threadlab.orchestrate._runner import OnSample, measure_point
from threadlab.orchestrate._store import check_writable
from threadlab.worker import strategies as strategy_registry
from threadlab.worker._params import ParamValue
from threadlab.worker.workloads import FunctionWorkload, TargetError
from threadlab.worker.workloads._function import load_inputs

# Worker start-up and protocol per point, from benchmarks/bench_overhead.py (rounded up).
_POINT_OVERHEAD_S = 0.2
# Share of the budget planned for measuring; the rest absorbs misestimates.
_PLANNED_SHARE = 0.8
# The most tasks per point: beyond this the spans alone make the results file large.
_MAX_TASKS = 100_000
# Sequential CPU/wall below this counts as waiting work, which may use many workers.
_WAITING = 0.3
_MOST_WAITING_WORKERS = 64


@dataclass(frozen=True, slots=True)
class Advice:
    """What ``advise`` found: the measurements, their analysis, and notes on the sweep.

    Attributes:
        result: every point measured (probe excluded).
        analysis: statistics, scaling, classification and recommendation.
        recommendation: the recommendation for the function.
        notes: what the sweep skipped or cut short, and why.
    """

    result: Result
    analysis: Analysis
    recommendation: Recommendation | None
    notes: tuple[str, ...]


def target_of(function: Callable[..., object] | str) -> str:
    """The ``module:function`` or ``file.py:function`` target of a callable (or the target itself).

    Raises:
        SpecError: the callable cannot be imported by name (a lambda, a nested
            function, or one defined at an interactive prompt).
    """
    if isinstance(function, str):
        return function
    qualname = getattr(function, "__qualname__", "")
    module = getattr(function, "__module__", None)
    if not qualname or "<" in qualname or module is None:
        raise SpecError(
            "advise()",
            f"{function!r} cannot be imported by name; define it at module level and pass it, "
            f"or pass 'module:function'",
        )
    if module == "__main__":
        import inspect

        path = inspect.getsourcefile(function)
        if path is None:
            raise SpecError("advise()", f"{qualname} was defined interactively; put it in a file")
        return f"{path}:{qualname}"
    return f"{module}:{qualname}"


def _picklable(workload: FunctionWorkload) -> str | None:
    """Why the function cannot go to a process pool, or None if it can."""
    try:
        same = pickle.loads(pickle.dumps(workload.function)) is workload.function
    except Exception as error:  # noqa: BLE001 - any pickling failure is the reason to report
        return f"the function cannot be pickled ({type(error).__name__}: {error})"
    return None if same else "the function does not unpickle to itself (it is not importable by name)"


def _counts(limit: int) -> tuple[int, ...]:
    """1, 2, 4, … up to and including the first power of two at or above ``limit``."""
    counts = [1]
    while counts[-1] < limit:
        counts.append(counts[-1] * 2)
    return tuple(counts)


def advise_sweep(
    target: str,
    *,
    args: str = "[]",
    inputs: str = "",
    tasks: int | None = None,
    budget_s: float = 60.0,
    repeat: int = 5,
    warmup: int = 1,
    python: str,
    gil: Gil = "default",
    out: Path | None = None,
    on_point: Callable[[int, int, Point], None] | None = None,
    on_sample: OnSample | None = None,
) -> Advice:
    """Measure a user's function under every strategy that applies, within ``budget_s``.

    Raises:
        SpecError: the target cannot be loaded, or its arguments are refused.
    """
    if out is not None:
        check_writable(out)
    try:
        # A user's function only: a built-in workload name is refused here, not asserted on.
        workload = FunctionWorkload(target)
    except TargetError as error:
        raise SpecError("TARGET", str(error)) from None
    params: dict[str, ParamValue] = {"args": args, "inputs": inputs}
    try:
        workload.check(params)
    except ValueError as error:
        raise SpecError("--inputs" if inputs else "--args", str(error)) from None
    notes: list[str] = []
    strategies = ["asyncio"] if workload.is_async else ["threads", "thread-pool", "processes"]
    if workload.is_async:
        notes.append("a coroutine function: measured on asyncio against awaiting one call at a time")
    else:
        notes.append("not a coroutine function: asyncio does not apply")
        reason = _picklable(workload)
        if reason is None:
            reason = strategy_registry.get("processes").unavailable_reason()
        if reason:
            strategies.remove("processes")
            notes.append(f"processes skipped: {reason}")
    item_count = len(load_inputs(inputs)) if inputs else None
    started = time.perf_counter()

    def point(strategy: str, workers: int, count: int, samples: int, warmups: int) -> Point:
        return Point(
            workload=target,
            strategy=strategy,
            workers=workers,
            tasks=count,
            params=params,
            strategy_params={p.name: p.default for p in strategy_registry.get(strategy).params},
            python=python,
            repeat=samples,
            warmup=warmups,
            gil=gil,
        )

    # 1. Probe: the cost of one task and how much of it is CPU, from a few sequential tasks.
    probe_tasks = min(item_count or 3, 3)
    probe = measure_point(
        point("sequential", 1, probe_tasks, 3, 1), repeat=3, warmup=1, timeout_s=budget_s, on_sample=on_sample
    )
    if not probe.samples:
        failure = probe.errors[0].message if probe.errors else probe.status
        raise SpecError("advise", f"the function failed before it could be measured: {failure}")
    task_s = statistics.median(s.wall_s for s in probe.samples) / probe_tasks
    cpu = [s.cpu_s / s.wall_s for s in probe.samples if s.cpu_s is not None]
    waiting = bool(cpu) and statistics.median(cpu) < _WAITING
    cores = os.cpu_count() or 1
    counts = _counts(_MOST_WAITING_WORKERS if waiting else cores + 1)

    # 2. Fix the work: T tasks, as many as let every planned point fit the budget.
    def sample_s(strategy: str, workers: int, count: int) -> float:
        """Expected wall time of one sample: waiting overlaps; computing shares the cores."""
        if strategy == "sequential":
            return count * task_s
        parallel = min(workers, count) if waiting else min(workers, count, cores)
        if not waiting and strategy in ("threads", "thread-pool"):
            parallel = 1  # assume the worst: the function holds the GIL
        return count * task_s / parallel

    def sweep_s(count: int, sweep_counts: tuple[int, ...]) -> float:
        points = [("sequential", 1)] + [(s, w) for w in sweep_counts for s in strategies]
        return sum((repeat + warmup) * sample_s(s, w, count) + _POINT_OVERHEAD_S for s, w in points)

    available = budget_s * _PLANNED_SHARE - (time.perf_counter() - started)
    if tasks is not None or item_count is not None:
        total = tasks or item_count or 1
        if total < counts[-1]:
            # More workers than tasks would sit idle: T tasks keep at most T workers busy.
            counts = (*(c for c in counts if c < total), total)
    else:
        while len(counts) > 1 and sweep_s(counts[-1], counts) > available:
            counts = counts[:-1]
        total = counts[-1]
        while total * 2 <= _MAX_TASKS and sweep_s(total * 2, counts) <= available:
            total *= 2
        if sweep_s(total, counts) > available:
            notes.append(f"one call takes {task_s:.3g} s: even {total} calls per point overrun the budget")

    # 3. Sweep: sequential first, then each worker count for every strategy, fewest workers
    # first, but one worker last: it is never the advice (sequential work plus overhead),
    # only the base of the scaling table, so a tight budget is spent on 2+ workers first.
    plan = [point("sequential", 1, total, repeat, warmup)]
    plan += [point(s, w, total, repeat, warmup) for w in (*counts[1:], *counts[:1]) for s in strategies]
    estimates = [(repeat + warmup) * sample_s(p.strategy, p.workers, total) + _POINT_OVERHEAD_S for p in plan]

    def over_budget(index: int, todo: Point) -> str | None:
        elapsed = time.perf_counter() - started
        if index == 0 or elapsed + estimates[index] <= budget_s:
            return None
        skipped = ", ".join(f"{p.strategy} ×{p.workers}" for p in plan[index:])
        return f"budget of {budget_s:g} s reached after {elapsed:.1f} s; not measured: {skipped}"

    spec = Spec(
        workloads=(target,),
        strategies=tuple(dict.fromkeys(p.strategy for p in plan)),
        workers=tuple(sorted({p.workers for p in plan})),
        tasks=total,
        repeat=repeat,
        warmup=warmup,
        params=params,
        # A point far slower than planned is stuck, not slow: cut it and go on.
        timeout_s=max(10.0, 5 * max(estimates)),
        python=python,
        gil=gil,
    )
    result = execute(
        spec,
        out=out,
        on_point=on_point,
        on_sample=on_sample,
        points=plan,
        stop_before=over_budget,
        stopped=notes,
    )
    analysis = analyse(result)
    recommendation = analysis.recommendations[0] if analysis.recommendations else None
    return Advice(result, analysis, recommendation, tuple(notes))
