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

Why the orchestrator holds this list and the worker does not: the worker
package is standard library only, runs in the Python being measured, and
imports nothing of threadlab outside itself (``tests/test_layers.py``). A
strategy that needs a third-party package lives outside it (``scaleout/``),
so the worker's registry knows only its own strategies, and the orchestrator
tells a worker where any other one lives: the request's ``strategy_module``,
which the worker imports (``threadlab.worker.strategies.get``). The module
is named here by its path and imported only when the strategy is asked for;
it imports its engine only when a point runs on it, so listing strategies
imports no dask.

What a strategy is (shares one GIL, is a pool, pickles its tasks, hands them
off, is worth splitting native work over) is declared once, as attributes of
its ``Strategy``; whoever needs a trait asks ``strategy(name)`` for it, never
the name. This registry is public: ``threadlab.strategy`` and
``threadlab.strategy_names``.

Why the analysis does not ask this registry: it sits below the orchestrator
and may not import it (nor ``scaleout``). What it needs of a strategy is in
the data instead: the runner writes ``Strategy.shares_one_gil``, as this
registry answers it, into each ``Measurement`` it returns, and a pool's
point records its ``start`` among its strategy's parameters. The analysis
reads them there; only for files written before they were recorded does it
fall back on the worker's own registry (``own_gil`` in
``analysis/_classify.py``, ``is_pool`` in ``analysis/_pools.py``).
"""

from __future__ import annotations

from threadlab.worker import strategies as _worker
from threadlab.worker.strategies import Strategy

# Strategies outside the worker package, in the order lessons compare them, after the
# worker's own: name -> the module whose STRATEGY it is.
_OUTSIDE: dict[str, str] = {
    # Needs dask.distributed, which it imports only when a point runs on it.
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

    Its traits say what it is: ``shares_one_gil``, ``pool``,
    ``pickles_tasks``, ``hands_off``, ``splits_native_work``, with ``mode``,
    ``params``, ``safe_workers`` and ``unavailable_reason()``. Asking for one
    imports no third-party engine (dask is imported only when a point runs
    on it).

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


def homes() -> tuple[tuple[str, str | None], ...]:
    """Each strategy name with its module (None: the worker's own), for a probe to try them all."""
    return tuple((name, module_of(name)) for name in names())
