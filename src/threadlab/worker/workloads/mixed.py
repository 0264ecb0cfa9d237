"""``mixed``: each task alternates waiting (``io`` seconds in all) with the pure-Python loop.

In each of ``rounds`` rounds a task waits ``io / rounds`` seconds
(``time.sleep``, or ``asyncio.sleep`` on asyncio), then counts
``iterations / rounds`` steps of the ``count`` loop. It measures each wait
from before the sleep until it runs Python again, and reports their sum as
its I/O wait (``spans.io_s``), to set against the nominal ``io``.

This shows the convoy effect: a thread whose sleep has ended must take the
GIL back before it can go on, and while other threads run the loop it
waits for one of them to drop it (every ``sys.getswitchinterval()``, 5 ms
by default). Alone, a task's measured wait is ``io`` plus microseconds;
with CPU-bound neighbours each round's wait grows by up to the switch
interval or more, and the p99 of the I/O wait shows it. On asyncio the
loop of one task blocks the event loop, so the others' sleeps end late in
the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import Dict, Optional

from threadlab.worker._params import MOST_ROUNDS, MOST_STEPS, Param, ParamValue
from threadlab.worker.workloads._base import AsyncTask, Call, IOWait, Task, Workload
from threadlab.worker.workloads.count import count_task


def _steps(iterations: int, rounds: int, round_number: int) -> int:
    """Loop steps of one round: the remainder goes to the first rounds."""
    return iterations // rounds + (1 if round_number < iterations % rounds else 0)


def mixed_task(io: float, iterations: int, rounds: int) -> IOWait:
    """``rounds`` × (wait ``io / rounds`` s, count ``iterations / rounds``); report the waits measured."""
    waited = 0.0
    for round_number in range(rounds):
        start = time.perf_counter()
        time.sleep(io / rounds)
        waited += time.perf_counter() - start
        count_task(_steps(iterations, rounds, round_number))
    return IOWait(waited)


async def mixed_async_task(io: float, iterations: int, rounds: int) -> IOWait:
    """The same on an event loop: ``asyncio.sleep``, and a loop that blocks the event loop."""
    waited = 0.0
    for round_number in range(rounds):
        start = time.perf_counter()
        await asyncio.sleep(io / rounds)
        waited += time.perf_counter() - start
        count_task(_steps(iterations, rounds, round_number))
    return IOWait(waited)


class Mixed(Workload):
    name = "mixed"
    summary = "`rounds` × (wait, then the count loop): `io` s of waiting and `iterations` steps in all"
    kind = "mixed"
    params = (
        Param("io", "float", 0.05, "seconds each task waits in all", minimum=0, maximum=3600),
        Param(
            "iterations", "int", 10**6, "loop steps each task counts in all", minimum=0, maximum=MOST_STEPS
        ),
        Param(
            "rounds",
            "int",
            10,
            "how many wait-then-count rounds the task is split into",
            positive=True,
            maximum=MOST_ROUNDS,
        ),
    )

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(mixed_task, (float(params["io"]), int(params["iterations"]), int(params["rounds"])))

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        return Call(mixed_async_task, (float(params["io"]), int(params["iterations"]), int(params["rounds"])))


WORKLOAD = Mixed()
