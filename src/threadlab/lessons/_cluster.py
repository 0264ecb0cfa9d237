"""The tour's "when is a cluster worth it?" lesson: a 2-worker LocalCluster against processes.

Many short sleeps, then a few CPU loops, each on 2 Dask workers and on 2
processes, both pools warm (``start=warm``), so that what is compared is what
a long-lived pool or cluster costs per task; their start-ups are measured
apart. Told where dask is installed (``tour_spec(cluster=True)``). Sized for
the quick tour: two cluster starts (about 2 s each on two cores) and a few
rounds of samples well under a second each.
"""

from __future__ import annotations

from threadlab._units import milliseconds, rate, seconds
from threadlab.analysis._pools import task_overhead
from threadlab.lessons._finding import Finding, Found, Summaries, cited, first
from threadlab.model import Spec

WORKERS = 2
REPEAT = 3
# Sizes of their own, so that these points join no other lesson's group (the classic lessons
# sleep 0.2 or 1 s and count 2,000,000 or more steps; "which Python" counts 400,000 or more).
SLEEPS = {False: 64, True: 32}
SLEEP_S = 0.01
COUNT_TASKS = 8
ITERATIONS = {False: 1_000_000, True: 300_000}
TITLE = "When is a cluster worth it? 2 Dask workers against 2 processes"


def cluster_specs(quick: bool, python: str, timeout_s: float) -> tuple[Spec, ...]:
    """The lesson's two parts: short sleeps, then CPU loops, on processes and dask, both warm."""

    def part(workload: str, tasks: int, params: dict[str, float | int | str]) -> Spec:
        return Spec(
            workloads=(workload,),
            strategies=("processes", "dask"),
            workers=(WORKERS,),
            tasks=tasks,
            repeat=REPEAT,
            params={**params, "start": "warm"},
            timeout_s=timeout_s,
            python=python,
        )

    return (
        part("sleep", SLEEPS[quick], {"duration": SLEEP_S}),
        part("count", COUNT_TASKS, {"iterations": ITERATIONS[quick]}),
    )


def _lesson(summaries: Summaries, workload: str, strategy: str) -> Found | None:
    tasks = (COUNT_TASKS,) if workload == "count" else tuple(SLEEPS.values())
    return first(
        summaries,
        lambda p: (
            (p.workload, p.strategy, p.workers) == (workload, strategy, WORKERS)
            and p.warm_pool
            and p.tasks in tasks
        ),
    )


def cluster_finding(summaries: Summaries) -> Finding | None:
    """What the lesson found, from the tour's summaries; None where it was not measured."""
    sleep_dask = _lesson(summaries, "sleep", "dask")
    sleep_pool = _lesson(summaries, "sleep", "processes")
    if sleep_dask is None or sleep_pool is None:
        return None
    cluster, pool = sleep_dask[0], sleep_pool[0]
    on_cluster, on_pool = task_overhead(cluster), task_overhead(pool)
    text = (
        f"The cluster took {seconds(cluster.startup_s)} to start (to its first task done; the pool of "
        f"processes {seconds(pool.startup_s)}), kept apart from throughput. Then {cluster.point.tasks} "
        f"sleeps of {SLEEP_S * 1e3:g} ms cost {milliseconds(on_cluster)} each beyond their own time on the "
        f"cluster, against {milliseconds(on_pool)} on processes: every task is a round trip through the "
        "Dask scheduler."
    )
    count_dask = _lesson(summaries, "count", "dask")
    count_pool = _lesson(summaries, "count", "processes")
    if count_dask is not None and count_pool is not None:
        task_s = [d for s in count_dask[0].samples for d in s.spans.durations()]
        each = f" of about {seconds(sorted(task_s)[len(task_s) // 2])} each" if task_s else ""
        text += (
            f" The CPU loop{each} ran at {rate(count_dask[1].throughput_median)} on the cluster and "
            f"{rate(count_pool[1].throughput_median)} on processes."
        )
    text += (
        " A cluster is worth it where each task takes many times its per-task overhead and its start-up "
        "is paid once for many tasks, or where the work outgrows one machine; for short tasks on one "
        "machine, a pool of processes costs less."
    )
    return Finding(TITLE, text, cited(sleep_pool, sleep_dask, count_pool, count_dask))
