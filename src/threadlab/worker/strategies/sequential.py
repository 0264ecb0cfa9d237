"""``sequential``: every task one after another, on one worker thread.

The baseline runs on a worker thread, not the main thread: the plain
``count += 1`` loop measured 10–30% slower on the main thread of the project's
2-core machines, which would inflate every speedup computed against it.
"""

from __future__ import annotations

import functools
import threading
from typing import List

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, timed_call


class Sequential(Strategy):
    name = "sequential"
    summary = "all tasks one after another on a single worker thread (the baseline)"
    single_worker = True
    safe_workers = 1

    def run(self, job: Job) -> Outcome:
        assert job.sync_task is not None
        call = functools.partial(timed_call, job.sync_task)
        records: List[TaskRecord] = []

        def work() -> None:
            for index in range(job.tasks):
                records.append(call(index))

        thread = threading.Thread(target=work, name="threadlab-sequential")
        thread.start()
        thread.join()
        return Outcome(records, None)


STRATEGY = Sequential()
