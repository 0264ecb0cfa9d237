"""Every strategy the orchestrator can run, and the module each one lives in.

::

    worker/strategies/ (stdlib only)      scaleout/ (needs a third-party engine)
      sequential, threads, thread-pool,     dask: threadlab.scaleout.dask_cluster
      processes, interpreters, asyncio            │
                  │                               │
                  └──────── this registry ────────┘
                                │ names(), get(name), module_of(name)
                                ▼
    plan · catalogue · interpreter probes · runner ──request──► worker
                                        "strategy_module": null, or where to import it

The worker imports nothing of threadlab outside itself, so its registry
(``threadlab.worker.strategies``) knows only its own strategies; this one
adds those outside it and tells a worker where they live. A module named
here is imported only when its strategy is asked for, and imports its engine
only when a point runs on it: listing strategies imports no dask.
"""

from __future__ import annotations

from threadlab.worker import strategies as _worker
from threadlab.worker.strategies import Strategy

# Strategies outside the worker package, in the order lessons compare them, after the
# worker's own: name -> the module whose STRATEGY it is.
_OUTSIDE: dict[str, str] = {
    "dask": "threadlab.scaleout.dask_cluster",
}


def strategy_names() -> tuple[str, ...]:
    """Every strategy name, in the order lessons compare them: the worker's own, then the others.

    Returns:
        ``("sequential", "threads", "thread-pool", "processes",
        "interpreters", "asyncio", "dask")``: each one ``threadlab.strategy``
        knows, whether or not it runs here.
    """
    return (*_worker.names(), *_OUTSIDE)


def module_of(name: str) -> str | None:
    """The module a worker imports for ``name``; None for the worker's own strategies (and unknown names)."""
    return _OUTSIDE.get(name)


def strategy(name: str) -> Strategy:
    """The strategy called ``name``, wherever it lives, with its traits as attributes.

    Its traits say what it is: ``shares_one_gil``, ``pool``, ``pickles_tasks``, ``hands_off``,
    ``splits_native_work``, with ``mode``, ``params``, ``safe_workers`` and
    ``unavailable_reason()``. Asking for one imports no third-party engine.

    Args:
        name: a strategy's name, as ``--strategy`` takes it (``strategy_names()``).

    Raises:
        KeyError: no strategy has that name.
        ImportError: its module cannot be imported here.

    Example:
        >>> threadlab.strategy("processes").pickles_tasks
        True
    """
    return _worker.get(name, module_of(name))


# The short names the orchestrator's modules (and the tests) call the registry by.
names = strategy_names
get = strategy


def shares_one_gil(name: str) -> bool | None:
    """``Strategy.shares_one_gil`` of ``name``, for the data; None where no strategy has that name."""
    try:
        return get(name).shares_one_gil
    except (KeyError, ImportError):
        return None
