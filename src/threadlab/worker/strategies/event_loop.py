"""``asyncio``: coroutine tasks on one event loop, at most W running at once.

W worker coroutines take task numbers from one shared iterator, so the
concurrency limit is the worker count and each task is recorded with the
slot that ran it. CPU time per task is not recorded: every task shares the
loop's thread, so a thread clock would count its neighbours' work too.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import Any, Awaitable, Callable, Iterator, List

from threadlab.worker.strategies._base import (
    Job,
    Outcome,
    Strategy,
    TaskRecord,
    reported_io,
    worker_label,
)


async def _run_all(task: Callable[[int], Awaitable[Any]], tasks: int, workers: int) -> List[TaskRecord]:
    records: List[TaskRecord] = []
    numbers: Iterator[int] = iter(range(tasks))

    async def slot(k: int) -> None:
        label = worker_label("slot-{}".format(k))
        for index in numbers:
            start = time.perf_counter_ns()
            error = None
            value = None
            try:
                value = await task(index)
            except asyncio.CancelledError:
                raise  # the slot itself is being cancelled: not the task's doing
            except BaseException:  # noqa: BLE001 - as in timed_call: a task that calls sys.exit() failed
                error = traceback.format_exc()
            end = time.perf_counter_ns()
            records.append(TaskRecord(index, start, end, None, label, error, reported_io(value)))

    await asyncio.gather(*(slot(k) for k in range(min(workers, tasks))))
    return records


class EventLoop(Strategy):
    name = "asyncio"
    summary = "coroutines on one asyncio event loop, at most W at once (async workloads)"
    mode = "async"
    # A suspended coroutine costs about a kilobyte; a million is still fine.
    safe_workers = 1_000_000

    def run(self, job: Job) -> Outcome:
        assert job.async_task is not None
        return Outcome(asyncio.run(_run_all(job.async_task, job.tasks, job.workers)), None)


STRATEGY = EventLoop()
