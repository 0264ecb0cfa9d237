"""``matmul``: one NumPy product of two ``n``×``n`` matrices; BLAS runs it on its own threads.

The common case of work that is already parallel inside: NumPy hands the
product to its BLAS (OpenBLAS, MKL, Accelerate), which splits one call over
a pool of native threads of its own, GIL released. Here a 600×600 product
took about 25 ms and kept 1.98 of 2 cores busy, so threads or processes
around it only compete for the same cores, unless each worker is limited to
one native thread (``-p inner_threads=1``).

NumPy is imported when a point runs, never by the worker otherwise (it is
standard library only, and runs under Pythons where NumPy is missing: the
workload then says so, and the plan refuses it with that reason).
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any, Dict, Optional

from threadlab.worker._params import Param, ParamValue
from threadlab.worker.workloads._base import Call, Task, Workload


@functools.cache
def matrices_of(n: int) -> Any:
    """Two fixed ``n``×``n`` matrices of float64 (built once per process, seeded: the same every run)."""
    import numpy  # lazily: see the module's docstring

    rng = numpy.random.default_rng(13)
    return (rng.random((n, n)), rng.random((n, n)))


def matmul_task(n: int) -> float:
    """One product of the two ``n``×``n`` matrices; returns one entry, so that nothing big is kept."""
    a, b = matrices_of(n)
    return float((a @ b)[0, 0])


class Matmul(Workload):
    name = "matmul"
    summary = "NumPy product of two `n`×`n` matrices; BLAS runs each on its own threads"
    kind = "parallel-inside"
    # 4096: three such matrices take 400 MB per worker process.
    params = (Param("n", "int", 600, "rows and columns of each matrix", minimum=1, maximum=4096),)

    def unavailable_reason(self) -> Optional[str]:
        # find_spec, not an import: importing NumPy would load its BLAS before the worker sets
        # inner_threads, and would slow every plan that only lists the workloads.
        if importlib.util.find_spec("numpy") is None:
            return "needs numpy, which this Python does not have (pip install numpy)"
        return None

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        matrices_of(int(params["n"]))

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(matmul_task, (int(params["n"]),))


WORKLOAD = Matmul()
