"""``threads``: one ``threading.Thread`` per worker, tasks dealt out among them.

This is the classic demo: start W threads, then join them. The time spent in
``Thread.start()`` is recorded apart (``spawn_s``), so that "1000 threads
sleeping 1 s took 1.08 s" can be told apart into sleeping and starting.
Each task's span goes straight into the sample's ``TaskLog`` (no record
object per task, and no list per thread to gather them from afterwards).
"""

from __future__ import annotations

import os
import threading
import time
from typing import List

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskLog, logged_call


class Threads(Strategy):
    name = "threads"
    summary = "one threading.Thread per worker, tasks dealt out round-robin (the classic demo)"
    # Ten thousand threads run here (stacks are virtual memory); more is usually a mistake.
    safe_workers = 10_000
    splits_native_work = True

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        task, tasks = job.sync_task, job.tasks
        workers = min(job.workers, tasks)
        threads: List[threading.Thread] = []
        pid = os.getpid()
        log = TaskLog(tasks, lambda k: "{}:{}".format(pid, threads[k].name))

        def work(worker: int) -> None:
            for index in range(worker, tasks, workers):
                logged_call(task, index, log, worker)

        threads.extend(
            threading.Thread(target=work, args=(k,), name="threadlab-thread-{}".format(k))
            for k in range(workers)
        )
        started = time.perf_counter_ns()
        for thread in threads:
            thread.start()
        spawned = time.perf_counter_ns()
        for thread in threads:
            thread.join()
        return Outcome(log, (spawned - started) / 1e9)


STRATEGY = Threads()
