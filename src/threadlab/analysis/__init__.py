"""Analysis: pure functions from results to statistics, scaling models and advice."""

from threadlab.analysis._advise import (
    Analysis,
    Classification,
    PointStats,
    Recommendation,
    StrategyScaling,
    analyse,
)
from threadlab.analysis._scaling import ScalingPoint, USLFit, USLNotFitted, fit_usl, karp_flatt
from threadlab.analysis._stats import SampleStats, StabilityWarning, check_stability, describe

__all__ = [
    "Analysis",
    "Classification",
    "PointStats",
    "Recommendation",
    "SampleStats",
    "ScalingPoint",
    "StabilityWarning",
    "StrategyScaling",
    "USLFit",
    "USLNotFitted",
    "analyse",
    "check_stability",
    "describe",
    "fit_usl",
    "karp_flatt",
]
