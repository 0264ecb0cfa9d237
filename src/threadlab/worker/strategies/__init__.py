"""The strategies, one module each, found by name (imported only when used)."""

from __future__ import annotations

import importlib
from typing import Dict, Tuple

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, timed_call

_MODULES: Dict[str, str] = {
    "asyncio": "event_loop",
    "processes": "processes",
    "sequential": "sequential",
    "thread-pool": "thread_pool",
    "threads": "threads",
}


def names() -> Tuple[str, ...]:
    """The strategy names, in the order lessons compare them."""
    return ("sequential", "threads", "thread-pool", "processes", "asyncio")


def get(name: str) -> Strategy:
    """The strategy called ``name``.

    Raises:
        KeyError: no strategy has that name.
    """
    module = importlib.import_module("threadlab.worker.strategies." + _MODULES[name])
    strategy: Strategy = module.STRATEGY
    return strategy


__all__ = ["Job", "Outcome", "Strategy", "TaskRecord", "get", "names", "timed_call"]
