"""A user's function as a workload: ``package.module:function`` or ``path/to/file.py:function``.

Each task calls the function once: with the ``args`` parameter (a JSON list)
as its positional arguments, or, with ``inputs=module:name``, with item i of
that sequence for task i (one call per item). A coroutine function
(``async def``) runs on ``asyncio`` and ``sequential``; a plain one on every
strategy but ``asyncio``. Process pools pickle the function by reference, so
it must be importable by name: a module on the path, or a file, whose
directory is put on ``sys.path`` (children started with ``spawn`` inherit that
path).

A function that no import can reach (defined in a notebook cell, or nested)
comes *by value* instead: the orchestrator pickles it with cloudpickle and the
request carries the bytes (``function``, base64); they are loaded here with
plain ``pickle``, which needs cloudpickle importable in this Python, and sent
to pool children and subinterpreters as those same bytes.
"""

from __future__ import annotations

import base64
import functools
import importlib
import itertools
import json
import os
import pickle
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, cast

from threadlab.worker._params import Param, ParamValue
from threadlab.worker._text import quoted
from threadlab.worker.workloads._base import AsyncTask, Task, Workload

# The most items of ``inputs`` read: past this an iterable is cut (an endless one would
# otherwise grow until the machine runs out of memory; the orchestrator's probe says so in a
# note). A million tasks is more than any point runs (advise caps a point at 50,000 calls).
INPUTS_LIMIT = 1_000_000


class TargetError(Exception):
    """The target cannot be imported, or does not name what it should."""


def is_target(name: str) -> bool:
    """Whether ``name`` names a user's function rather than a built-in workload."""
    return ":" in name


def load_target(target: str) -> Any:
    """Import ``module:attribute`` or ``file.py:attribute`` and return the attribute; ``TargetError`` (one
    line: what is wrong, what is expected) where it cannot."""
    where, _, attribute = target.rpartition(":")
    if not where or not attribute:
        raise TargetError(
            "{} is not a target; expected package.module:function or path/to/file.py:function".format(
                quoted(target)
            )
        )
    if where.endswith(".py") or "/" in where or os.sep in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetError("{}: no such file {}".format(quoted(target), quoted(where)))
        directory, filename = os.path.split(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        module_name = os.path.splitext(filename)[0]
    else:
        module_name = where
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except MemoryError:
        raise  # the probe says it ran out of memory, with its limit
    except Exception as error:  # noqa: BLE001 - any failure to import is the user's to see
        raise TargetError(
            "{}: cannot import {}: {}: {}".format(
                quoted(target), quoted(module_name), type(error).__name__, error
            )
        ) from None
    found: Any = module
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise TargetError(
                "{}: module {} has no attribute {}".format(
                    quoted(target), quoted(module_name), quoted(attribute)
                )
            ) from None
    return found


def load_function(target: str) -> Callable[..., Any]:
    """The callable a target names; ``TargetError`` where it cannot be imported or is not callable."""
    function = load_target(target)
    if not callable(function):
        raise TargetError(
            "{}: {} is a {}, not a function".format(
                quoted(target), target.rpartition(":")[2], type(function).__name__
            )
        )
    return cast(Callable[..., Any], function)


@functools.cache
def load_inputs(target: str) -> List[Any]:
    """The items of ``--inputs`` (a sequence, an iterable, or a function returning one); ``TargetError``
    where it cannot be imported, is not iterable, or is empty.

    Loaded once per process and kept, so every task of the process reads the
    same list, and a process-pool child loads it by name instead of receiving
    it with every task.
    """
    source = load_target(target)
    if callable(source):
        source = source()
    try:
        items = list(itertools.islice(source, INPUTS_LIMIT))
    except TypeError:
        raise TargetError(
            "inputs {!r} is a {}, not an iterable; expected a list, a tuple, a generator "
            "or a function returning one".format(target, type(source).__name__)
        ) from None
    if not items:
        raise TargetError("inputs {!r} is empty; expected at least one item".format(target))
    return items


@functools.cache
def load_by_value(pickled: str) -> Callable[..., Any]:
    """The function a request carries by value: base64 of its pickle (cloudpickle's), loaded once;
    ``TargetError`` where the bytes do not load here (cloudpickle missing, another Python version) or
    do not give a callable."""
    try:
        function = pickle.loads(base64.b64decode(pickled))
    except Exception as error:  # noqa: BLE001 - any failure to load is the reason to give
        why = "{}: {}".format(type(error).__name__, error)
        try:
            importlib.import_module("cloudpickle")  # what a cloudpickle payload needs to load
        except ImportError as missing:
            why = "cloudpickle cannot be imported in this Python ({}: {})".format(
                type(missing).__name__, missing
            )
        raise TargetError("the function sent by value cannot be loaded here: {}".format(why)) from None
    if not callable(function):
        raise TargetError("what was sent by value is a {}, not a function".format(type(function).__name__))
    return cast(Callable[..., Any], function)


def parse_args(text: str) -> Tuple[Any, ...]:
    """The ``args`` parameter: a JSON list of positional arguments (else ``ValueError``)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise ValueError(
            'args={!r} is not accepted; expected a JSON list of arguments, like [1, "a"]'.format(text)
        )
    return tuple(value)


def check_call(params: Dict[str, ParamValue]) -> None:
    """Refuse (``ValueError``) ``args`` not a JSON list, or given with ``inputs``; imports nothing."""
    parse_args(str(params["args"]))
    if params["inputs"] and params["args"] != "[]":
        raise ValueError("args and inputs exclude each other; give one of them")


class FunctionCall:
    """A picklable task calling a user's function: same ``args``, or item i of ``inputs``.

    A function sent by value crosses into pool children and subinterpreters
    as the bytes it came in (``pickled``), since no import there can reach it.
    """

    __slots__ = ("args", "function", "inputs", "pickled")

    def __init__(
        self, function: Callable[..., Any], args: Sequence[Any], inputs: str, pickled: Optional[str] = None
    ) -> None:
        self.function = function
        self.args = tuple(args)
        self.inputs = inputs
        self.pickled = pickled

    def __call__(self, number: int) -> Any:
        if self.inputs:
            items = load_inputs(self.inputs)
            return self.function(items[number % len(items)])
        return self.function(*self.args)

    def __getstate__(self) -> Tuple[Any, Tuple[Any, ...], str, Optional[str]]:
        function = None if self.pickled else self.function
        return (function, self.args, self.inputs, self.pickled)

    def __setstate__(self, state: Tuple[Any, Tuple[Any, ...], str, Optional[str]]) -> None:
        function, self.args, self.inputs, self.pickled = state
        self.function = load_by_value(self.pickled) if self.pickled else function


class FunctionWorkload(Workload):
    """A user's function, called once per task."""

    kind = "unknown"
    params = (
        Param("args", "text", "[]", "JSON list of positional arguments for every call"),
        Param("inputs", "text", "", "module:name of a sequence; task i calls the function with item i"),
    )

    def __init__(self, target: str, pickled: Optional[str] = None) -> None:
        """Load the function: imported by its target, or from ``pickled`` (base64) when sent by value."""
        self.name = target
        self.pickled = pickled
        self.function = load_by_value(pickled) if pickled else load_function(target)
        self.summary = "the user's function {}".format(target)
        import inspect  # only user targets need it: keeps it off built-in points' start-up

        self.is_async = inspect.iscoroutinefunction(self.function)

    def check(self, params: Dict[str, ParamValue]) -> None:
        check_call(params)
        if params["inputs"]:
            try:
                load_inputs(str(params["inputs"]))
            except TargetError as error:
                raise ValueError(str(error)) from None

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        if params["inputs"]:
            load_inputs(str(params["inputs"]))

    def _call(self, params: Dict[str, ParamValue]) -> FunctionCall:
        return FunctionCall(
            self.function, parse_args(str(params["args"])), str(params["inputs"]), self.pickled
        )

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return None if self.is_async else self._call(params)

    def async_task(self, params: Dict[str, ParamValue]) -> Optional[AsyncTask]:
        return self._call(params) if self.is_async else None
