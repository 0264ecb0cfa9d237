"""``sequential``: every task one after another, on one worker thread.

A coroutine task is awaited, one after another, on an event loop in that
thread: the sequential baseline of async work.

The baseline runs on a worker thread, not the main thread: the plain
``count += 1`` loop measured 10–30% slower on the main thread of the project's
2-core machines, which would inflate every speedup computed against it.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Awaitable, Callable, List

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, timed_call


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
        call = functools.partial(timed_call, task)
        records: List[TaskRecord] = []

        def work() -> None:
            for index in range(job.tasks):
                records.append(call(index))

        thread = threading.Thread(target=work, name="threadlab-sequential")
        thread.start()
        thread.join()
        return Outcome(records, None)


STRATEGY = Sequential()
