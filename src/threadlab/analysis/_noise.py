"""How steady the machine was during a run, in figures.

:func:`noise_report` derives what a reader needs from the raw
:class:`threadlab.model.MachineNoise` stored beside the run, and :func:`doubts`
names the readings that put the run's speedups in doubt; ``render/_doubts.py``
words both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from threadlab.analysis._summary import percentile
from threadlab.model import MachineNoise

# A capacity this far below the core count means at least half a core was held back
# on average: a 2-core machine measured 1.9–2.06 idle and about 1.0 when the host took
# a core, so half a core splits the two cleanly.
_CAPACITY_SHORTFALL = 0.5
# Fewer calibrations than this give no p10 and p90 worth the name.
_MIN_CALIBRATIONS = 5
# Speed variation above which the run's speedups are in doubt. The calibration loop's CPU
# time spread 3.8–4.1 ms (about 7%) over a quiet minute here, but swung 1×–2× between
# phases of a few seconds on a busy one (shared/DESIGN.md): 10% is past the quiet spread.
_SPEED_VARIATION_WARN = 0.10
# Steal above 2% of all CPU time is the hypervisor giving the CPUs to other guests.
_STEAL_WARN = 0.02
# Other programs using a quarter of a core on average take a measurable share of a
# 2-core machine: an eighth of its capacity.
_OTHERS_WARN = 0.25


@dataclass(frozen=True, slots=True)
class NoiseReport:
    """Figures derived from a run's :class:`MachineNoise`.

    Attributes:
        cores: logical CPUs the run could use.
        capacity: the median of the capacity measurements (cores that ran
            in parallel), None where none was taken.
        capacity_low: the capacity was more than half a core below ``cores``
            (on a machine of 2 cores or more): the host or other programs
            held cores back, and speedups are capped near ``capacity``.
        speed_variation: ``(p90 − p10) / median`` of the calibration CPU
            times, None with fewer than 5 of them.
        calibrations: how many calibration timings there were.
        steal_share: share of all CPU time the hypervisor stole, where known.
        others_cores: cores' worth of CPU other programs used, where known.
        cpu_mhz: lowest and highest clock frequency seen, where known.
    """

    cores: int
    capacity: float | None
    capacity_low: bool
    speed_variation: float | None
    calibrations: int
    steal_share: float | None
    others_cores: float | None
    cpu_mhz: tuple[float, float] | None


def _speed_variation(timings: tuple[float, ...]) -> float | None:
    if len(timings) < _MIN_CALIBRATIONS:
        return None
    p10, median, p90 = (percentile(timings, q) or 0.0 for q in (10, 50, 90))
    return (p90 - p10) / median if median > 0 else None


def noise_report(noise: MachineNoise) -> NoiseReport:
    """Derive the figures a reader needs from a run's noise readings.

    Args:
        noise: what the noise monitor read beside the run.

    Returns:
        The derived figures; parts the readings lack are None.
    """
    capacity = percentile(noise.capacity_cores, 50)
    capacity_low = capacity is not None and noise.cores >= 2 and capacity < noise.cores - _CAPACITY_SHORTFALL
    return NoiseReport(
        cores=noise.cores,
        capacity=capacity,
        capacity_low=capacity_low,
        speed_variation=_speed_variation(noise.calibration_cpu_s),
        calibrations=len(noise.calibration_cpu_s),
        steal_share=noise.steal_share,
        others_cores=noise.others_cores,
        cpu_mhz=noise.cpu_mhz,
    )


class NoiseDoubt(enum.StrEnum):
    """A reading of the machine that puts a run's speedups in doubt (``doubts`` says when)."""

    SPEED_VARIED = "speed-varied"
    CAPACITY_LOW = "capacity-low"
    STEAL = "steal"
    OTHER_PROGRAMS = "other-programs"


def doubts(report: NoiseReport) -> tuple[NoiseDoubt, ...]:
    """The readings that put the run's speedups in doubt, their figures in ``report``; empty when steady."""
    found: list[NoiseDoubt] = []
    if report.speed_variation is not None and report.speed_variation > _SPEED_VARIATION_WARN:
        found.append(NoiseDoubt.SPEED_VARIED)
    if report.capacity_low and report.capacity is not None:
        found.append(NoiseDoubt.CAPACITY_LOW)
    if report.steal_share is not None and report.steal_share > _STEAL_WARN:
        found.append(NoiseDoubt.STEAL)
    if report.others_cores is not None and report.others_cores > _OTHERS_WARN:
        found.append(NoiseDoubt.OTHER_PROGRAMS)
    return tuple(found)
