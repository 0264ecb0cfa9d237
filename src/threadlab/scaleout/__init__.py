"""Strategies that run tasks beyond one worker process's own children: a cluster.

Each module here is a strategy like those in ``threadlab.worker.strategies``
(the registry there names them by module path), with one difference: it
needs a third-party engine. The module itself imports only the standard
library, so that the registry can list it, and say why it cannot run, in a
bare interpreter; the engine is imported when a point runs on it.
"""
