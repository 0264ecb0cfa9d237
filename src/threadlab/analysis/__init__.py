"""Analysis: pure functions from results to statistics, scaling models and advice.

Modules, from the data up:

* ``_stats``: one point's samples described (median and its interval), stability warnings;
* ``_summary``: the baseline rule, paired speedups, CPU/wall, a point's Python label;
* ``_scaling``: speedup, efficiency, Karp–Flatt and the USL fit per strategy;
* ``_noise``: what the machine's noise readings mean;
* ``_group``: a result's points grouped by work and Python, with their figures;
* ``_classify`` / ``_recommend``: the kind of work, and what to use for it;
* ``_remedy``: what to do about a doubt, as data, for each front end to word;
* ``_verdict``: a speedup with its interval, and the facts behind an answer, as data;
* ``_analysis``: ``analyse(result)``, all of the above for one result;
* ``_compare``: two results files, point by point;
* ``_waits``: where a point's worker threads spent their time (``point_waits``).
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
