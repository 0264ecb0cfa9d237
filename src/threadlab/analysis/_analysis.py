"""From a result to advice: per-point statistics, scaling, classification, recommendation.

Every conclusion carries the measured numbers behind it, so that a reader can
check it, and nothing is concluded where the measurements cannot tell::

    Result ──groups()──► Group per work and Python (analysis._group)
                           ├─ scaling: one StrategyScaling per strategy (USL, Karp–Flatt)
                           ├─ precision: GroupPrecision, from its rounds
                           ├─ classify() ──► Classification (analysis._classify)
                           └─ recommend() ──► Recommendation (analysis._recommend)
    pools: start-ups, per-task overheads, Dask splits, scheduler limits (analysis._pools)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from threadlab.analysis._classify import Classification, classify
from threadlab.analysis._group import (
    Group,
    GroupPrecision,
    PointStats,
    group_precision,
    groups,
    point_stats,
    rounds_of,
)
from threadlab.analysis._noise import NoiseReport, noise_report
from threadlab.analysis._pools import PoolReport, pool_report
from threadlab.analysis._recommend import Recommendation, recommend
from threadlab.analysis._scaling import ScalingPoint, USLFit, USLNotFitted, fit_usl, scaling_table
from threadlab.analysis._summary import baselines
from threadlab.model import Result, Swept


@dataclass(frozen=True, slots=True)
class StrategyScaling:
    """How one strategy's throughput scales with workers, for one workload.

    Attributes:
        workload: the workload's label (name, and parameters where needed).
        strategy: the strategy.
        python: the interpreter's label.
        points: speedup, efficiency and Karp–Flatt per worker count.
        usl: the Universal Scalability Law fit, or why it was not fitted.
    """

    workload: str
    strategy: str
    python: str
    points: tuple[ScalingPoint, ...]
    usl: USLFit | USLNotFitted


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything threadlab concludes from one result.

    Attributes:
        points: each point's statistics and stability warnings.
        scaling: how each strategy scales with workers, per workload.
        classifications: the kind of work of each workload, per Python.
        recommendations: what to use for each workload, per Python.
        noise: what the machine's noise readings say; None without readings.
        precision: how precise each group's speedups came out in its rounds.
        pools: warm pools' start-ups, per-task overheads on pools and
            clusters, Dask's process × thread splits compared, and where
            adding Dask workers stops paying.
    """

    points: tuple[PointStats, ...]
    scaling: tuple[StrategyScaling, ...]
    classifications: tuple[Classification, ...]
    recommendations: tuple[Recommendation, ...]
    noise: NoiseReport | None = None
    precision: tuple[GroupPrecision, ...] = ()
    pools: PoolReport = field(default_factory=PoolReport)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types for the results file (derived; recomputed on load), enums as their values."""
        from threadlab.model._json import plain

        data: dict[str, Any] = _identifiers(plain(self))
        return data


def _identifiers(data: Any) -> Any:
    """``data`` with every enum member (a ``Kind``, a ``Remedy``) replaced by its value."""
    if isinstance(data, enum.Enum):
        return data.value
    if isinstance(data, dict):
        return {key: _identifiers(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_identifiers(item) for item in data]
    return data


def _scalings(group: Group) -> list[StrategyScaling]:
    found = []
    base = group.baseline()
    for strategy in dict.fromkeys(m.name for m in group.members):
        if strategy == "sequential":
            continue
        mine = [m for m in group.members if m.name == strategy]
        # At each worker count, the point with the most tasks (the first of equals).
        most = {
            w: max((m for m in mine if m.workers == w), key=lambda m: m.measurement.point.tasks)
            for w in {m.workers for m in mine}
        }
        throughput = {w: most[w].throughput for w in sorted(most) if most[w].throughput > 0}
        if not throughput:
            continue
        found.append(
            StrategyScaling(
                workload=group.label,
                strategy=strategy,
                python=group.python,
                points=scaling_table(throughput, base.throughput if base else None),
                usl=fit_usl(throughput),
            )
        )
    return found


# Results of the last analysis: a command displays, saves and reports one result, and the
# analysis (USL fits and all) is computed once for it.
_LAST: list[tuple[Result, Analysis]] = []


def analyse(result: Result) -> Analysis:
    """Statistics, scaling, classification and a recommendation for every workload in ``result``.

    Pure, and computed once per result object: asked again for the same
    object, it returns the same analysis.

    Args:
        result: what was measured.

    Returns:
        The analysis, as data (``Fact``, ``Remedy`` values) for each front end to word.
    """
    if _LAST and _LAST[0][0] is result:
        return _LAST[0][1]
    noise = noise_report(result.noise) if result.noise is not None else None
    swept = Swept.among(m.point for m in result.measurements)
    every = zip(result.measurements, baselines(result.measurements), strict=True)
    found = (point_stats(i, m, base, swept) for i, (m, base) in enumerate(every))
    stats = tuple(s for s in found if s is not None)
    scaling: list[StrategyScaling] = []
    recommendations: list[Recommendation] = []
    precisions: list[GroupPrecision] = []
    grouped: list[tuple[Group, Classification]] = []
    for group in groups(result):
        scaling.extend(_scalings(group))
        rounds = rounds_of(result, group)
        precision = None if rounds is None else group_precision(group, rounds)
        if precision is not None:
            precisions.append(precision)
        classification = classify(group, result.environment.cpu_count, noise)
        grouped.append((group, classification))
        recommendations.append(recommend(group, classification, precision, result.environment.cpu_count))
    usl_fits = [
        (s.workload, s.strategy, s.python, s.usl)
        for s in scaling
        if s.strategy.split(" ")[0] == "dask" and isinstance(s.usl, USLFit)
    ]
    analysis = Analysis(
        stats,
        tuple(scaling),
        tuple(classification for _, classification in grouped),
        tuple(recommendations),
        noise,
        tuple(precisions),
        pool_report(result, grouped, usl_fits),
    )
    _LAST[:] = [(result, analysis)]
    return analysis
