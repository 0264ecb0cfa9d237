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

Why the analysis does not ask this registry: it sits below the orchestrator
and may not import it (nor ``scaleout``). What it needs of a strategy,
whether its workers share one GIL, is recorded in the data instead: the
runner writes ``Strategy.shares_one_gil``, as this registry answers it, into
each ``Measurement`` it returns, and the results file keeps it. The analysis
reads it there; only for files written before it was recorded does it fall
back on the worker's own registry (``own_gil`` in ``analysis/_classify.py``).
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


def names() -> tuple[str, ...]:
    """Every strategy name, in the order lessons compare them: the worker's own, then the others."""
    return (*_worker.names(), *_OUTSIDE)


def module_of(name: str) -> str | None:
    """The module a worker imports for ``name``; None for the worker's own strategies (and unknown names)."""
    return _OUTSIDE.get(name)


def get(name: str) -> Strategy:
    """The strategy called ``name``, wherever it lives.

    Raises:
        KeyError: no strategy has that name.
        ImportError: its module cannot be imported here.
    """
    return _worker.get(name, module_of(name))


def shares_one_gil(name: str) -> bool | None:
    """``Strategy.shares_one_gil`` of ``name``, for the data; None where no strategy has that name."""
    try:
        return get(name).shares_one_gil
    except (KeyError, ImportError):
        return None


def homes() -> tuple[tuple[str, str | None], ...]:
    """Each strategy name with its module (None: the worker's own), for a probe to try them all."""
    return tuple((name, module_of(name)) for name in names())
