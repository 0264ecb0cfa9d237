"""``sleep``: wait ``duration`` seconds — the stand-in for I/O of the classic demo."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Dict, Optional

from threadlab.worker._params import DAY_S, Param, ParamValue
from threadlab.worker.workloads._base import WAITED_THROUGHOUT, AsyncTask, Call, IOWait, Task, Workload


def sleep_task(duration: float) -> IOWait:
    """Block this thread for ``duration`` seconds (releases the GIL); report the wait measured."""
    start = time.perf_counter()
    time.sleep(duration)
    return IOWait(time.perf_counter() - start)


def sleep_async_task(duration: float) -> Awaitable[Any]:
    """``asyncio.sleep(duration)`` itself, reporting the task's whole span as its wait.

    Not a coroutine of its own around the sleep, which would cost the event
    loop a tenth more garbage collection with 100,000 tasks alive at once
    (see ``WAITED_THROUGHOUT``).
    """
    import asyncio  # here, not at the top: blocking points need not pay its import (~35 ms)

    return asyncio.sleep(duration, WAITED_THROUGHOUT)


class Sleep(Workload):
    name = "sleep"
    summary = "wait `duration` seconds; time.sleep, or asyncio.sleep on asyncio"
    kind = "io"
    params = (Param("duration", "float", 1.0, "seconds each task waits", minimum=0.0, maximum=DAY_S),)

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(sleep_task, (float(params["duration"]),))

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        return Call(sleep_async_task, (float(params["duration"]),))


WORKLOAD = Sleep()
