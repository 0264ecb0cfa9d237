"""``python -m threadlab.worker._target_probe``: what a user's target is, asked in a process of its own.

::

    orchestrator (orchestrate/_probe_target.py)       probe (this process, the target's Python)
    ───────────────────────────────────────────       ──────────────────────────────────────────
    request JSON line ──── stdin ─────────────────►   address space limited (RLIMIT_AS)
                     ◄──── {"stage": "importing"}      import the target (or load it by value)
                     ◄──── {"stage": "reading inputs"} read inputs, at most INPUTS_LIMIT items
                     ◄──── {"answer": {...}}           or {"failed": kind, "message": ...}
    past its timeout: the process group killed; an exit without an answer is read by stage

The orchestrator never imports a user's module itself: importing runs the
module's code, which may exit, hang, or fill the memory. Here it can do any
of these, and the orchestrator says which, and at which stage, in one line.
What the module prints goes to stderr, as in a worker.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import pickle
import sys
from typing import Any, Dict, Optional

from threadlab.worker.workloads._function import (
    INPUTS_LIMIT,
    FunctionWorkload,
    TargetError,
    load_target,
)


def _limit_memory(limit: Optional[int]) -> None:
    """Cap this process's address space at ``limit`` bytes (no cap where ``resource`` is missing)."""
    if not limit:
        return
    try:
        import resource
    except ImportError:  # Windows: no cap; the timeout still applies
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _pickle_problem(workload: FunctionWorkload) -> Optional[str]:
    """Why the function cannot go to a process pool by reference, or None if it can."""
    if workload.pickled:
        return None  # sent by value: it crosses as the bytes it came in
    try:
        same = pickle.loads(pickle.dumps(workload.function)) is workload.function
    except Exception as error:  # noqa: BLE001 - any pickling failure is the reason to report
        return "the function cannot be pickled ({}: {})".format(type(error).__name__, error)
    return None if same else "the function does not unpickle to itself (it is not importable by name)"


def _items(inputs: str) -> Dict[str, Any]:
    """How many items ``inputs`` gives (at most ``INPUTS_LIMIT``) and whether it was cut there."""
    import itertools

    source = load_target(inputs)
    if callable(source):
        source = source()
    try:
        iterator = iter(source)
    except TypeError:
        raise TargetError(
            "inputs {!r} is a {}, not an iterable; expected a list, a tuple, a generator "
            "or a function returning one".format(inputs, type(source).__name__)
        ) from None
    try:
        count = sum(1 for _ in itertools.islice(iterator, INPUTS_LIMIT + 1))
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - a failing generator is the user's to see
        raise TargetError(
            "inputs {!r}: reading its items raised {}: {}".format(inputs, type(error).__name__, error)
        ) from None
    if count == 0:
        raise TargetError("inputs {!r} is empty; expected at least one item".format(inputs))
    return {"items": min(count, INPUTS_LIMIT), "items_cut": count > INPUTS_LIMIT}


def probe(request: Dict[str, Any], emit: Any) -> Dict[str, Any]:
    """The answer for ``request``: whether the target is async, picklable, and its inputs.

    Raises:
        TargetError: the target or its inputs cannot be loaded, or are not what they should be.
    """
    emit({"stage": "importing"})
    workload = FunctionWorkload(str(request["target"]), request.get("function"))
    answer: Dict[str, Any] = {
        "is_async": inspect.iscoroutinefunction(workload.function),
        "pickle_problem": _pickle_problem(workload),
        "cloudpickle": importlib.util.find_spec("cloudpickle") is not None,
        "items": None,
        "items_cut": False,
    }
    if request.get("inputs"):
        emit({"stage": "reading inputs"})
        answer.update(_items(str(request["inputs"])))
    return answer


def main() -> None:
    """Read one request from stdin, answer on the original stdout; user output goes to stderr."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(event: Dict[str, Any]) -> None:
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    request = json.loads(sys.stdin.readline())
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    _limit_memory(request.get("memory_bytes"))
    try:
        emit({"answer": probe(request, emit)})
    except TargetError as error:
        emit({"failed": "target", "message": str(error)})
    except MemoryError:
        emit({"failed": "memory", "message": "MemoryError"})
    channel.close()


if __name__ == "__main__":
    main()
