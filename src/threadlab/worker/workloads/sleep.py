"""``sleep``: wait ``duration`` seconds — the stand-in for I/O of the classic demo."""

from __future__ import annotations

import time
from typing import Dict, Optional

from threadlab.worker._params import Param, ParamValue
from threadlab.worker.workloads._base import AsyncTask, Call, IOWait, Task, Workload


def sleep_task(duration: float) -> IOWait:
    """Block this thread for ``duration`` seconds (releases the GIL); report the wait measured."""
    start = time.perf_counter()
    time.sleep(duration)
    return IOWait(time.perf_counter() - start)


async def sleep_async_task(duration: float) -> IOWait:
    """Suspend this coroutine for ``duration`` seconds; report the wait measured."""
    start = time.perf_counter()
    import asyncio  # here, not at the top: blocking points need not pay its import (~35 ms)

    await asyncio.sleep(duration)
    return IOWait(time.perf_counter() - start)


class Sleep(Workload):
    name = "sleep"
    summary = "wait `duration` seconds; time.sleep, or asyncio.sleep on asyncio"
    kind = "io"
    params = (Param("duration", "float", 1.0, "seconds each task waits", minimum=0.0),)

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(sleep_task, (float(params["duration"]),))

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        return Call(sleep_async_task, (float(params["duration"]),))


WORKLOAD = Sleep()
