"""``asyncio``: coroutine tasks on one event loop, at most W running at once.

W worker coroutines ("slots") take task numbers from one shared iterator, so
the concurrency limit is the worker count and each task is recorded with the
slot that ran it. CPU time per task is not recorded: every task shares the
loop's thread, so a thread clock would count its neighbours' work too.

Recording must cost the loop next to nothing: on an event loop a sample's
wall time is its CPU time. With T = W = 100,000 each slot runs one task, so
the slot is all that threadlab adds to it: it writes the task's span into a
``TaskLog`` (no object per task), and the last slot to end wakes the
sample; there is no ``asyncio.gather``, which runs one more callback per
task through the loop. Measured alternately in one process against a plain
``asyncio.gather(*(asyncio.sleep(1) for ...))``, 100,000 sleeps took:

- 1.28× and 1.42× as long in two runs (the garbage collector's share up
  by 0.6–0.8 s) with ``gather``, a ``TaskRecord`` and a label per task, and
  the sleep workload's own coroutine around each ``asyncio.sleep``;
- 0.99× and 0.96× as here, the sleep workload handing back
  ``asyncio.sleep`` itself (as many collections as the plain script).

``benchmarks/bench_observer.py`` compares whole samples.
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from typing import Any, Awaitable, Callable, List

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskLog


async def _run_all(task: Callable[[int], Awaitable[Any]], tasks: int, workers: int) -> TaskLog:
    pid = os.getpid()
    log = TaskLog(tasks, lambda k: "{}:slot-{}".format(pid, k), cpu=False)
    starts, ends, owners = log.start_ns, log.end_ns, log.worker
    clock = time.perf_counter_ns
    numbers = iter(range(tasks))
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    running = [min(workers, tasks)]

    async def slot(k: int) -> None:
        try:
            for index in numbers:
                start = clock()
                value = None
                try:
                    value = await task(index)
                except asyncio.CancelledError:
                    raise  # the slot itself is being cancelled: not the task's doing
                except BaseException:  # noqa: BLE001 - as in timed_call: a task that calls sys.exit() failed
                    log.errors[index] = traceback.format_exc()
                end = clock()
                starts[index] = start
                ends[index] = end
                owners[index] = k
                if value is not None:
                    log.note_io(index, value, end - start)
        except asyncio.CancelledError:
            if not finished.done():
                finished.cancel()  # the whole sample is cancelled, as through gather
            raise
        except BaseException as error:  # noqa: BLE001 - threadlab's own failure: the sample fails with it
            if not finished.done():
                finished.set_exception(error)
        finally:
            running[0] -= 1
            if not running[0] and not finished.done():
                finished.set_result(None)

    if tasks:
        # Kept until the end: the loop holds its tasks only weakly.
        slots: List[asyncio.Task[None]] = [loop.create_task(slot(k)) for k in range(running[0])]
        await finished
        del slots
    return log


class EventLoop(Strategy):
    name = "asyncio"
    summary = "coroutines on one asyncio event loop, at most W at once (async workloads)"
    mode = "async"
    tasks_in = "caller"
    # A suspended coroutine costs about a kilobyte; a million is still fine.
    safe_workers = 1_000_000

    def run(self, job: Job) -> Outcome:
        assert job.async_task is not None
        return Outcome(asyncio.run(_run_all(job.async_task, job.tasks, job.workers)), None)


STRATEGY = EventLoop()
