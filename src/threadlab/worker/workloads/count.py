"""``count``: the pure-Python ``count += 1`` loop, which holds the GIL throughout."""

from __future__ import annotations

from typing import Dict, Optional

from threadlab.worker._params import MOST_STEPS, Param, ParamValue
from threadlab.worker.workloads._base import Call, Task, Workload


def count_task(iterations: int) -> int:
    """Count to ``iterations`` one step at a time, as the classic CPU demo does.

    The loop lives in a function (fast local variables), as it would in real
    code; the same loop at module level is markedly slower.
    """
    count = 0
    for _ in range(iterations):
        count += 1
    return count


class Count(Workload):
    name = "count"
    summary = "pure-Python `count += 1` loop of `iterations` steps; holds the GIL"
    kind = "cpu-holds-gil"
    params = (Param("iterations", "int", 10**7, "loop steps per task", positive=True, maximum=MOST_STEPS),)

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(count_task, (int(params["iterations"]),))


WORKLOAD = Count()
