"""The decision of a scaling check: passed, failed or inconclusive, from a paired interval.

A check asks one question of a measured speedup — did running on
``workers`` reach ``at_least``? — and answers it three ways, never by chance::

    interval's low bound >= at_least                 -> passed
    else the machine could not give at_least cores   -> inconclusive (which source was short)
    else interval's high bound < at_least            -> failed
    else (the interval straddles at_least)           -> inconclusive

A pass stands whatever the machine was doing: the speedup was there. A
failure needs the cores: a machine that could run fewer than ``at_least``
cores at once (by its CPU affinity, its cgroup quota, its parallel capacity
probed beside the check, or the cores other programs left it over the whole
check) could not have shown the speedup however well the code scales, so the
check then says it could not tell, and names the source. The capacity probes,
before and after the check, were not enough alone: sha256 of 8 MB beside a
one-core hog read 2.81 cores (their median, on a 2-core machine) and measured
0.97–1.11×, a false failure; the hog's CPU over the whole check is what
``left`` sees.

The words are in ``threadlab.render._check``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from threadlab.analysis._summary import summarise
from threadlab.analysis._waits import PointWaits, observed_waits
from threadlab.model import Measurement, Result, Summary

CheckOutcome = Literal["passed", "failed", "inconclusive"]
CoreSource = Literal["affinity", "quota", "capacity", "left"]
Why = Literal["reached", "below", "straddles", "cores short", "no interval"]


@dataclass(frozen=True, slots=True)
class CoreLimits:
    """The cores the machine could give a check, from four sources.

    Attributes:
        affinity: the CPUs this process may run on (``os.sched_getaffinity``).
        quota: the cgroup's CPU quota in cores (``cpu.max``, or v1
            ``cfs_quota_us / cfs_period_us``); None where there is none.
        capacity: the median parallel capacity measured beside the check
            (``MachineNoise.capacity_cores``, probed before and after it);
            None where not measured.
        left: the cores other programs and the hypervisor left over the
            whole check (``cores × (1 − steal) − others_cores``); None where
            they could not be read.
    """

    affinity: int
    quota: float | None = None
    capacity: float | None = None
    left: float | None = None

    def __post_init__(self) -> None:
        if self.affinity < 1:
            raise ValueError(f"affinity must be 1 or more, not {self.affinity!r}")
        for name in ("quota", "capacity"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be above 0 or None, not {value!r}")
        if self.left is not None and not self.left >= 0:
            raise ValueError(f"left must be 0 or more or None, not {self.left!r}")


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A source of cores (a ``CoreLimits`` field) that gave fewer ``cores`` than the check ``needed``."""

    source: CoreSource
    cores: float
    needed: float


@dataclass(frozen=True, slots=True)
class ScalingDecision:
    """The decision of one check, as data.

    Attributes:
        outcome: ``passed``, ``failed`` or ``inconclusive``.
        why: what decided it: the interval ``reached`` at_least, stayed
            ``below`` it, ``straddles`` it; the ``cores short``; or ``no
            interval`` (the point crashed or too few rounds paired).
        strategy: the strategy checked.
        workers: its worker count.
        at_least: the speedup asked for.
        speedup: the median of the paired per-round speedups; None without one.
        interval: its 95% interval ``(low, high)``; None without one.
        rounds: how many rounds paired the point with sequential.
        cores: the cores the machine could give.
        short: the sources that gave fewer than ``at_least`` cores.
        gil_cause: why a free-threaded build had its GIL on while the
            point ran (an extension imported without free-threading
            support, ``PYTHON_GIL=1``); None where it was off or no such build.
        waits: where the checked point's worker threads spent their time
            (its dominant wait and that wait's top line); None where they
            were not read.
        points: every point the check measured (sequential and the strategy
            checked) with the summary the decision read, for its table.
    """

    outcome: CheckOutcome
    why: Why
    strategy: str
    workers: int
    at_least: float
    speedup: float | None
    interval: tuple[float, float] | None
    rounds: int
    cores: CoreLimits
    short: tuple[Shortfall, ...] = ()
    gil_cause: str | None = None
    waits: PointWaits | None = None
    points: tuple[tuple[Measurement, Summary | None], ...] = ()


def shortfalls(cores: CoreLimits, needed: float) -> tuple[Shortfall, ...]:
    """The sources that gave fewer than ``needed`` cores, in the order affinity, quota, capacity, left."""
    given: tuple[tuple[CoreSource, float | None], ...] = (
        ("affinity", float(cores.affinity)),
        ("quota", cores.quota),
        ("capacity", cores.capacity),
        ("left", cores.left),
    )
    return tuple(
        Shortfall(source, value, needed) for source, value in given if value is not None and value < needed
    )


def decide_scaling(
    *,
    strategy: str,
    workers: int,
    at_least: float,
    speedup: float | None,
    interval: tuple[float, float] | None,
    rounds: int,
    cores: CoreLimits,
    gil_cause: str | None = None,
    waits: PointWaits | None = None,
    points: tuple[tuple[Measurement, Summary | None], ...] = (),
) -> ScalingDecision:
    """Decide a check from its measured interval and the cores the machine gave, by the module's rule;
    the arguments are the decision's fields of the same names (``ScalingDecision``)."""
    short = shortfalls(cores, at_least)
    if interval is None:
        why: Why = "no interval"
        outcome: CheckOutcome = "inconclusive"
    elif interval[0] >= at_least:
        why, outcome = "reached", "passed"
    elif short:
        why, outcome = "cores short", "inconclusive"
    elif interval[1] < at_least:
        why, outcome = "below", "failed"
    else:
        why, outcome = "straddles", "inconclusive"
    return ScalingDecision(
        outcome=outcome,
        why=why,
        strategy=strategy,
        workers=workers,
        at_least=at_least,
        speedup=speedup,
        interval=interval,
        rounds=rounds,
        cores=cores,
        short=short if outcome == "inconclusive" else (),
        gil_cause=gil_cause,
        waits=waits,
        points=points,
    )


def decide_check(
    result: Result, *, strategy: str, workers: int, at_least: float, cores: CoreLimits
) -> ScalingDecision:
    """Decide a check from ``result``: sequential and ``strategy`` × ``workers``, measured in rounds.

    Every point is summarised once, here, and the decision carries the summaries for its table.
    """
    points = summarise(result)
    checked = [(m, s) for m, s in points if m.point.strategy == strategy and m.point.workers == workers and s]
    measurement, summary = checked[0] if checked else (None, None)
    return decide_scaling(
        strategy=strategy,
        workers=workers,
        at_least=at_least,
        speedup=summary.speedup_vs_sequential if summary else None,
        interval=summary.speedup_vs_sequential_ci if summary else None,
        rounds=summary.speedup_rounds if summary else 0,
        cores=cores,
        gil_cause=gil_cause(result, strategy),
        waits=observed_waits(measurement) if measurement else None,
        points=points,
    )


def gil_cause(result: Result, strategy: str) -> str | None:
    """Why the GIL was on under a free-threaded build where ``strategy``'s points ran; else None."""
    for interpreter in (m.interpreter for m in result.measurements if m.point.strategy == strategy):
        if interpreter is not None and interpreter.free_threaded and interpreter.gil_enabled:
            return interpreter.gil_cause or "the GIL was on"
    return None


@dataclass(frozen=True, slots=True)
class ScalingCheck:
    """What ``threadlab.check_scaling`` found: the decision, the measurements and their words.

    Attributes:
        decision: the decision as data (``ScalingDecision``): outcome, why,
            the interval, the rounds, the cores and which source was short.
        result: the measurements: sequential and the strategy checked.
        machine: the machine line (cores, capacity, speed variation, steal).
        explanation: one paragraph: what was asked, measured and decided, and
            where the checked point's time went where it was read.
        table: the points measured, one line each, speedups with intervals.
    """

    decision: ScalingDecision
    result: Result
    machine: str
    explanation: str
    table: str

    @property
    def outcome(self) -> CheckOutcome:
        """``passed``, ``failed`` or ``inconclusive``."""
        return self.decision.outcome

    @property
    def passed(self) -> bool:
        """The interval's low bound reached ``at_least``."""
        return self.decision.outcome == "passed"

    @property
    def failed(self) -> bool:
        """The interval's high bound stayed below ``at_least``, on a machine that gave the cores."""
        return self.decision.outcome == "failed"

    @property
    def inconclusive(self) -> bool:
        """Neither: the interval holds ``at_least``, the cores were short, or nothing was paired."""
        return self.decision.outcome == "inconclusive"

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95% interval of the paired speedup; None where none was measured."""
        return self.decision.interval

    @property
    def rounds(self) -> int:
        """The rounds that paired the strategy with sequential."""
        return self.decision.rounds
