"""``threadlab advise``: an adaptive sweep for a user's function, within a time budget.

::

    probe: sequential, a few calls ──► cost of one call, CPU/wall; a function that
        │                              raises on every call stops here, at once
        │ CPU/wall clearly above 1: one call already keeps several cores busy (BLAS,
        │ OpenMP): the sweep is one worker with its native pools as they are, against
        │ N workers (threads, processes; N up to the cores) with inner_threads=1 each
        ▼ otherwise, choose worker counts (2, 4, … up to ~64 for waiting work, about the
        │ core count for computing work), the strategies that apply to it and to
        │ this Python (dask where a scheduler is given; pools warm as well as cold
        │ where calls are short), and T calls per point, so that a sequential
        │ sample lasts about 0.1 s and at least six rounds of every point fit the budget
        ▼
    one group, measured in interleaved rounds (orchestrate/_rounds) until every
    speedup interval is within the precision asked, or the budget is spent
        │
        ▼
    analysis: classification and recommendation
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from threadlab._errors import SpecError
from threadlab.analysis import Analysis, Recommendation, analyse, cores_per_call, cpu_per_wall, summarise
from threadlab.analysis._classify import PARALLEL_INSIDE_CPU
from threadlab.model import (
    DEFAULT_PRECISION,
    FoundInterpreter,
    Gil,
    Measurement,
    Point,
    Result,
    Sample,
    Spec,
    composite,
)
from threadlab.orchestrate._execute import execute
from threadlab.orchestrate._plan import params_taken, plan
from threadlab.orchestrate._probe_target import PROBE_TIMEOUT_S, TargetFacts, probe_target, send_by_value
from threadlab.orchestrate._progress import Progress
from threadlab.orchestrate._runner import measure_point
from threadlab.orchestrate._store import ResultsWriter
from threadlab.orchestrate._strategies import strategy as strategy_of
from threadlab.worker._params import ParamValue
from threadlab.worker._text import quoted
from threadlab.worker.workloads import is_target
from threadlab.worker.workloads._function import check_call

# Worker start-up, warm-up and protocol per point, from benchmarks/bench_overhead.py (rounded up).
_POINT_OVERHEAD_S = 0.3
# Share of the budget planned for measuring; the rest absorbs misestimates and the analysis.
_PLANNED_SHARE = 0.85
# The most calls per point: beyond this the per-task records weigh on every round.
_MAX_TASKS = 50_000
# A sequential sample should last at least this long, as pyperf sizes its loops: shorter
# samples are dominated by the clock's resolution and the cost of starting workers.
_MIN_SAMPLE_S = 0.1
# A probe sample shorter than this is timed again with more calls.
_PROBE_S = 0.02
# What handing one task to a process or a subinterpreter costs beyond the call itself
# (pickling, a pipe, a wake-up): about 0.3 ms a task for processes here, measured by advise
# on a 100 ns function (660 calls: 0.21 s a sample on 2 processes).
_HANDOFF_S = 3e-4
# A point whose speedup interval lies wholly below this is clearly slower than sequential:
# it cannot be the advice, so it takes no more rounds, and the budget goes to the others.
_RETIRE_BELOW = 0.9
# Rounds that every point should fit in the budget, so that the intervals can narrow.
_PLANNED_ROUNDS = 12
# Sequential CPU/wall below this counts as waiting work, which may use many workers.
_WAITING = 0.3
_MOST_WAITING_WORKERS = 64
# A call shorter than ten hand-offs is short: a pool's start and per-task cost weigh on it, so
# the pools are tried warm (started once per point) as well as cold, as long-lived pools run.
_SHORT_TASK_S = 10 * _HANDOFF_S


@dataclass(frozen=True, slots=True)
class Advice:
    """What ``advise`` found: the measurements, their analysis, and notes on the sweep.

    Attributes:
        result: every point measured (probe excluded).
        analysis: statistics, scaling, classification and recommendation.
        recommendation: the recommendation for the function (the first
            Python's, where several were measured: see ``analysis``).
        notes: what the sweep skipped or cut short, and why.
    """

    result: Result
    analysis: Analysis
    recommendation: Recommendation | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sweep:
    """One Python's sweep, measured, not yet analysed: every point (probe excluded) and its notes."""

    result: Result
    notes: tuple[str, ...]


def target_of(function: Callable[..., object] | str) -> str:
    """The target a worker loads ``function`` by: ``module:function``, ``file.py:function``, or by value.

    A function of a script run as a program is imported from that file, as
    multiprocessing's ``spawn`` does (its top level guarded by ``if __name__ ==
    "__main__":``); one no import can reach (defined in a notebook cell or at a
    prompt, a lambda, a nested function) is sent by value (``send_by_value``).

    Raises:
        SpecError: cloudpickle cannot pickle a function that must go by value.
    """
    if isinstance(function, str):
        return function
    return _reference(function) or send_by_value(function)


def _reference(function: Callable[..., object]) -> str | None:
    """``module:qualname`` or ``file.py:qualname`` where an import reaches ``function``; else None."""
    import inspect
    import sys

    qualname = getattr(function, "__qualname__", "")
    module = getattr(function, "__module__", None)
    if not qualname or "<" in qualname or module is None:
        return None
    if module == "__main__":
        # A script run as a program: its file, if that is where the function was defined.
        # A notebook cell's functions also live in __main__, in a file that does not exist.
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        try:
            path = inspect.getsourcefile(function)
        except TypeError:
            path = None
        if path is None or main_file is None or not os.path.isfile(path):
            return None
        same = os.path.realpath(path) == os.path.realpath(main_file)
        return f"{os.path.abspath(path)}:{qualname}" if same else None
    return f"{module}:{qualname}"


def _strategies(
    facts: TargetFacts, host: FoundInterpreter, notes: list[str], scheduler: str = ""
) -> list[str]:
    """The strategies that apply to the function on ``host``; what is left out goes to ``notes``.

    ``dask`` is among them where a Dask scheduler is given: a cluster the
    user runs is worth comparing; one started here for the sweep is not.
    """
    if facts.is_async:
        notes.append("a coroutine function: measured on asyncio against awaiting one call at a time")
        return ["asyncio"]
    notes.append("not a coroutine function: asyncio does not apply")
    chosen = []
    names = ("threads", "thread-pool", "processes", "interpreters", *(("dask",) if scheduler else ()))
    for name in names:
        reason = host.unavailable.get(name)
        if reason is None and strategy_of(name).pickles_tasks:
            reason = facts.pickle_problem
        if reason:
            notes.append(f"{name} skipped: {reason}")
        else:
            chosen.append(name)
    return chosen


def advise_sweep(
    target: str,
    *,
    host: FoundInterpreter,
    gil: Gil = "default",
    args: str = "[]",
    inputs: str = "",
    tasks: int | None = None,
    budget_s: float = 60.0,
    precision: float = DEFAULT_PRECISION,
    repeat: int = 5,
    warmup: int = 1,
    writer: ResultsWriter | None = None,
    progress: Progress | None = None,
    scheduler: str = "",
    memory_budget: int | None = None,
    waits: bool = True,
) -> Sweep:
    """Measure a user's function under every strategy that applies, within ``budget_s``: no step
    runs past one deadline, ``budget_s`` from the start (the module's diagram says the steps).

    ``scheduler``: a running Dask scheduler's address, checked by the caller (``dask`` is tried on
    its workers too). ``writer`` saves the points after every round; the caller analyses the
    result. ``waits`` False: no breakdown of waits.

    Raises:
        SpecError: the target cannot be loaded, its arguments are refused,
            every call of it raised in the probe, or no call returned within
            half the budget.
    """
    progress = progress or Progress()
    probed = probe(
        target,
        host=host,
        gil=gil,
        args=args,
        inputs=inputs,
        scheduler=scheduler,
        budget_s=budget_s,
        progress=progress,
    )
    planned = plan_sweep(
        target,
        facts=probed.facts,
        host=host,
        call=probed.call,
        params=probed.params,
        gil=gil,
        inputs=inputs,
        scheduler=scheduler,
        tasks=tasks,
        budget_s=budget_s,
        spent_s=time.perf_counter() - probed.started,
        precision=precision,
        repeat=repeat,
        warmup=warmup,
    )
    points = plan(planned.spec, probed={(target, host.executable): probed.facts})  # not asked again
    result = execute(
        planned.spec,
        writer=writer,
        points=points,
        progress=progress,
        retire_below=_RETIRE_BELOW,
        deadline=probed.deadline,
        memory_budget=memory_budget,
        waits=waits,
    )
    return Sweep(result, (*planned.notes, *_cut_short(result, budget_s)))


def _cut_short(result: Result, budget_s: float) -> tuple[str, ...]:
    """A note naming the points the deadline cut short, stopped mid-step or never started; or none."""
    cut = [m.point.label() for m in result.measurements if any(e.cause == "budget" for e in m.errors)]
    if not cut:
        return ()
    return (
        f"the budget of {budget_s:g} s ran out: {len(cut)} point(s) cut short, stopped mid-step or "
        f"not started (status timeout, the reason in each point's errors): {', '.join(cut)}",
    )


def _call_params(target: str, args: str, inputs: str, scheduler: str) -> dict[str, ParamValue]:
    """The function workload's parameters for ``target``, checked before any probe."""
    if not is_target(target):  # a built-in workload name is refused here, not asserted on
        raise SpecError(
            "function",
            f"{quoted(target)} is not a target; expected package.module:function or path/to/file.py:function",
        )
    params: dict[str, ParamValue] = {"args": args, "inputs": inputs}
    if scheduler:
        params["scheduler"] = scheduler
    try:
        check_call(params)
    except ValueError as error:
        raise SpecError("args", str(error)) from None
    return params


@dataclass(frozen=True, slots=True)
class CallCost:
    """What the probe measured of one call, on this machine: what a sweep is planned from.

    Attributes:
        task_s: wall time of one call, run sequentially.
        cpu: CPU/wall of the calls; None where it was not measured.
        busy: cores one call keeps busy while it runs (native threads inside it).
        cores: this machine's cores.
        items: how many items ``inputs`` has; None without inputs.
        notes: what the probe could not do as planned (its samples cut short
            by the deadline: the warm-ups time the calls instead).
    """

    task_s: float
    cpu: float | None
    busy: float
    cores: int
    items: int | None
    notes: tuple[str, ...] = ()


class Probed(NamedTuple):
    """What ``probe`` found; the sweep's start and its one deadline (``time.perf_counter()``)."""

    started: float
    deadline: float
    params: dict[str, ParamValue]
    facts: TargetFacts
    call: CallCost


def probe(
    target: str,
    *,
    host: FoundInterpreter,
    gil: Gil,
    args: str,
    inputs: str,
    scheduler: str,
    budget_s: float,
    progress: Progress,
) -> Probed:
    """What a sweep of ``target`` is planned from, in at most half of ``budget_s``.

    The function workload's parameters; the target imported and checked in a probe process, never
    this one (``probe_target``); then the cost of one call and how much of it is CPU, from a few
    sequential calls, again with more where those few were too short to time (a sample's fixed
    cost would otherwise pass for the calls' own). Where the deadline, half the budget in, cut the
    samples short, the warm-ups that returned time the calls instead.

    Raises:
        SpecError: no call returned before the deadline (or the probe's
            worker had not started), every call raised, or the function
            failed before it could be measured.
    """
    started = time.perf_counter()
    params = _call_params(target, args, inputs, scheduler)
    facts = probe_target(
        target, python=host.executable, inputs=inputs, timeout_s=min(PROBE_TIMEOUT_S, budget_s / 2)
    )

    def probe_with(count: int) -> Measurement:
        point = Point(target, "sequential", 1, count, params, {}, host.executable, 3, 1, gil)
        # The deadline bounds the probe: it has no timeout of its own. It only times calls, so
        # it reads no waits: their sidecar's start-up (0.08-0.13 s) is a share of a small budget.
        return measure_point(
            point,
            repeat=3,
            warmup=1,
            timeout_s=None,
            on_sample=progress.sample,
            deadline=started + budget_s / 2,
            waits=False,
        )

    count = min(facts.items or 3, 3)
    measured = probe_with(count)
    durations = [d for s in measured.samples for d in s.spans.durations()]
    if measured.samples and durations and statistics.median(s.wall_s for s in measured.samples) < _PROBE_S:
        wanted = math.ceil(_PROBE_S / max(statistics.median(durations), 1e-7))
        more = min(facts.items or _MAX_TASKS, _MAX_TASKS, wanted)
        if more > count:
            again = probe_with(more)
            if again.samples:  # else the first probe's calls stand
                count, measured = more, again
    samples = _timed(measured, count, budget_s)
    cpu = cpu_per_wall(samples)
    call = CallCost(
        task_s=max(statistics.median(s.wall_s for s in samples) / count, 1e-7),
        cpu=cpu,
        # Cores one call keeps busy while it runs (CPU/wall falls when other programs hold the
        # cores; this does not), CPU/wall where the calls' own CPU was not measured.
        busy=cores_per_call(samples) or cpu or 1.0,
        cores=os.cpu_count() or 1,
        items=facts.items,
        notes=()
        if measured.samples
        else (
            f"the probe was cut short when half the budget ({budget_s / 2:.3g} s) was spent: "
            f"one call's cost is read from its warm-up of {count} call(s)",
        ),
    )
    return Probed(started, started + budget_s, params, facts, call)


def _timed(probe: Measurement, count: int, budget_s: float) -> list[Sample]:
    """What times the calls: the samples, or the warm-ups of a probe the deadline cut short.

    Refused where no call returned before the deadline (half the budget), every call raised, or
    the function failed before a sample.
    """
    cut = probe.status == "timeout" and not probe.samples
    samples = [s for s in probe.warmups if s.tasks_ok == s.tasks > 0] if cut else list(probe.samples)
    if probe.status == "timeout" and not samples:
        # The worker says hello as it starts, before it imports the target: no interpreter, no start.
        when = f"when {budget_s / 2:.3g} s, half the budget, were spent"
        raise SpecError(
            "advise",
            f"the function did not return: {count} call(s) were still running {when}, and were "
            "stopped; if one call takes that long, pass {budget}"
            if probe.interpreter is not None
            else f"the probe's worker had not started {when} (a busy machine); pass {{budget}}",
            {"budget": math.ceil(budget_s * 4)},
        )
    ran = [s for s in (*probe.warmups, *probe.samples) if s.tasks]
    if ran and all(s.tasks_ok == 0 for s in ran):
        first = probe.errors[0] if probe.errors else None
        last = (first.traceback or "").strip().splitlines()[-1:] if first else []
        raise SpecError("advise", f"every call of the function raised: {last[0] if last else 'an error'}")
    if not samples:
        failure = probe.errors[0].message if probe.errors else probe.status
        raise SpecError("advise", f"the function failed before it could be measured: {failure}")
    return samples


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What ``plan_sweep`` chose: the spec to measure, and notes on what it left out and why."""

    spec: Spec
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Costs:
    """Expected times of a sweep's samples and rounds, from one call's cost.

    ``busy``: the cores one call's work takes (1 unless it is split over
    workers with one native thread each); ``tried``: each warm pool a point more.
    """

    task_s: float
    busy: float
    cores: int
    waiting: bool
    tried: tuple[str, ...]
    repeat: int
    warmup: int
    available_s: float

    def sample_s(self, strategy: str, workers: int, count: int) -> float:
        """Expected wall time of one sample: waiting overlaps; computing shares the cores."""
        if strategy == "sequential":
            return count * self.task_s
        parallel = min(workers, count) if self.waiting else min(workers, count, self.cores)
        if not self.waiting and strategy_of(strategy).shares_one_gil:
            parallel = 1  # assume the worst: the function holds the GIL
        handoff = _HANDOFF_S if strategy_of(strategy).hands_off else 0.0
        # With one native thread, a call takes as long as all its cores' work did.
        return count * (self.task_s * self.busy + handoff) / parallel

    def round_s(self, count: int, sweep: Sequence[int]) -> float:
        return self.sample_s("sequential", 1, count) + sum(
            self.sample_s(s, w, count) for w in sweep for s in self.tried
        )

    def startup_s(self, sweep: Sequence[int], count: int) -> float:
        points = 1 + len(sweep) * len(self.tried)
        return points * (_POINT_OVERHEAD_S + self.warmup * count * self.task_s)

    def fits(self, count: int, sweep: Sequence[int]) -> bool:
        need = self.startup_s(sweep, count) + max(self.repeat, _PLANNED_ROUNDS) * self.round_s(count, sweep)
        return need <= self.available_s


def plan_sweep(
    target: str,
    *,
    facts: TargetFacts,
    host: FoundInterpreter,
    call: CallCost,
    params: dict[str, ParamValue],
    gil: Gil = "default",
    inputs: str = "",
    scheduler: str = "",
    tasks: int | None = None,
    budget_s: float = 60.0,
    spent_s: float = 0.0,
    precision: float = DEFAULT_PRECISION,
    repeat: int = 5,
    warmup: int = 1,
) -> SweepPlan:
    """The sweep to measure, as the module's diagram says, from what the probes found: pure, no I/O,
    no clock. The rounds fit in what is left of ``budget_s`` once ``spent_s`` (the probes) is spent."""
    notes: list[str] = list(facts.notes(inputs))
    params = dict(params)
    strategies = _strategies(facts, host, notes, scheduler)
    notes.extend(call.notes)
    # Already parallel inside: more workers on top of native pools that use the cores only
    # compete for them; what is worth weighing is N workers with one native thread each.
    inside = call.busy > PARALLEL_INSIDE_CPU and call.cores >= 2
    waiting = call.cpu is not None and call.cpu < _WAITING and not inside
    limit = _MOST_WAITING_WORKERS if waiting else call.cores + 1
    counts = tuple(2**i for i in range(1, (limit - 1).bit_length() + 1))  # 2, 4, … to the first ≥ limit
    busy = 1.0
    if inside:
        notes.append(
            f"one call keeps {call.busy:.2f} cores busy (native threads inside it): one worker with its "
            "native threads, against N workers with inner_threads=1 each"
        )
        strategies = [s for s in strategies if strategy_of(s).splits_native_work]
        counts = tuple(c for c in counts if c <= call.cores) or (call.cores,)
        busy = min(call.busy, float(call.cores))
    # Short calls: each pool warm as well as cold (its start-up recorded apart), chunked by default.
    pools = [name for name in strategies if strategy_of(name).pool]
    if call.task_s < _SHORT_TASK_S and pools:
        params["start"] = "cold,warm"
        notes.append(
            f"one call takes {call.task_s:.3g} s: {' and '.join(pools)} tried warm (started once per point) "
            "as well as cold, in chunks of calls (chunksize auto)"
        )
    available_s = budget_s * _PLANNED_SHARE - spent_s
    tried = (*strategies, *(pools if "start" in params else ()))  # each warm pool is a point more
    costs = _Costs(call.task_s, busy, call.cores, waiting, tried, repeat, warmup, available_s)
    counts, total = _sized(costs, counts, tasks or call.items)
    costs = _fitted(costs, counts, total, budget_s, notes)
    # A sample far slower than planned is stuck, not slow: cut it and go on. The deadline
    # bounds every step anyway; this only stops a stuck one sooner.
    slowest_s = max(costs.sample_s(s, w, total) for s in ("sequential", *strategies) for w in counts)
    spec = Spec(
        workloads=(target,),
        strategies=("sequential", *strategies),
        workers=counts,
        tasks=total,
        repeat=repeat,
        warmup=costs.warmup,
        params=params,
        timeout_s=min(budget_s, max(10.0, 5 * slowest_s)),
        python=host.executable,
        gil=gil,
        precision=precision,
        max_time_s=max(0.1, available_s - costs.startup_s(counts, total)),
    )
    return SweepPlan(_split_inside(spec, strategies, params) if inside and strategies else spec, tuple(notes))


def _sized(costs: _Costs, counts: tuple[int, ...], fixed: int | None) -> tuple[tuple[int, ...], int]:
    """The worker counts and the calls per point: ``fixed`` calls (given, or one per input), or the
    most workers that fit the budget, each count with as many calls as its largest needs."""
    if fixed is not None:
        total = fixed or 1
        # More workers than calls would sit idle: T calls keep at most T workers busy.
        counts = tuple(c for c in counts if c < total) + (
            (total,) if total < counts[-1] and total > 1 else ()
        )
        counts = counts or (2,)
        # The calls are fixed; the worker counts are not: the most that fit the budget.
        while len(counts) > 1 and not costs.fits(total, counts):
            counts = counts[:-1]
        return counts, total

    # A sequential sample of about _MIN_SAMPLE_S: fewer workers mean fewer calls too, so a
    # slow call still gets its sweep.
    def calls(sweep: tuple[int, ...]) -> int:
        return min(_MAX_TASKS, max(sweep[-1], math.ceil(_MIN_SAMPLE_S / costs.task_s)))

    while len(counts) > 1 and not costs.fits(calls(counts), counts):
        counts = counts[:-1]
    total = calls(counts)
    while total > counts[-1] and not costs.fits(total, counts):
        total = max(counts[-1], total // 2)
    return counts, total


def _fitted(costs: _Costs, counts: tuple[int, ...], total: int, budget_s: float, notes: list[str]) -> _Costs:
    """``costs`` as measured: without warm-ups where those alone would spend half of what is left
    (slow calls: each point's warm-ups would spend the budget before a sample); each overrun in ``notes``."""
    if not costs.fits(total, counts):
        notes.append(
            f"one call takes {costs.task_s:.3g} s: {_PLANNED_ROUNDS} rounds of {total} calls per point "
            f"overrun the budget of {budget_s:g} s"
        )
    needed = costs.startup_s(counts, total)
    if not costs.warmup or needed <= costs.available_s / 2:
        return costs
    costs = dataclasses.replace(costs, warmup=0)
    notes.append(
        f"one call takes {costs.task_s:.3g} s: no warm-up calls, which would have taken about "
        f"{needed - costs.startup_s(counts, total):.3g} s of the {max(costs.available_s, 0):.3g} s "
        "left to measure"
    )
    return costs


def _split_inside(spec: Spec, strategies: Sequence[str], params: dict[str, ParamValue]) -> Spec:
    """Work already parallel inside, in two parts: the sequential baseline keeps its native
    pools as they are (all cores inside one call); the others run with one native thread per worker."""
    # Each part takes only its own strategies' parameters: a warm start is no sequential's.
    alone = dataclasses.replace(
        spec, strategies=("sequential",), workers=(1,), params=params_taken(params, ("sequential",))
    )
    split = dataclasses.replace(spec, strategies=tuple(strategies), params={**params, "inner_threads": 1})
    return composite(
        (alone, split), precision=spec.precision, max_time_s=spec.max_time_s, timeout_s=spec.timeout_s
    )


def advise_pythons(
    target: str,
    *,
    hosts: Sequence[FoundInterpreter],
    gils: Sequence[Gil],
    budget_s: float,
    writer: ResultsWriter | None = None,
    progress: Progress | None = None,
    **options: object,
) -> Advice:
    """``advise_sweep`` under each Python of ``hosts``, sharing the budget; one advice of all.

    The analysis, made once on the merged result, recommends for each Python.
    ``writer`` (its lock taken by the caller before the probes start workers)
    saves a single sweep after every round, and the whole result at the end.

    Raises:
        SpecError: as ``advise_sweep``.
    """
    sweeps: list[Sweep] = []
    for host, host_gil in zip(hosts, gils, strict=True):
        sweeps.append(
            advise_sweep(
                target,
                host=host,
                gil=host_gil,
                budget_s=budget_s / len(hosts),
                writer=writer if len(hosts) == 1 else None,
                progress=progress,
                **options,  # type: ignore[arg-type]  # advise_sweep's own keywords, passed through
            )
        )
        if sweeps[-1].result.interrupted:
            break
    result = sweeps[0].result if len(sweeps) == 1 else _merged(sweeps)
    analysis = analyse(result)
    if writer is not None:
        writer.save(result, analysis.to_json(), summaries=[s for _, s in summarise(result)])
    notes = tuple(
        f"{host.label()}: {note}" if len(hosts) > 1 else note
        for host, sweep in zip(hosts, sweeps, strict=False)
        for note in sweep.notes
    )
    recommendation = analysis.recommendations[0] if analysis.recommendations else None
    return Advice(result, analysis, recommendation, notes)


def _merged(sweeps: Sequence[Sweep]) -> Result:
    """The sweeps of several Pythons as one result: every point, each sweep's rounds renumbered."""
    first = sweeps[0].result
    measurements = tuple(m for sweep in sweeps for m in sweep.result.measurements)
    offset = 0
    rounds = []
    for sweep in sweeps:
        rounds += [
            dataclasses.replace(r, points=tuple(i + offset for i in r.points)) for r in sweep.result.rounds
        ]
        offset += len(sweep.result.measurements)
    # A sweep of work already parallel inside is itself made of parts: a spec's parts have none.
    specs = tuple(part for sweep in sweeps for part in (sweep.result.spec.parts or (sweep.result.spec,)))
    return Result(
        spec=composite(
            specs,
            precision=first.spec.precision,
            max_time_s=sum(sweep.result.spec.max_time_s for sweep in sweeps),
            timeout_s=max((spec.timeout_s for spec in specs if spec.timeout_s is not None), default=None),
        ),
        environment=first.environment,
        measurements=measurements,
        interrupted=any(sweep.result.interrupted for sweep in sweeps),
        noise=first.noise,
        rounds=tuple(rounds),
    )
