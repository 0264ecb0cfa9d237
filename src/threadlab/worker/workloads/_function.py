"""A user's function as a workload: ``package.module:function`` or ``path/to/file.py:function``.

The function is called with no arguments, once per task. A coroutine
function (``async def``) runs on ``asyncio``; a plain one on every other
strategy. Process pools pickle it by reference, so it must be importable by
name: a module on the path, or a file, whose directory is put on ``sys.path``
(children started with ``spawn`` inherit that path).
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any, Awaitable, Callable, Dict, Optional, cast

from threadlab.worker._params import ParamValue
from threadlab.worker.workloads._base import Workload


class TargetError(Exception):
    """The target cannot be imported, or does not name a callable."""


def is_target(name: str) -> bool:
    """Whether ``name`` names a user's function rather than a built-in workload."""
    return ":" in name


def load_target(target: str) -> Callable[..., Any]:
    """Import ``module:function`` or ``file.py:function`` and return the function.

    Raises:
        TargetError: with one line saying what is wrong and what is expected.
    """
    where, _, attribute = target.rpartition(":")
    if not where or not attribute:
        raise TargetError(
            "{!r} is not a target; expected package.module:function or path/to/file.py:function".format(
                target
            )
        )
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetError("{!r}: no such file {!r}".format(target, where))
        directory, filename = os.path.split(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        module_name = os.path.splitext(filename)[0]
    else:
        module_name = where
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - any import failure is the user's to see
        raise TargetError(
            "{!r}: cannot import {!r}: {}: {}".format(target, module_name, type(error).__name__, error)
        ) from None
    function = module
    for part in attribute.split("."):
        try:
            function = getattr(function, part)
        except AttributeError:
            raise TargetError(
                "{!r}: module {!r} has no attribute {!r}".format(target, module_name, attribute)
            ) from None
    if not callable(function):
        raise TargetError(
            "{!r}: {} is a {}, not a function".format(target, attribute, type(function).__name__)
        )
    return cast(Callable[..., Any], function)


class FunctionWorkload(Workload):
    """A user's function, called once per task with no arguments."""

    kind = "unknown"

    def __init__(self, target: str) -> None:
        self.name = target
        self.function = load_target(target)
        self.summary = "the user's function {}".format(target)
        self.is_async = inspect.iscoroutinefunction(self.function)

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Callable[[], Any]]:
        return None if self.is_async else self.function

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[Callable[[], Awaitable[Any]]]:
        return self.function if self.is_async else None
