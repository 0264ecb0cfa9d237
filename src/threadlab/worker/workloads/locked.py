"""``locked``: hold one lock, shared by every thread of the worker, for ``hold`` seconds.

The lesson "A lock, not the GIL": the task sleeps (the GIL is released), yet
threads run one at a time, because each waits for the lock the other holds.
Processes (and interpreters) each import this module, so each has a lock of its
own: they overlap, which is right only where the lock guards nothing shared.
"""

from __future__ import annotations

import threading
import time
from typing import Dict, Optional

from threadlab.worker._params import DAY_S, Param, ParamValue
from threadlab.worker.workloads._base import Call, Task, Workload

# One lock per interpreter: what the threads of one worker queue on.
_LOCK = threading.Lock()


def locked_task(hold: float) -> None:
    """Sleep ``hold`` seconds while holding the module's one lock."""
    with _LOCK:  # the line the threads wait at
        time.sleep(hold)


class Locked(Workload):
    name = "locked"
    summary = "sleep `hold` seconds holding one lock shared by the worker's threads"
    kind = "lock-bound"
    params = (
        Param("hold", "float", 0.01, "seconds each task holds the lock, asleep", minimum=0.0, maximum=DAY_S),
    )

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(locked_task, (float(params["hold"]),))


WORKLOAD = Locked()
