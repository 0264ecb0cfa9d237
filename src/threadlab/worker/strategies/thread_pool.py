"""``thread-pool``: tasks submitted to a ``concurrent.futures.ThreadPoolExecutor``."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

from threadlab.worker.strategies._base import Job, Outcome, Strategy, timed_call


class ThreadPool(Strategy):
    name = "thread-pool"
    summary = "tasks submitted to a ThreadPoolExecutor with W threads"
    safe_workers = 10_000

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        call = functools.partial(timed_call, job.sync_task)
        with ThreadPoolExecutor(max_workers=job.workers, thread_name_prefix="threadlab-pool") as pool:
            futures = [pool.submit(call, index) for index in range(job.tasks)]
            records = [future.result() for future in futures]
        return Outcome(records, None)


STRATEGY = ThreadPool()
