"""``processes``: tasks submitted to a ``concurrent.futures.ProcessPoolExecutor``.

``start=cold``, the default, times starting the processes in each sample (as
for a script that makes its pool where it needs it) and counts the children's
CPU time once they are reaped; ``start=warm`` is a long-lived pool, as in a
server (``PoolStrategy``). Cold is the default because it is what every lesson
and recorded result has measured so far: a warm default would move them all.

Start method: ``fork`` on Linux by default — the worker process is
single-threaded when the pool starts, so fork is safe there, and it is the
cheapest way to start a child. Elsewhere the platform's default (``spawn`` on
macOS and Windows). The ``start_method`` parameter (spawn, forkserver, fork) picks another.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Optional

from threadlab.worker._params import Param
from threadlab.worker.strategies._base import COLD, Job, PoolStrategy, Strategy, pool_params


def _default_start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    return methods[0]


class Processes(PoolStrategy):
    name = "processes"
    summary = "tasks submitted to a ProcessPoolExecutor with W processes"
    params = (
        *Strategy.params,
        Param(
            "start_method",
            "choice",
            _default_start_method(),
            "how pool processes start",
            choices=multiprocessing.get_all_start_methods(),
        ),
        *pool_params(COLD),
    )
    # Each process costs ~10-30 MB and a core's share; past a few hundred it is a fork bomb.
    safe_workers = 256
    shares_one_gil = False
    pickles_tasks = True
    hands_off = True
    splits_native_work = True
    tasks_in = "processes"

    def unavailable_reason(self) -> Optional[str]:
        try:
            import multiprocessing.synchronize  # noqa: F401 - needs a working sem_open
        except ImportError as error:
            return "multiprocessing does not work here: {}".format(error)
        return None

    def open_pool(self, job: Job) -> ProcessPoolExecutor:
        context = multiprocessing.get_context(str(job.params["start_method"]))
        return ProcessPoolExecutor(max_workers=job.workers, mp_context=context, initializer=job.prepare)


STRATEGY = Processes()
