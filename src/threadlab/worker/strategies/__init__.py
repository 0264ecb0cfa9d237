"""The worker's own strategies, one module each, found by name (imported only when used).

One outside this package (``threadlab.scaleout``) is imported from the module
the request names (``strategy_module``), as ``threadlab.scaleout`` tells.
"""

from __future__ import annotations

import importlib
from typing import Dict, Optional, Tuple

from threadlab.worker.strategies._base import Job, Outcome, Strategy, TaskRecord, WorkerLost

_MODULES: Dict[str, str] = {
    "sequential": "sequential",
    "threads": "threads",
    "thread-pool": "thread_pool",
    "processes": "processes",
    "interpreters": "subinterpreters",
    "asyncio": "event_loop",
}


def names() -> Tuple[str, ...]:
    """This package's strategy names, in the order lessons compare them."""
    return tuple(_MODULES)


def get(name: str, module: Optional[str] = None) -> Strategy:
    """The strategy called ``name``: one of this package's, or the one ``module`` defines.

    Args:
        name: the strategy's name, as users type it after ``--strategy``.
        module: where a strategy outside this package lives (its ``STRATEGY``),
            as the orchestrator's registry names it in a request; None for
            this package's own.

    Raises:
        KeyError: this package has no strategy called ``name``, or ``module``
            defines none by that name.
        ImportError: ``module`` cannot be imported.
    """
    path = module if module is not None else "threadlab.worker.strategies." + _MODULES[name]
    strategy: Optional[Strategy] = getattr(importlib.import_module(path), "STRATEGY", None)
    if strategy is None or strategy.name != name:
        raise KeyError(name)
    return strategy


__all__ = ["Job", "Outcome", "Strategy", "TaskRecord", "WorkerLost", "get", "names"]
