"""Native thread pools (BLAS under NumPy, OpenMP, ...): their limit per worker, and what was seen of them.

::

    request: strategy_params.inner_threads = n     (0: leave the native pools as they are)
        │
        ▼  limit_environment(n), before the workload's module is imported
    os.environ: OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n, ...
        │      read by each native library as it loads, here and in every pool
        │      child or subprocess (they inherit the environment)
        ▼  limit_loaded(n), once the workload has prepared (its libraries loaded)
    threadpoolctl.threadpool_limits(n): the pools already loaded, where threadpoolctl
        │      is importable in this Python (never required: the worker is stdlib only)
        ▼  report(), after the warm-ups
    {"pools": threadpool_info() as library, API, threads, version (null without
     threadpoolctl), "variables": the variables above that are set}

A task whose one call keeps several cores busy is already parallel inside;
``inner_threads`` is how the inner × outer split is measured: N workers × 1
native thread each, against one worker whose pool uses every core.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from threadlab.worker._params import Param

# The variables that set how many threads a native library starts: loky's list (the
# one joblib sets for its workers' inner_max_num_threads), in the order it sets them.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TBB_NUM_THREADS",
)
# Each library (threadpoolctl's internal_api): how people write it, and the one of them it
# reads for its thread count (FlexiBLAS, OpenMP's).
LIBRARIES = {
    "openblas": ("OpenBLAS", "OPENBLAS_NUM_THREADS"),
    "mkl": ("MKL", "MKL_NUM_THREADS"),
    "blis": ("BLIS", "BLIS_NUM_THREADS"),
    "openmp": ("OpenMP", "OMP_NUM_THREADS"),
    "flexiblas": ("FlexiBLAS", "OMP_NUM_THREADS"),
}

# The strategy parameter every strategy takes (``Strategy.params``).
INNER_THREADS = Param(
    "inner_threads",
    "int",
    0,
    "threads of each native pool (BLAS, OpenMP) in every worker; 0 or auto leaves them as they are",
    minimum=0,
    maximum=1024,
    words={"auto": 0},
)


def requested(strategy_params: Any) -> int:
    """The ``inner_threads`` a request's strategy parameters ask for (0: none).

    Raises:
        ValueError: the value is not accepted.
    """
    given = strategy_params.get(INNER_THREADS.name, 0) if isinstance(strategy_params, dict) else 0
    return int(INNER_THREADS.check(given))


def limit_environment(threads: int) -> None:
    """Set every native thread-count variable to ``threads`` (0: leave them as they are)."""
    if threads > 0:
        for name in THREAD_VARIABLES:
            os.environ[name] = str(threads)


def _threadpoolctl() -> Any:
    try:
        import threadpoolctl  # type: ignore[import-untyped,import-not-found,unused-ignore]  # optional, in the target Python
    except ImportError:
        return None
    return threadpoolctl


def limit_loaded(threads: int) -> bool:
    """Limit the native pools already loaded to ``threads`` each, through threadpoolctl.

    The limit holds for the rest of the process: ``threadpool_limits``
    restores the pools only when left as a context manager, which it is not
    here. Returns whether anything was limited (not for 0, nor without
    threadpoolctl).
    """
    module = _threadpoolctl() if threads > 0 else None
    if module is None:
        return False
    module.threadpool_limits(limits=threads)
    return True


def report() -> Dict[str, Any]:
    """The native pools this process has loaded, and the thread variables set: the "ready" event's
    ``native`` (``model.NativeThreads``)."""
    module = _threadpoolctl()
    pools: Optional[List[Dict[str, Any]]] = None
    if module is not None:
        pools = [
            {
                "library": str(info.get("internal_api", "")),
                "api": str(info.get("user_api", "")),
                "threads": int(info.get("num_threads", 0)),
                "version": None if info.get("version") is None else str(info.get("version")),
            }
            for info in module.threadpool_info()
        ]
    variables = {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ}
    return {"pools": pools, "variables": variables}
