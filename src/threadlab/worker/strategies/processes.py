"""``processes``: tasks submitted to a ``concurrent.futures.ProcessPoolExecutor``.

The pool is created and shut down inside each sample, so the wall time
includes starting the processes (as it would for a user), and the children's
CPU time is counted once they are reaped.

Start method: ``fork`` on Linux by default — the worker process is
single-threaded when the pool starts, so fork is safe there, and it is the
cheapest way to start a child. Elsewhere the platform's default (``spawn`` on
macOS and Windows). ``--param start_method=spawn|forkserver|fork`` picks another.
"""

from __future__ import annotations

import functools
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Optional

from threadlab.worker._params import Param
from threadlab.worker.strategies._base import Job, Outcome, Strategy, timed_call


def _default_start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    return methods[0]


class Processes(Strategy):
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
    )
    # Each process costs ~10-30 MB and a core's share; past a few hundred it is a fork bomb.
    safe_workers = 256
    shares_one_gil = False

    def unavailable_reason(self) -> Optional[str]:
        try:
            import multiprocessing.synchronize  # noqa: F401 - needs a working sem_open
        except ImportError as error:
            return "multiprocessing does not work here: {}".format(error)
        return None

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        call = functools.partial(timed_call, job.sync_task)
        context = multiprocessing.get_context(str(job.params["start_method"]))
        with ProcessPoolExecutor(
            max_workers=job.workers, mp_context=context, initializer=job.prepare
        ) as pool:
            futures = [pool.submit(call, index) for index in range(job.tasks)]
            records = [future.result() for future in futures]
        return Outcome(records, None)


STRATEGY = Processes()
