"""``thread-pool``: tasks submitted to a ``concurrent.futures.ThreadPoolExecutor``.

As ``processes``: ``start=cold`` (the default, what every result so far
measured) makes the pool inside each sample; ``start=warm`` makes it once per
point and records its start-up apart. Tasks go in chunks of ``chunksize``
(``auto``: ``multiprocessing.Pool.map``'s rule, ``_base.chunk_size``).
"""

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
