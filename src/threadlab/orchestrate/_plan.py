"""From what the user typed to the points to measure, refusing bad input first.

Every check here runs before any worker starts: bad input costs the user one
clear line, never half a run.
"""

from __future__ import annotations

import difflib
import itertools
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from threadlab._errors import SpecError
from threadlab._units import size
from threadlab.model import FoundInterpreter, Gil, Point, Spec
from threadlab.orchestrate import _strategies as strategy_registry
from threadlab.orchestrate._discover import describe
from threadlab.orchestrate._select import check_gil, where_is
from threadlab.worker import workloads as workload_registry
from threadlab.worker._params import Param, ParamValue, resolve
from threadlab.worker._text import quoted
from threadlab.worker.strategies import Strategy
from threadlab.worker.workloads import Workload

if TYPE_CHECKING:
    from threadlab.orchestrate._probe_target import TargetFacts

# The most points one run may plan: a sweep of several lists multiplies quickly.
MAX_POINTS = 1000


def split_list(text: str) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]`` (empty items dropped)."""
    return [item.strip() for item in text.split(",") if item.strip()]


# The most tasks, worker counts and rounds a command accepts: past it, a run would not end
# before its --timeout (a typo of a few digits, not a measurement).
MOST_COUNT = 10_000_000


def _nearest(name: str, choices: Iterable[str]) -> str:
    if len(name) > 200:  # difflib is quadratic; nothing that long is close to a name
        return ""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}? " if close else ""


def resolve_workload(
    name: str,
    pythons: Sequence[str],
    inputs: str,
    notes: list[str],
    probed: Mapping[tuple[str, str], TargetFacts] | None,
) -> Workload:
    """The workload called ``name``; a user's target is checked by a probe under each of ``pythons``,
    unless ``probed`` (by target and Python, for the same ``inputs``) holds the answer already.

    Raises:
        SpecError: no such workload (with the valid ones and the nearest), or
            a user's target that its probe refused.
    """
    if workload_registry.is_target(name):
        from threadlab.orchestrate._probe_target import ProbedFunction, probe_target

        answers = probed or {}
        found = [
            answers.get((name, python))
            or probe_target(name, python=python, inputs=inputs, option="workloads", inputs_option="params")
            for python in pythons
        ]
        notes.extend(found[0].notes(inputs))
        return ProbedFunction(found[0])
    try:
        return workload_registry.get(name)
    except workload_registry.TargetError as error:
        raise SpecError("workloads", str(error)) from None
    except KeyError:
        raise _unknown("workloads", "workload", name, workload_registry.names()) from None


def _strategy_named(name: str) -> Strategy:
    try:
        return strategy_registry.get(name)
    except KeyError:
        raise _unknown("strategies", "strategy", name, strategy_registry.names()) from None


def _unknown(option: str, kind: str, name: str, known: Sequence[str]) -> SpecError:
    """The error for ``name``, no ``kind`` threadlab knows: the nearest known names, then them all."""
    return SpecError(
        option, f"unknown {kind} {quoted(name)}; {_nearest(name, known)}expected one of: {', '.join(known)}"
    )


def params_taken(params: Mapping[str, ParamValue], strategies: Sequence[str]) -> dict[str, ParamValue]:
    """``params`` less the strategy parameters that none of ``strategies`` takes.

    ``plan`` refuses a strategy's parameter that none of a spec's strategies declares: each part of
    a spec built in parts (advise: a sequential part beside a pooled one) gets only what it takes.
    A parameter no strategy declares is kept: it is the workload's to accept or refuse.
    """
    taken = {param.name for name in strategies for param in _strategy_named(name).params}
    others: set[str] = set()
    for name in strategy_registry.names():
        if name in strategies:
            continue
        try:
            others.update(param.name for param in strategy_registry.get(name).params)
        except ImportError:  # a strategy whose module cannot load here takes nothing here
            continue
    return {key: value for key, value in params.items() if key in taken or key not in others}


def _apply_params(
    given: Mapping[str, ParamValue | str],
    workloads: Sequence[Workload],
    strategies: Sequence[Strategy],
) -> dict[str, tuple[ParamValue, ...]]:
    """Check every ``--param`` against whoever declares it; return its typed values.

    ``threads_per_worker=1,2,4`` is a sweep, as ``--workers`` is; a text parameter
    takes its value whole, commas and all.
    """
    owners: list[Workload | Strategy] = [*workloads, *strategies]
    declared: dict[str, Param] = {param.name: param for owner in reversed(owners) for param in owner.params}
    typed: dict[str, tuple[ParamValue, ...]] = {}
    for key, value in given.items():
        if key not in declared:
            named = ", ".join(
                [f"workload {w.name}" for w in workloads] + [f"strategy {s.name}" for s in strategies]
            )
            accepted = ", ".join(sorted(declared)) or "none"
            raise SpecError(
                "params",
                f"unknown parameter {quoted(key)} for {named}; {_nearest(key, declared)}accepted: {accepted}",
            )
        swept = isinstance(value, str) and "," in value and declared[key].kind != "text"
        texts: list[ParamValue] = [*split_list(str(value))] if swept else [value]
        if swept and not texts:
            raise SpecError(
                "params", f"{key}={quoted(value)} is not accepted; expected values like {key}=1,2,4"
            )
        try:
            for param in (param for owner in owners for param in owner.params if param.name == key):
                values = [param.parse(t) if isinstance(t, str) else param.check(t) for t in texts]
                typed[key] = tuple(dict.fromkeys(values))
        except ValueError as error:
            raise SpecError("params", str(error)) from None
    return typed


def _sweep(declared: Sequence[Param], typed: Mapping[str, tuple[ParamValue, ...]]) -> list[dict[str, Any]]:
    """Every combination of the swept values of the parameters ``declared`` names, in the order given."""
    keys = [param.name for param in declared if param.name in typed]
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(typed[k] for k in keys))]


def available_memory() -> int | None:
    """Bytes of memory this machine can give a new process now; None where it cannot tell.

    Linux's ``MemAvailable`` (free memory plus what the page cache can give
    back), else the free pages ``os.sysconf`` counts.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _check_memory(declared: Sequence[Param], values: Mapping[str, ParamValue]) -> None:
    """Refuse megabytes held in memory (``Param.held_mb``) that this machine has not got free."""
    for param in declared:
        if not param.held_mb:
            continue
        needed = float(values[param.name]) * 1024 * 1024
        free = available_memory()
        if free is not None and needed > free:
            raise SpecError(
                "params",
                f"{param.name}={values[param.name]:g} needs {size(int(needed))} of memory and this machine "
                f"has {size(free)} available; expected at most {free / (1024 * 1024):,.0f} ({param.help})",
            )


def _hosts(spec: Spec) -> list[FoundInterpreter]:
    """Each Python the spec names, probed (answers are cached), refused if it cannot run the worker."""
    hosts = []
    for python in spec.pythons or (spec.python,):
        found = describe(python or sys.executable)
        why = found.why_not()
        if why:
            raise SpecError("python", f"{quoted(python)} cannot run threadlab's worker: {why}")
        hosts.append(found)
    return hosts


# File systems of the kernel's own: a directory there takes no files (or not ones to measure).
_PSEUDO_FILE_SYSTEMS = ("/proc", "/sys", "/dev")


def _check_tmpdir() -> None:
    """Refuse a ``TMPDIR`` that cannot hold the points' temporary directories.

    ``TMPDIR`` chooses the disk file-io measures; ``tempfile`` would quietly fall back to
    ``/tmp`` from one it cannot use, and measure another disk than the one asked for.
    """
    value = os.environ.get("TMPDIR")
    if not value:
        return
    real = os.path.realpath(value)
    pseudo = next((fs for fs in _PSEUDO_FILE_SYSTEMS if real == fs or real.startswith(fs + os.sep)), None)
    if not os.path.exists(real):
        problem = "does not exist"
    elif not os.path.isdir(real):
        problem = "is not a directory"
    elif pseudo is not None:
        problem = f"is on {pseudo}, a file system of the kernel's own"
    else:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".threadlab-check-", dir=real))
            return
        except OSError as error:
            problem = f"cannot be written ({error.strerror or error})"
    shown = value if len(value) <= 80 else value[:77] + "..."
    raise SpecError(
        "TMPDIR",
        f"{shown!r} {problem}; expected a writable directory, where each point's temporary files "
        "(and file-io's) go, or TMPDIR unset",
    )


def plan(
    spec: Spec,
    notes: list[str] | None = None,
    probed: Mapping[tuple[str, str], TargetFacts] | None = None,
) -> tuple[Point, ...]:
    """Check ``spec`` and list its points: Pythons × workloads × strategies × workers.

    A composite spec (``Spec.parts``) gives the points of each part in turn.
    ``sequential`` runs on one worker: one point per distinct task count (with
    T = W by default, the baseline for W workers runs W tasks in sequence).

    Args:
        spec: what to measure.
        notes: receives one line per point left out, and why (a strategy that
            one of several Pythons cannot run is left out there).
        probed: what the caller's probes found of its user's targets, by
            (target, Python): not probed again (``resolve_workload``).

    Raises:
        SpecError: an unknown name, an unsupported pair, a parameter that is
            not accepted, more workers than a strategy's safe limit, a Python
            that cannot run the worker, ``--gil off`` without a
            free-threaded build, or a ``TMPDIR`` that cannot be used.
    """
    notes = notes if notes is not None else []
    _check_tmpdir()
    if spec.parts:
        points: list[Point] = []
        for part in spec.parts:
            points.extend(p for p in plan(part, notes, probed) if p not in points)
        return tuple(points)
    hosts = _hosts(spec)
    gils = check_gil(hosts, spec.gil, notes)
    inputs = str(spec.params.get("inputs", "") or "")
    workloads = [
        resolve_workload(name, spec.pythons or (spec.python,), inputs, notes, probed)
        for name in spec.workloads
    ]
    strategies = [_strategy_named(name) for name in spec.strategies]
    _check_hosts(strategies, hosts, notes)
    _check_workloads(workloads, strategies)
    typed = _apply_params(spec.params, workloads, strategies)
    _check_counts(spec, strategies)
    return _points(spec, hosts, gils, workloads, strategies, typed)


def _check_hosts(strategies: Sequence[Strategy], hosts: Sequence[FoundInterpreter], notes: list[str]) -> None:
    """Refuse a strategy none of the Pythons can run; note one that some of them cannot."""
    for strategy in strategies:
        reasons = [host.unavailable.get(strategy.name) for host in hosts]
        if all(reasons):
            where = "; ".join(
                f"{where_is(host)}: {reason}" for host, reason in zip(hosts, reasons, strict=True)
            )
            raise SpecError("strategies", f"{strategy.name!r} cannot run {where}")
        for host, reason in zip(hosts, reasons, strict=True):
            if reason:
                notes.append(f"{strategy.name} {where_is(host)} left out: {reason}")


def _check_workloads(workloads: Sequence[Workload], strategies: Sequence[Strategy]) -> None:
    """Refuse a workload that cannot run here, and a workload-strategy pair that is not supported."""
    for workload in workloads:
        reason = workload.unavailable_reason()
        if reason:
            raise SpecError("workloads", f"{quoted(workload.name)} cannot run here: {reason}")
        modes = workload.modes()
        for strategy in strategies:
            if strategy.mode in modes or (strategy.mode == "any" and modes):
                continue
            cannot = f"workload {quoted(workload.name)} cannot run on {strategy.name!r}:"
            if strategy.mode == "async":
                async_ones = [
                    w for w in workload_registry.names() if "async" in workload_registry.get(w).modes()
                ]
                raise SpecError(
                    "strategies",
                    f"{cannot} its task is a blocking function, which would stall the event loop; "
                    f"asyncio runs async workloads ({', '.join(async_ones)})",
                )
            raise SpecError("strategies", f"{cannot} it has only an async form; use asyncio")


def _check_counts(spec: Spec, strategies: Sequence[Strategy]) -> None:
    """Refuse more tasks or workers than threadlab counts, and more than a strategy's safe limit."""
    most = max(spec.workers)
    for option, count in (("tasks", spec.tasks or 0), ("workers", most)):
        if count > MOST_COUNT:
            raise SpecError(
                option, f"{count:,} is above {MOST_COUNT:,}; expected at most {MOST_COUNT:,} {option}"
            )
    for strategy in strategies:
        limit = max(spec.max_workers or 0, strategy.safe_workers)
        if not strategy.single_worker and most > limit:
            raise SpecError(
                "workers",
                f"{most} is above the safe limit of {limit} workers for {strategy.name}; "
                "pass {max_workers} to allow it",
                {"max_workers": most},
            )


def _points(
    spec: Spec,
    hosts: Sequence[FoundInterpreter],
    gils: Sequence[Gil],
    workloads: Sequence[Workload],
    strategies: Sequence[Strategy],
    typed: Mapping[str, tuple[ParamValue, ...]],
) -> tuple[Point, ...]:
    """The checked spec's points, each once, in the order of Pythons, workloads, strategies, workers."""
    points: list[Point] = []
    pythons = spec.pythons or (spec.python,)
    for python, host, gil in zip(pythons, hosts, gils, strict=True):
        for workload in workloads:
            for work_given in _sweep(workload.params, typed):
                work_params = resolve(workload.params, work_given)
                try:
                    workload.check(work_params)
                except ValueError as error:
                    raise SpecError("params", str(error)) from None
                _check_memory(workload.params, work_params)
                for strategy in strategies:
                    if strategy.name in host.unavailable:
                        continue
                    for own_given in _sweep(strategy.params, typed):
                        own = resolve(strategy.params, own_given)
                        # T = one task per worker thread: a Dask worker of t threads counts t, so
                        # that 1 process × 2 threads and 2 × 1 get the same 2 tasks to compare.
                        threads = own.get("threads_per_worker", 1)
                        per_worker = threads if isinstance(threads, int) and threads >= 1 else 1
                        for workers in spec.workers:
                            point = Point(
                                workload=workload.name,
                                strategy=strategy.name,
                                workers=1 if strategy.single_worker else workers,
                                tasks=spec.tasks or workers * per_worker,
                                params=work_params,
                                strategy_params=own,
                                python=python,
                                repeat=spec.repeat,
                                warmup=spec.warmup,
                                gil=gil,
                            )
                            if point not in points:
                                points.append(point)
                    if len(points) > MAX_POINTS:
                        raise SpecError(
                            "params",
                            f"the sweep makes more than {MAX_POINTS} points; sweep fewer values at once",
                        )
    return tuple(points)


# A point's worker, idle between its samples, holds about 20 MB resident: 1.98 GB for the 96
# points of a 1-20-worker sleep sweep with their pool children (issue 24), 381 MB for a 20-point
# one with threadlab itself (benchmarks/bench_big_sweep.py). The rounds measure each worker's own.
WORKER_BYTES = 20 * 1024 * 1024
# Seconds one worker takes to start and do its warm-ups: a 20-point sleep sweep ran 6 s past
# its --max-time 10 doing only that, on this busy 2-core machine (benchmarks/bench_big_sweep.py).
WORKER_START_S = 0.3
# How far past --max-time the start-ups may take a run before it is refused: ``repeat`` rounds
# are a floor, and a quick look (--max-time 0.1, a few points) starts its workers anyway.
START_GRACE_S = 10.0


def default_memory_budget() -> int | None:
    """Half the memory this machine can give now (``available_memory``); None where it cannot tell."""
    free = available_memory()
    return None if free is None else free // 2


def point_bytes(point: Point) -> int:
    """About how much memory ``point``'s live worker holds between its samples: a warm pool's
    children too (a cold pool's live only within a sample), and what ``held_mb`` parameters hold."""
    try:
        strategy = strategy_registry.get(point.strategy)
    except (KeyError, ImportError):
        return WORKER_BYTES
    warm = strategy.pickles_tasks and point.warm_pool
    total = WORKER_BYTES * (1 + (point.workers if warm else 0))
    if not workload_registry.is_target(point.workload):
        try:
            declared = workload_registry.get(point.workload).params
        except (KeyError, workload_registry.TargetError):
            declared = ()
        for param in declared:
            value = point.params.get(param.name)
            if param.held_mb and isinstance(value, (int, float)):
                total += int(value * 1024 * 1024)
    return total


def check_size(
    points: Sequence[Point], *, max_time_s: float, memory_budget: int | None, min_rounds: int = 1
) -> str | None:
    """Refuse a sweep too big for its time or memory, before any worker starts; else a note or None.

    Where one live worker per point of a group would not fit in
    ``memory_budget``, the rounds keep as many as fit and start the others
    afresh in their turn (``orchestrate/_rounds.LiveBound``); the note says so.

    Raises:
        SpecError: the start-ups, or the rounds under the memory budget,
            would overrun the time.
    """
    sizes = Counter(point.rounds_key() for point in points)
    held: Counter[tuple[object, ...]] = Counter()
    for point in points:
        held[point.rounds_key()] += point_bytes(point)
    startup_s = len(points) * WORKER_START_S
    if startup_s > max_time_s + START_GRACE_S:
        raise SpecError(
            "max_time",
            f"{len(points):,} workers take about {startup_s:.0f} s to start and warm up "
            f"({WORKER_START_S:g} s each on this machine), beyond {{max_time}} s; "
            "use fewer points or give it more time",
            {"max_time": max_time_s},
        )
    key = max(held, key=lambda k: held[k], default=None)
    if memory_budget is None or key is None or held[key] <= memory_budget:
        return None
    largest, needed = sizes[key], held[key]
    fit = max(1, min(largest, memory_budget * largest // needed))
    # The worker whose turn comes furthest is closed: all but one of those that fit stay alive.
    fresh = largest - fit + 1
    needed_s = startup_s + min_rounds * fresh * WORKER_START_S
    if needed_s > max_time_s + START_GRACE_S:
        raise SpecError(
            "memory_budget",
            f"needs about {size(needed)} for {largest:,} live workers; "
            f"{size(memory_budget)} available; with {fit:,} alive, {min_rounds} rounds would start "
            f"{fresh:,} workers afresh each, about {needed_s:.0f} s in all, beyond {{max_time}} s; "
            "use fewer points or a larger memory budget",
            {"max_time": max_time_s},
        )
    return (
        f"{largest:,} live workers would need about {size(needed)}, over the memory "
        f"budget of {size(memory_budget)}: at most {fit:,} live worker{'' if fit == 1 else 's'}, "
        f"and about {fresh:,} started "
        f"afresh every round (their warm-ups again, about {fresh * WORKER_START_S:.0f} s a round)"
    )


_SIZE_UNITS = {"": 1024**2, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def parse_size(text: str) -> int:
    """Bytes from ``"4GB"``, ``"500 MB"``, ``"2g"`` or a bare number of megabytes.

    Raises:
        ValueError: not a size above 0, with what is accepted.
    """
    shown = text.strip()
    number = shown.rstrip("kKmMgGbB ").replace("_", "")
    unit = shown[len(shown.rstrip("kKmMgGbB ")) :].strip().lower()
    try:
        value = float(number) * _SIZE_UNITS[unit]
    except (ValueError, KeyError):
        value = float("nan")
    if not (0 < value < 2**60):
        raise ValueError(f"{quoted(shown)} is not accepted; expected a size above 0 like 4GB or 500MB")
    return int(value)
