"""``thread-pool``: tasks submitted to a ``concurrent.futures.ThreadPoolExecutor``.

As ``processes``: ``start=cold`` (the default, what every result so far
measured) makes the pool inside each sample; ``start=warm`` makes it once per
point and records its start-up apart. Tasks go in chunks of ``chunksize``
(``auto``: ``multiprocessing.Pool.map``'s rule, ``_base.chunk_size``).
"""

from __future__ import annotations

import contextlib
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import ContextManager

from threadlab.worker.strategies._base import (
    COLD,
    Job,
    Outcome,
    Strategy,
    chunk_size,
    chunks,
    pool_params,
    timed_chunk,
    warm_pool,
)


class ThreadPool(Strategy):
    name = "thread-pool"
    summary = "tasks submitted to a ThreadPoolExecutor with W threads"
    params = (*Strategy.params, *pool_params(COLD))
    safe_workers = 10_000
    pool = True

    def session(self, job: Job) -> ContextManager[None]:
        return warm_pool(job, lambda: _pool(job))

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        call = functools.partial(timed_chunk, job.sync_task)
        size = chunk_size(job.params["chunksize"], job.tasks, job.workers)
        with contextlib.ExitStack() as stack:
            pool = job.shared if job.shared is not None else stack.enter_context(_pool(job))
            futures = [pool.submit(call, numbers) for numbers in chunks(job.tasks, size)]
            records = [record for future in futures for record in future.result()]
        return Outcome(records, None)


def _pool(job: Job) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=job.workers, thread_name_prefix="threadlab-pool")


STRATEGY = ThreadPool()
