"""Running a scaling check: sequential against one strategy at one worker count, in rounds.

Built on advise's machinery, never a timing loop of its own::

    probe (probe_target, a call's cost) ──> Spec(sequential, strategy × workers)
                                                   │ plan, execute: interleaved rounds,
                                                   │ the budget's deadline on every step
                                                   v
                            Result (paired speedups, MachineNoise) ──> core_limits
"""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

from threadlab.analysis._check import CoreLimits
from threadlab.model import FoundInterpreter, Gil, Result, Spec
from threadlab.orchestrate._advise import _MAX_TASKS, _MIN_SAMPLE_S, probe
from threadlab.orchestrate._execute import execute
from threadlab.orchestrate._noise import usable_cores
from threadlab.orchestrate._plan import plan
from threadlab.orchestrate._progress import Progress

_CGROUP = Path("/sys/fs/cgroup")


def cgroup_quota(root: Path = _CGROUP) -> float | None:
    """The cgroup's CPU quota in cores: ``cpu.max`` (v2), else ``cpu.cfs_quota_us / cpu.cfs_period_us`` (v1).

    None where there is no quota (``max``, ``-1``) or no readable file.
    """
    try:
        quota, period = (root / "cpu.max").read_text(encoding="ascii").split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    for folder in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            quota_us = int((folder / "cpu.cfs_quota_us").read_text(encoding="ascii"))
            period_us = int((folder / "cpu.cfs_period_us").read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    return None


def core_limits(result: Result, root: Path = _CGROUP) -> CoreLimits:
    """The cores the machine could give the check: its affinity, its cgroup quota, the median
    parallel capacity probed beside the run, and the cores other programs and the hypervisor
    left it over the run (None where the run read none)."""
    noise = result.noise
    probes = [value for value in noise.capacity_cores if value > 0] if noise is not None else []
    left = None
    if noise is not None and noise.others_cores is not None:
        left = max(0.0, noise.cores * (1.0 - (noise.steal_share or 0.0)) - noise.others_cores)
    return CoreLimits(
        affinity=usable_cores(),
        quota=cgroup_quota(root),
        # The median, as the machine line has it: the lowest probe is too harsh (1.19 and 1.99
        # at a moment the 2-core machine gave both cores, tests/data/kinds-here.json), and a
        # program that holds a core all along shows in ``left`` whatever the probes read.
        capacity=statistics.median(probes) if probes else None,
        left=left,
    )


def measure_scaling(
    target: str,
    *,
    host: FoundInterpreter,
    args: str,
    strategy: str,
    workers: int,
    budget_s: float,
    progress: Progress,
) -> Result:
    """Measure ``target`` sequentially and under ``strategy`` with ``workers``, within ``budget_s``
    from the start (the probe of the calls half of it at most); ``SpecError`` as ``advise`` raises it."""
    gil: Gil = "default"  # the one its caller, check_scaling, measures under
    probed = probe(
        target, host=host, gil=gil, args=args, inputs="", scheduler="", budget_s=budget_s, progress=progress
    )
    # Sized as advise sizes them: a sequential sample of about 0.1 s, at least one task per worker,
    # rounded up to a multiple of the workers so that none idles at the end.
    calls = min(_MAX_TASKS, max(workers, math.ceil(_MIN_SAMPLE_S / probed.call.task_s)))
    tasks = workers * math.ceil(calls / workers)
    left_s = max(0.1, probed.deadline - time.perf_counter())
    spec = Spec(
        workloads=(target,),
        strategies=("sequential", strategy),
        workers=(workers,),
        tasks=tasks,
        repeat=5,
        warmup=1,
        params=probed.params,
        # A sample far slower than the sequential one it is paired with is stuck, not slow.
        timeout_s=min(budget_s, max(10.0, 5 * tasks * probed.call.task_s)),
        python=host.executable,
        gil=gil,
        max_time_s=left_s,
    )
    points = plan(spec, probed={(target, host.executable): probed.facts})
    return execute(spec, points=points, progress=progress, deadline=probed.deadline)
