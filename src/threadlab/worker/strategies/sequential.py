"""``sequential``: every task one after another, on one worker thread.

A coroutine task is awaited, one after another, on an event loop in that
thread: the sequential baseline of async work.

The baseline runs on a worker thread, not the main thread: the plain
``count += 1`` loop measured 10–30% slower on the main thread of the project's
2-core machines, which would inflate every speedup computed against it.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Awaitable, Callable

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskLog, logged_call


def _awaiting(task: Callable[[int], Awaitable[Any]]) -> Callable[[int], Any]:
    """A blocking task that runs one coroutine task to its end on a fresh loop."""

    def run(number: int) -> Any:
        import asyncio  # only async tasks need it; its import costs a blocking point ~35 ms

        return asyncio.run(_await(task, number))

    return run


async def _await(task: Callable[[int], Awaitable[Any]], number: int) -> Any:
    return await task(number)


class Sequential(Strategy):
    name = "sequential"
    summary = "all tasks one after another on a single worker thread (the baseline)"
    mode = "any"
    single_worker = True
    safe_workers = 1

    def run(self, job: Job) -> Outcome:
        if job.sync_task is not None:
            task = job.sync_task
        else:
            assert job.async_task is not None
            task = _awaiting(job.async_task)
        thread_name = "threadlab-sequential"
        label = "{}:{}".format(os.getpid(), thread_name)
        log = TaskLog(job.tasks, lambda _: label)

        def work() -> None:
            for index in range(job.tasks):
                logged_call(task, index, log, 0)

        thread = threading.Thread(target=work, name=thread_name)
        thread.start()
        thread.join()
        return Outcome(log, None)


STRATEGY = Sequential()
