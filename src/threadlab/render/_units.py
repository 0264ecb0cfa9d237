"""Numbers in the units people read: seconds, rates, ratios, bytes."""

from __future__ import annotations


def seconds(value: float | None) -> str:
    """``1.002 s``, ``85.3 ms``, ``412 µs``; ``-`` when absent."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


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


def size(value: int | None) -> str:
    """Bytes as ``23.4 MiB``; ``-`` when absent."""
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"
