"""Numbers in the units people read: seconds, rates, ratios, sizes and shares, the same everywhere."""

from __future__ import annotations

import math

# Unit, scale and decimals of ``seconds``, from the largest; a range takes its top's.
_SECONDS_UNITS = ((100.0, "s", 1.0, 0), (1.0, "s", 1.0, 3), (1e-3, "ms", 1e3, 1), (0.0, "µs", 1e6, 0))


def seconds(value: float | None) -> str:
    """``1.002 s``, ``85.3 ms``, ``412 µs``; ``-`` when absent."""
    if value is None:
        return "-"
    for floor, unit, scale, decimals in _SECONDS_UNITS:
        if value >= floor:
            return f"{value * scale:.{decimals}f} {unit}"
    return f"{value * 1e6:.0f} µs"  # below every floor (negative, NaN): in the smallest unit


def duration(value: float) -> str:
    """Three significant digits in a readable unit, as a sentence cites a time: ``1.23 ms``, ``10 µs``."""
    magnitude = abs(value)
    for floor, unit, scale in ((1.0, "s", 1.0), (1e-3, "ms", 1e3), (1e-6, "µs", 1e6)):
        if magnitude >= floor or magnitude == 0.0:
            return f"{value * scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def elapsed(value: float) -> str:
    """How long rounds took, as a sentence says it: ``41 s``, ``5.3 s``, ``770.6 ms``."""
    if value >= 10:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.1f} s"
    return seconds(value)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 sample``, ``3 samples``; ``plural`` where adding an s will not do (``processes``)."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def milliseconds(value: float | None) -> str:
    """A per-task overhead, always in milliseconds: ``2.10 ms``; ``-`` when absent."""
    return "-" if value is None else f"{value * 1e3:.2f} ms"


# A range shows its lower end in the unit of the higher with at most this many decimals.
_MOST_DECIMALS = 3


def _decimals_for_two_digits(value: float) -> int:
    """Decimals that show ``value`` (in its unit) to two significant digits."""
    if value >= 10 or value <= 0:
        return 0
    return 1 - math.floor(math.log10(value))


def seconds_range(low: float, high: float) -> str:
    """``50.6–50.8 ms``, ``0.550–1.129 s``, ``0.32–3.72 ms``: both ends in the unit of the higher.

    One unit for both ends keeps the cell short (a column of ranges fits
    120 columns beside the rest); the lower end gets the decimals it needs
    to keep two significant digits, up to 3. A lower end that would need
    more keeps its own unit: ``320 µs–1.129 s``.
    """
    for floor, unit, scale, decimals in _SECONDS_UNITS:
        if high >= floor:
            needed = 0 if unit == "µs" else _decimals_for_two_digits(low * scale)  # µs: whole ones
            if needed > _MOST_DECIMALS:
                break
            decimals = max(decimals, needed)
            return f"{low * scale:.{decimals}f}–{high * scale:.{decimals}f} {unit}"
    return f"{seconds(low)}–{seconds(high)}"


def rate(value: float | None) -> str:
    """Tasks per second: ``0.998/s``, ``19.9/s``, ``91,203/s``."""
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}/s"
    if value >= 10:
        return f"{value:.1f}/s"
    return f"{value:.3g}/s"


def ratio(value: float | None, suffix: str = "×") -> str:
    """``1.99×``; ``-`` when absent."""
    return "-" if value is None else f"{value:.2f}{suffix}"


def interval(bounds: tuple[float, float] | None, suffix: str = "×") -> str:
    """A 95% interval of a ratio: ``1.74–1.90×``; ``-`` when absent."""
    return "-" if bounds is None else f"{bounds[0]:.2f}–{bounds[1]:.2f}{suffix}"


def speedup(value: float | None, bounds: tuple[float, float] | None, *, named: bool = False) -> str:
    """A speedup with its 95% interval: ``1.82× (1.74–1.90)``; ``named``: ``1.82× (95% CI 1.74–1.90×)``;
    ``-`` without a speedup; the speedup alone without an interval."""
    if value is None or bounds is None:
        return ratio(value)
    if named:
        return f"{ratio(value)} (95% CI {interval(bounds)})"
    return f"{ratio(value)} ({interval(bounds, '')})"


def percent(share: float) -> str:
    """A relative half-width or share: ``4%``, ``0.9%`` below 1% (so it never reads ``0%``)."""
    return f"{share:.1%}" if share < 0.01 else f"{share:.0%}"


def size(value: int | None) -> str:
    """Bytes as ``23.4 MiB``; ``-`` when absent."""
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "KiB", "MiB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"
