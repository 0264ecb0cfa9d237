"""The built-in workloads, one module each, found by name.

Modules are imported only when their workload is asked for, so that a worker
pays only for the imports of the point it runs.
"""

from __future__ import annotations

import importlib
from typing import Optional, Tuple

from threadlab.worker.workloads._base import KINDS, IOWait, PointRefused, Workload
from threadlab.worker.workloads._function import FunctionWorkload, TargetError, is_target

# Each in the module of its name, "-" written "_".
_NAMES = ("compress", "count", "file-io", "hash", "http", "locked", "matmul", "mixed", "sleep")


def names() -> Tuple[str, ...]:
    """The names of the built-in workloads, sorted."""
    return _NAMES


def get(name: str, pickled: Optional[str] = None) -> Workload:
    """The workload called ``name``: a built-in, or a user's ``module:function``.

    ``pickled`` is a user's function sent by value (base64 of its pickle),
    for a target that no import can reach.

    Raises:
        KeyError: no built-in workload has that name.
        TargetError: ``name`` is a user's target that cannot be loaded.
    """
    if is_target(name):
        return FunctionWorkload(name, pickled)
    if name not in _NAMES:
        raise KeyError(name)
    module = importlib.import_module("threadlab.worker.workloads." + name.replace("-", "_"))
    workload: Workload = module.WORKLOAD
    return workload


__all__ = [
    "KINDS",
    "FunctionWorkload",
    "IOWait",
    "PointRefused",
    "TargetError",
    "Workload",
    "get",
    "is_target",
    "names",
]
