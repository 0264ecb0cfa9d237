"""What Linux says about the CPUs: ``/proc/stat`` jiffies, this process's CPU, clock frequencies.

The machine-noise monitor (``_noise``) reads these at the start and the end of
a run. Each reader takes the root that ``/proc`` and ``/sys`` hang from, so
tests can point it at files of their own; where the platform has no such
file (not Linux) or no ``resource`` module, a reading is None (or empty),
never 0.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

_ROOT = Path("/")

# /proc/stat's first line: cpu user nice system idle iowait irq softirq steal guest guest_nice.
_PROC_STAT_FIELDS = 10
_USER, _NICE, _SYSTEM, _IDLE, _IOWAIT, _IRQ, _SOFTIRQ, _STEAL = range(8)
# Time the CPUs were busy running something. guest and guest_nice are already counted in
# user and nice, so the total is the first eight fields and busy leaves them out too.
_BUSY_FIELDS = (_USER, _NICE, _SYSTEM, _IRQ, _SOFTIRQ)
_TOTAL_FIELDS = 8

_CPUINFO_MHZ = re.compile(r"^cpu MHz\s*:\s*([0-9.]+)\s*$", re.MULTILINE)


def parse_proc_stat(text: str) -> tuple[int, ...] | None:
    """The all-CPU jiffy counters of a ``/proc/stat`` text, its ten fields (zeros for those an old
    kernel does not write); None when there is no ``cpu`` line or it does not parse."""
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] != "cpu":
            continue
        try:
            counters = [int(field) for field in fields[1 : 1 + _PROC_STAT_FIELDS]]
        except ValueError:
            return None
        if len(counters) < 4:
            return None
        return tuple(counters + [0] * (_PROC_STAT_FIELDS - len(counters)))
    return None


def read_proc_stat(root: Path = _ROOT) -> tuple[int, ...] | None:
    """The all-CPU jiffy counters of ``root``/proc/stat now; None where it cannot be read (not Linux)."""
    try:
        text = (root / "proc" / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return parse_proc_stat(text)


def steal_share(before: tuple[int, ...], after: tuple[int, ...]) -> float | None:
    """Share of all CPU time the hypervisor stole between two ``/proc/stat`` readings, from 0 to 1
    (guest time, already inside user time, not counted twice); None when no time passed."""
    total = sum(after[:_TOTAL_FIELDS]) - sum(before[:_TOTAL_FIELDS])
    if total <= 0:
        return None
    return min(1.0, max(0.0, (after[_STEAL] - before[_STEAL]) / total))


def others_cores(
    before: tuple[int, ...],
    after: tuple[int, ...],
    *,
    own_cpu_s: float,
    elapsed_s: float,
    clock_ticks: int,
) -> float | None:
    """Cores' worth of CPU that programs other than this one used between two readings.

    ``(busy jiffies / clock_ticks − own_cpu_s) / elapsed_s``, where busy is
    user, nice, system, irq and softirq time (not idle, iowait or steal) and
    ``own_cpu_s`` the CPU seconds this process and its reaped children used in
    between (:func:`own_cpu_s` deltas). Floored at 0, since jiffies are
    counted in whole ticks and this process's CPU time is not; None when no
    time passed.
    """
    if not (elapsed_s > 0 and clock_ticks > 0):
        return None
    busy = sum(after[i] - before[i] for i in _BUSY_FIELDS)
    others = (busy / clock_ticks - own_cpu_s) / elapsed_s
    return max(0.0, others) if math.isfinite(others) else None


def own_cpu_s() -> float | None:
    """CPU seconds (user + system) used so far by this process and its reaped children; None off Unix."""
    try:
        import resource  # Unix only: imported here so that this module imports on Windows
    except ImportError:
        return None
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def clock_ticks() -> int | None:
    try:
        ticks = os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):
        return None
    return ticks if ticks > 0 else None


def cpu_mhz_from(scaling_cur_freq: Iterable[str], cpuinfo: str | None) -> tuple[float, ...]:
    """Each core's clock frequency above 0, in MHz: from each core's ``cpufreq/scaling_cur_freq`` (kHz)
    where any parses, else from the ``cpu MHz`` lines of ``/proc/cpuinfo`` (None: unreadable)."""
    from_sysfs: list[float] = []
    for text in scaling_cur_freq:
        try:
            khz = int(text.strip())
        except ValueError:
            continue
        if khz > 0:
            from_sysfs.append(khz / 1000)
    if from_sysfs:
        return tuple(from_sysfs)
    if cpuinfo is None:
        return ()
    mhz = (float(match) for match in _CPUINFO_MHZ.findall(cpuinfo))
    return tuple(value for value in mhz if math.isfinite(value) and value > 0)


def read_cpu_mhz(root: Path = _ROOT) -> tuple[float, ...]:
    """Each core's clock frequency now (:func:`cpu_mhz_from`); empty where Linux exposes none (most VMs
    have no cpufreq, but their ``/proc/cpuinfo`` has ``cpu MHz``)."""
    texts: list[str] = []
    cpus = root / "sys" / "devices" / "system" / "cpu"
    for path in sorted(cpus.glob("cpu[0-9]*/cpufreq/scaling_cur_freq")):
        with contextlib.suppress(OSError):
            texts.append(path.read_text(encoding="ascii", errors="replace"))
    cpuinfo: str | None = None
    if not texts:
        with contextlib.suppress(OSError):
            cpuinfo = (root / "proc" / "cpuinfo").read_text(encoding="utf-8", errors="replace")
    return cpu_mhz_from(texts, cpuinfo)
