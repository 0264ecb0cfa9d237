"""``threads``: one ``threading.Thread`` per worker, tasks dealt out among them.

This is the classic demo: start W threads, then join them. The time spent in
``Thread.start()`` is recorded apart (``spawn_s``), so that "1000 threads
sleeping 1 s took 1.08 s" can be told apart into sleeping and starting.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import List

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, timed_call


class Threads(Strategy):
    name = "threads"
    summary = "one threading.Thread per worker, tasks dealt out round-robin (the classic demo)"
    # Ten thousand threads run here (stacks are virtual memory); more is usually a mistake.
    safe_workers = 10_000

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        call = functools.partial(timed_call, job.sync_task)
        workers = min(job.workers, job.tasks)
        shares: List[List[TaskRecord]] = [[] for _ in range(workers)]

        def work(worker: int) -> None:
            out = shares[worker]
            for index in range(worker, job.tasks, workers):
                out.append(call(index))

        threads = [
            threading.Thread(target=work, args=(k,), name="threadlab-thread-{}".format(k))
            for k in range(workers)
        ]
        started = time.perf_counter_ns()
        for thread in threads:
            thread.start()
        spawned = time.perf_counter_ns()
        for thread in threads:
            thread.join()
        return Outcome([record for share in shares for record in share], (spawned - started) / 1e9)


STRATEGY = Threads()
