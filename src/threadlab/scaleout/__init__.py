"""Strategies that run tasks beyond one worker process's own children: a cluster.

Each module here is a strategy like those in ``threadlab.worker.strategies``,
with one difference: it needs a third-party engine. The worker's registry
does not know them; the orchestrator's (``threadlab.orchestrate._strategies``)
names each by its module path, and tells a worker to import it
(``strategy_module`` in the request). The module itself imports only the
standard library, so that the registry can list it, and say why it cannot
run, in a bare interpreter; the engine is imported when a point runs on it.
"""
