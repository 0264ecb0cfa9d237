"""The names of the fields that cross the wire, for the worker, which cannot import the model.

Each field's type and range is declared once, on the model's dataclass
(``threadlab.model._schema``); a test pins these names, in order, to its fields.
"""

from __future__ import annotations

from typing import Tuple

# One request: the point to measure, sent as the first line on the worker's stdin.
# strategy_module: where a strategy outside the worker package lives (the orchestrator's
# registry names it: threadlab.scaleout.dask_cluster for dask); null for the worker's own.
# waits: false turns off the breakdown of where the threads' time went (worker/_waits.py),
# on when absent.
# function: a user's function sent by value (base64 of its cloudpickle), for a workload
# no import can reach (defined in a notebook cell); null for every other workload.
REQUEST_FIELDS: Tuple[str, ...] = (
    "protocol",
    "workload",
    "function",
    "strategy",
    "strategy_module",
    "workers",
    "tasks",
    "params",
    "strategy_params",
    "warmup",
    "waits",
)

# One sample, as the worker measures it (every key always present; None where unmeasured).
SAMPLE_FIELDS: Tuple[str, ...] = (
    "wall_s",
    "cpu_user_s",
    "cpu_sys_s",
    "ctx_voluntary",
    "ctx_involuntary",
    "max_rss_bytes",
    "spawn_s",
    "tasks_ok",
    "tasks_failed",
    "first_error",
    "spans",
    "gil_contention",
    "round",
    "started_at",
)
# Fields a sample may lack (added without a schema version bump: files written before load
# without them); the worker sends them where it measured them. waits: where the breakdown of
# waits was asked for (worker/_waits.py); absent from workers older than it, and where the
# request turned it off.
SAMPLE_OPTIONAL_FIELDS: Tuple[str, ...] = ("waits",)

# A sample's per-task columns. io_s is present only where a task reported its I/O wait.
SPAN_FIELDS: Tuple[str, ...] = ("start_s", "end_s", "cpu_s", "worker", "ok", "workers")
SPAN_OPTIONAL_FIELDS: Tuple[str, ...] = ("io_s",)

# What the worker saw of the native thread pools (BLAS, OpenMP), in its "ready" event
# (``worker/_native.py``): pools is null where threadpoolctl is not importable there.
NATIVE_FIELDS: Tuple[str, ...] = ("pools", "variables")
NATIVE_POOL_FIELDS: Tuple[str, ...] = ("library", "api", "threads", "version")
