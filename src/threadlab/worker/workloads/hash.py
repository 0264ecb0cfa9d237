"""``hash``: SHA-256 over ``mb`` megabytes; hashlib releases the GIL while it hashes."""

from __future__ import annotations

import functools
import hashlib
from typing import Dict, Optional

from threadlab.worker._params import MOST_MB, Param, ParamValue
from threadlab.worker.workloads._base import Call, Task, Workload

_MB = 1024 * 1024


# Input data is built once per process and shared by its tasks, outside timing.
@functools.cache
def data_of(mb: float) -> bytes:
    """``mb`` megabytes of fixed, incompressible-looking bytes."""
    size = max(1, int(mb * _MB))
    block = hashlib.sha256(b"threadlab").digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]


def hash_task(mb: float) -> str:
    """SHA-256 digest of ``mb`` megabytes; the GIL is released for large inputs."""
    return hashlib.sha256(data_of(mb)).hexdigest()


class Hash(Workload):
    name = "hash"
    summary = "sha256 over `mb` megabytes; releases the GIL while hashing"
    kind = "cpu-releases-gil"
    params = (
        Param("mb", "float", 32.0, "megabytes hashed per task", positive=True, maximum=MOST_MB, held_mb=True),
    )

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        data_of(float(params["mb"]))

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(hash_task, (float(params["mb"]),))


WORKLOAD = Hash()
