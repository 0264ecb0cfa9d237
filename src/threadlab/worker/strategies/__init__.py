"""The strategies, one module each, found by name (imported only when used)."""

from __future__ import annotations

import importlib
from typing import Dict, Tuple

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, WorkerLost, timed_call

_MODULES: Dict[str, str] = {
    "asyncio": "event_loop",
    # Outside this package: it needs dask, which it imports only when a point runs on it.
    "dask": "threadlab.scaleout.dask_cluster",
    "interpreters": "subinterpreters",
    "processes": "processes",
    "sequential": "sequential",
    "thread-pool": "thread_pool",
    "threads": "threads",
}


def names() -> Tuple[str, ...]:
    """The strategy names, in the order lessons compare them."""
    return ("sequential", "threads", "thread-pool", "processes", "interpreters", "asyncio", "dask")


def get(name: str) -> Strategy:
    """The strategy called ``name``.

    Raises:
        KeyError: no strategy has that name.
    """
    path = _MODULES[name]
    module = importlib.import_module(path if "." in path else "threadlab.worker.strategies." + path)
    strategy: Strategy = module.STRATEGY
    return strategy


__all__ = ["Job", "Outcome", "Strategy", "TaskRecord", "WorkerLost", "get", "names", "timed_call"]
