"""Analysis: pure functions from results to statistics, scaling models and advice.

Modules, from the data up (each opens with what it is for): ``_stats``, ``_summary``,
``_scaling``, ``_noise``, ``_group``, ``_classify`` and ``_recommend`` (their verdicts and
remedies as data in ``_verdict`` and ``_remedy``), then ``_analysis``: ``analyse(result)``,
all of them for one result. Beside them: ``_compare`` (two results, point by point),
``_check`` (a scaling check's decision) and ``_waits`` (where worker threads spent their time).
"""

from threadlab.analysis._analysis import Analysis, StrategyScaling, analyse
from threadlab.analysis._classify import Classification, without_gil
from threadlab.analysis._group import GroupPrecision, PointStats
from threadlab.analysis._noise import NoiseReport, noise_report
from threadlab.analysis._recommend import Choice, Recommendation, Verdict
from threadlab.analysis._remedy import Remedy
from threadlab.analysis._scaling import ScalingPoint, USLFit, USLNotFitted, fit_usl, karp_flatt
from threadlab.analysis._stats import SampleStats, StabilityWarning, check_stability, describe
from threadlab.analysis._summary import (
    baseline_among,
    baseline_of,
    baselines,
    block_interval,
    cores_per_call,
    cpu_per_wall,
    drift,
    group_baseline,
    median_interval,
    paired_blocks,
    paired_ratios,
    percentile,
    python_label,
    relative_half_width,
    speedup,
    summarise,
    summary,
)
from threadlab.analysis._verdict import Fact, FactCode, Speedup, gain
from threadlab.analysis._waits import WAITING, CategoryShare, PointWaits, observed_waits, point_waits
from threadlab.worker._kinds import KIND_WORDS, Kind

__all__ = [
    "KIND_WORDS",
    "WAITING",
    "Analysis",
    "CategoryShare",
    "Choice",
    "Classification",
    "Fact",
    "FactCode",
    "GroupPrecision",
    "Kind",
    "NoiseReport",
    "PointStats",
    "PointWaits",
    "Recommendation",
    "Remedy",
    "SampleStats",
    "ScalingPoint",
    "Speedup",
    "StabilityWarning",
    "StrategyScaling",
    "USLFit",
    "USLNotFitted",
    "Verdict",
    "analyse",
    "baseline_among",
    "baseline_of",
    "baselines",
    "block_interval",
    "check_stability",
    "cores_per_call",
    "cpu_per_wall",
    "describe",
    "drift",
    "fit_usl",
    "gain",
    "group_baseline",
    "karp_flatt",
    "median_interval",
    "noise_report",
    "observed_waits",
    "paired_blocks",
    "paired_ratios",
    "percentile",
    "point_waits",
    "python_label",
    "relative_half_width",
    "speedup",
    "summarise",
    "summary",
    "without_gil",
]
