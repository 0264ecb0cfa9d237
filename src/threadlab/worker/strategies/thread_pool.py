"""``thread-pool``: tasks submitted to a ``ThreadPoolExecutor``, cold or warm as ``processes``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from threadlab.worker.strategies._base import Job, PoolStrategy


class ThreadPool(PoolStrategy):
    name = "thread-pool"
    summary = "tasks submitted to a ThreadPoolExecutor with W threads"
    safe_workers = 10_000

    def open_pool(self, job: Job) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=job.workers, thread_name_prefix="threadlab-pool")


STRATEGY = ThreadPool()
