"""A user's target, checked in a short-lived probe process: threadlab's own process never imports it.

::

    target ("f.py:g", "pkg.mod:g", or a function sent by value)
        │  Popen(python -m threadlab.worker._target_probe)   the target's Python, as a worker
        │  is launched (_launch), in a session of its own, memory capped (RLIMIT_AS)
        ▼
    probe: import it, check it is callable, async or not, picklable by reference;
        │  read inputs, at most INPUTS_LIMIT items (an endless iterable is cut, and said so)
        ▼  within PROBE_TIMEOUT_S, else the process group is killed
    TargetFacts, or SpecError in one line: "f.py:g: importing it exited with code 3",
    "f.py:g: did not finish importing within 10 s", "f.py:g: ran out of memory (2.0 GiB)
    while importing"

Importing a module runs its code, which may call ``sys.exit``, ``os._exit``,
sleep for an hour, or allocate without end. None of that may happen to the
process that orchestrates (and, through the Python API, to the user's own
program): so the plan and ``advise`` learn what a target is from here.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from threadlab._errors import SpecError
from threadlab._units import size
from threadlab.orchestrate._launch import end_group, killed_by, worker_command, worker_env
from threadlab.worker._params import ParamValue
from threadlab.worker._text import quoted
from threadlab.worker.workloads import FunctionWorkload, Workload
from threadlab.worker.workloads._function import INPUTS_LIMIT, check_call

# Importing a module and reading its inputs take well under a second; ten seconds is for
# a heavy import (numpy, torch) on a loaded machine, not a hang.
PROBE_TIMEOUT_S = 10.0
PROBE_MODULE = "threadlab.worker._target_probe"
# The name a function sent by value gets: not a module name any import could reach.
BY_VALUE_PREFIX = "by-value-"
_GIB = 1024**3

# Functions sent by value in this process: target -> base64 of the pickle. Content-addressed
# (the target holds the digest), so an entry never changes once made.
_SENT: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """What the probe found about a user's target.

    Attributes:
        target: the target probed.
        is_async: it is a coroutine function (``async def``).
        pickle_problem: why it cannot go to a process pool by reference; None if it can.
        cloudpickle: cloudpickle is importable in the target's Python.
        items: how many items ``inputs`` gives (at most ``INPUTS_LIMIT``); None without inputs.
        items_cut: ``inputs`` had more than ``INPUTS_LIMIT`` items (or no end) and was cut.
    """

    target: str
    is_async: bool
    pickle_problem: str | None
    cloudpickle: bool
    items: int | None
    items_cut: bool

    def notes(self, inputs: str) -> list[str]:
        """What the user should know about how the target is run."""
        if not self.items_cut:
            return []
        return [
            f"inputs {quoted(inputs)} has more than {INPUTS_LIMIT:,} items (or no end): "
            f"the first {INPUTS_LIMIT:,} are used"
        ]


def memory_limit_bytes() -> int:
    """The probe's address-space cap: half of this machine's memory, and at least 2 GiB.

    Address space, not resident memory: an import that maps large libraries
    (numpy with its BLAS threads) reserves far more than it touches.
    """
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        total = 0
    return max(2 * _GIB, total // 2)


def send_by_value(function: Callable[..., object]) -> str:
    """Pickle ``function`` by value with cloudpickle, as Dask does; the target that names it.

    Its bytes travel in the probe's and the workers' requests.

    Raises:
        SpecError: cloudpickle cannot pickle it.
    """
    import cloudpickle  # type: ignore[import-untyped,unused-ignore]  # a dependency; lazy: rarely needed

    name = getattr(function, "__qualname__", None) or type(function).__name__
    try:
        payload = base64.b64encode(cloudpickle.dumps(function)).decode("ascii")
    except Exception as error:  # noqa: BLE001 - any pickling failure is the reason to give
        raise SpecError(
            "function", f"{name} cannot be sent to a worker by value: {type(error).__name__}: {error}"
        ) from None
    target = f"{BY_VALUE_PREFIX}{hashlib.sha256(payload.encode()).hexdigest()[:12]}:{name}"
    _SENT[target] = payload
    return target


def sent_by_value(target: str) -> str | None:
    """The base64 pickle of a function sent by value under ``target``; None for any other target.

    Raises:
        SpecError: ``target`` names a function sent by value in another
            process (a results file read again): its bytes are not here.
    """
    if not target.startswith(BY_VALUE_PREFIX):
        return None
    payload = _SENT.get(target)
    if payload is None:
        raise SpecError(
            "function",
            f"{quoted(target)} was sent by value from the program that measured it, and cannot be "
            f"measured again from here; define it in a module",
        )
    return payload


def probe_target(
    target: str,
    *,
    python: str = "",
    inputs: str = "",
    option: str = "function",
    inputs_option: str = "inputs",
    timeout_s: float = PROBE_TIMEOUT_S,
    memory_bytes: int | None = None,
) -> TargetFacts:
    """Ask a probe process under ``python`` what ``target`` is, and how many ``inputs`` it has.

    Args:
        target: ``module:function``, ``path/to/file.py:function``, or a
            target ``send_by_value`` made.
        python: the Python the target will run under (default: this one).
        inputs: ``module:name`` of the inputs, or empty.
        option: the parameter a failure of the target is reported under.
        inputs_option: the parameter a failure of the inputs is reported under.
        timeout_s: how long the probe may take, importing and reading included.
        memory_bytes: its address-space cap (default: ``memory_limit_bytes()``).

    Raises:
        SpecError: in one line: the target cannot be imported or is not a
            function, its import exited, hung or ran out of memory, or the
            inputs cannot be read.
    """
    pickled = sent_by_value(target)
    limit = memory_limit_bytes() if memory_bytes is None else memory_bytes
    request = {"target": target, "function": pickled, "inputs": inputs, "memory_bytes": limit}
    process = subprocess.Popen(
        worker_command(python or sys.executable, "default", PROBE_MODULE),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=worker_env("default"),
        start_new_session=True,
    )
    timed_out = False
    try:
        try:
            out, err = process.communicate(json.dumps(request).encode() + b"\n", timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            end_group(process)
            out, err = process.communicate()
    finally:
        end_group(process)  # whatever the target started in the probe's group ends with it
    events = _events(out)
    reading = next((e["stage"] for e in reversed(events) if "stage" in e), "importing") == "reading inputs"
    what, where = (f"inputs {quoted(inputs)}", inputs_option) if reading else (target, option)
    doing, gerund = ("reading inputs", "reading inputs") if reading else ("importing it", "importing")
    for event in events:
        if "answer" in event:
            answer = event["answer"]
            return TargetFacts(
                target=target,
                is_async=bool(answer["is_async"]),
                pickle_problem=answer["pickle_problem"],
                cloudpickle=bool(answer["cloudpickle"]),
                items=answer["items"],
                items_cut=bool(answer["items_cut"]),
            )
        if event.get("failed") == "memory":
            raise SpecError(where, f"{what}: ran out of memory ({size(limit)}) while {gerund}")
        if event.get("failed") == "target":
            message = str(event["message"])
            if pickled is not None and where == option:
                message = _by_value_refusal(target, python or sys.executable, message)
            raise SpecError(where, message)
    if timed_out:
        raise SpecError(where, f"{what}: did not finish {gerund} within {timeout_s:g} s")
    said = _last_line(err)
    if process.returncode < 0:
        raise SpecError(where, f"{what}: {doing} was killed by {killed_by(process.returncode)}{said}")
    raise SpecError(where, f"{what}: {doing} exited with code {process.returncode}{said}")


def _by_value_refusal(target: str, python: str, message: str) -> str:
    """Why a function sent by value cannot run under ``python``, and the way out."""
    name = target.partition(":")[2]
    why = message.removeprefix("the function sent by value cannot be loaded here: ")
    # Without cloudpickle there, installing it is a way out; otherwise (another Python
    # version: cloudpickle's bytes load only under the version that made them) it is not.
    fix = "move it to a module"
    if why.startswith("cloudpickle cannot be imported"):
        fix += ", or install cloudpickle in that Python"
    return (
        f"{name} cannot be imported by a worker (it is defined in a notebook cell, in __main__ or "
        f"inside another function), and {python} cannot load it sent by value: {why}; {fix}"
    )


def _events(out: bytes) -> list[dict[str, Any]]:
    events = []
    for line in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


def _last_line(err: bytes) -> str:
    """`` (its last words)`` from the probe's stderr, cut to 80 characters; empty when silent."""
    lines = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return f" ({last[:77]}...)" if len(last) > 80 else f" ({last})"


class ProbedFunction(Workload):
    """A user's function as the plan sees it: described by its probe, never imported here."""

    kind = "unknown"
    params = FunctionWorkload.params

    def __init__(self, facts: TargetFacts) -> None:
        self.name = facts.target
        self.summary = f"the user's function {facts.target}"
        self.facts = facts

    def modes(self) -> tuple[str, ...]:
        return ("async",) if self.facts.is_async else ("sync",)

    def check(self, params: dict[str, ParamValue]) -> None:
        check_call(params)  # the inputs were read by the probe
