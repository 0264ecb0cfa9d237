"""Why a measurement, or the machine it ran on, is in doubt, in plain words.

A point's :class:`StabilityWarning`, the machine's :class:`NoiseDoubt` values and its
``NoiseReport`` (``machine_line``, the line above the tables), worded as ``_advice`` words verdicts.
"""

from __future__ import annotations

from threadlab._units import count, duration, percent
from threadlab.analysis._noise import NoiseDoubt, NoiseReport, doubts, noise_report
from threadlab.analysis._stats import OUTLIER_MADS, OUTLIER_MIN_SHARE, StabilityWarning
from threadlab.model import Result


def stability_message(warning: StabilityWarning) -> str:
    """What was seen, citing its figures: ``only 2 samples; at least 3 are needed …``."""
    judged = warning.judged
    if warning.code == "few-samples":
        return (
            f"only {count(judged.n, 'sample')}; at least {warning.limit:g} are needed "
            "to judge how much the timings vary"
        )
    if warning.code == "high-spread" and warning.paired:
        return (
            f"its per-round speedups vary by {judged.cv:.1%} of their mean (acceptable up to "
            f"{warning.limit:.1%}), from {judged.minimum:.2f}× to {judged.maximum:.2f}×"
        )
    if warning.code == "high-spread":
        return (
            f"samples vary by {judged.cv:.1%} of their mean (coefficient of variation; "
            f"acceptable up to {warning.limit:.1%}), from {duration(judged.minimum)} "
            f"to {duration(judged.maximum)}"
        )
    if warning.code == "short-sample":
        return (
            f"the median sample took {duration(judged.median)}, under the "
            f"{duration(warning.limit)} that can be timed reliably"
        )
    outliers = len(judged.outliers)
    indices = ", ".join(str(i) for i in judged.outliers)
    return (
        f"{outliers} of {count(judged.n, 'sample')} "
        f"{'is an outlier (index' if outliers == 1 else 'are outliers (indices'} "
        f"{indices}): more than {OUTLIER_MADS:g} scaled MADs ({duration(warning.limit)}) and "
        f"{OUTLIER_MIN_SHARE:.0%} from the median {duration(judged.median)}"
    )


def stability_advice(warning: StabilityWarning) -> str:
    """What to do about it, in plain words (each command adds its options, from ``remedies``)."""
    if warning.code == "few-samples":
        return f"measure at least {max(10, round(warning.limit))} samples"
    if warning.code == "high-spread" and warning.paired:
        return "give the run more time, so that more rounds narrow the interval"
    if warning.code == "high-spread":
        return "close other programs, keep the machine on mains power, and measure more samples"
    if warning.code == "short-sample":
        return "give each task more work (e.g. more iterations), or run more tasks per sample"
    return (
        "close other programs that compete for the CPU and rerun; "
        "if outliers persist, measure more samples so the median absorbs them"
    )


def machine_line(report: NoiseReport) -> str:
    """How steady the machine was, in the one line shown above the tables; parts not read left out.

    ``machine: 2 cores, 1.93 usable in parallel; speed varied 6% over 23 calibrations;
    steal 0.0%; other programs used 0.05 cores; 2400–3000 MHz``
    """
    machine = count(report.cores, "core")
    if report.capacity is not None:
        machine += f", {report.capacity:.2f} usable in parallel"
        if report.capacity_low:
            machine += f" (cores were held back: speedups are capped near {report.capacity:.1f}×)"
    parts = [machine]
    if report.speed_variation is not None:
        parts.append(f"speed varied {report.speed_variation:.0%} over {report.calibrations} calibrations")
    if report.steal_share is not None:
        parts.append(f"steal {report.steal_share:.1%}")
    if report.others_cores is not None:
        parts.append(f"other programs used {report.others_cores:.2f} cores")
    if report.cpu_mhz is not None:
        low, high = report.cpu_mhz
        parts.append(f"{low:.0f} MHz" if round(low) == round(high) else f"{low:.0f}–{high:.0f} MHz")
    return "machine: " + "; ".join(parts)


def machine_line_of(result: Result) -> str | None:
    """The machine line of the noise readings ``result`` carries; None where it has none."""
    return None if result.noise is None else machine_line(noise_report(result.noise))


def _noise_note(doubt: NoiseDoubt, report: NoiseReport) -> str:
    if doubt is NoiseDoubt.SPEED_VARIED:
        assert report.speed_variation is not None, f"{doubt} cites the variation"
        return (
            f"the machine's speed varied {percent(report.speed_variation)} during the run: "
            "give it more time or close other programs"
        )
    if doubt is NoiseDoubt.CAPACITY_LOW:
        assert report.capacity is not None, f"{doubt} cites the capacity"
        return (
            f"only {report.capacity:.2f} of the {report.cores} cores could run in parallel: "
            f"speedups above about {report.capacity:.1f}× could not show; "
            "run again when the machine is quieter"
        )
    if doubt is NoiseDoubt.STEAL:
        return (
            f"the hypervisor took {report.steal_share:.1%} of the CPU time for other machines: "
            "run again later, or on a machine that is not shared"
        )
    return f"other programs used {report.others_cores:.2f} cores during the run: close them and run again"


def noise_notes(report: NoiseReport) -> tuple[str, ...]:
    """One note per reading that puts the run's speedups in doubt (``analysis._noise.doubts``)."""
    return tuple(_noise_note(doubt, report) for doubt in doubts(report))
