"""What workloads and strategies exist, what they take, and whether they run here."""

from __future__ import annotations

from dataclasses import dataclass

from threadlab.orchestrate import _strategies  # every strategy, dask (outside the worker) included
from threadlab.worker import workloads as _workloads
from threadlab.worker._kinds import Kind
from threadlab.worker._params import describe


@dataclass(frozen=True, slots=True)
class WorkloadInfo:
    """A workload as ``threadlab workloads`` lists it.

    Attributes:
        name: what users type after ``--workload``.
        summary: one line saying what a task does.
        kind: the kind of work it declares (``Kind.CPU_HOLDS_GIL``: a ``str``,
            ``"cpu-holds-gil"``); ``kind.words`` is how people read it.
        params: ``name=default (meaning)`` per parameter.
        strategies: the strategies it can run on.
        unavailable: why it cannot run in this Python; None if it can.
    """

    name: str
    summary: str
    kind: Kind
    params: tuple[str, ...]
    strategies: tuple[str, ...]
    unavailable: str | None


@dataclass(frozen=True, slots=True)
class StrategyInfo:
    """A strategy as ``threadlab strategies`` lists it.

    Attributes:
        name: what users type after ``--strategy``.
        summary: one line saying how it runs tasks.
        mode: ``sync`` (blocking tasks) or ``async`` (coroutines).
        params: ``name=default (meaning)`` per parameter.
        safe_workers: the most workers allowed without ``--max-workers``.
        single_worker: True when it always runs on one worker (``sequential``).
        unavailable: why it cannot run in this Python; None if it can.
    """

    name: str
    summary: str
    mode: str
    params: tuple[str, ...]
    safe_workers: int
    single_worker: bool
    unavailable: str | None


def workloads() -> tuple[WorkloadInfo, ...]:
    """Every built-in workload, described, with whether it runs here."""
    modes = {name: _strategies.get(name).mode for name in _strategies.names()}
    return tuple(
        WorkloadInfo(
            name=w.name,
            summary=w.summary,
            kind=Kind(w.kind),
            params=describe(w.params),
            strategies=tuple(s for s in modes if modes[s] in (*w.modes(), "any")),
            unavailable=w.unavailable_reason(),
        )
        for w in map(_workloads.get, _workloads.names())
    )


def strategies() -> tuple[StrategyInfo, ...]:
    """Every strategy, described, with whether it runs here."""
    return tuple(
        StrategyInfo(
            name=s.name,
            summary=s.summary,
            mode=s.mode,
            params=describe(s.params),
            safe_workers=s.safe_workers,
            single_worker=s.single_worker,
            unavailable=s.unavailable_reason(),
        )
        for s in map(_strategies.get, _strategies.names())
    )
