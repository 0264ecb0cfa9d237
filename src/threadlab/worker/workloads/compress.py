"""``compress``: zlib over ``mb`` megabytes; zlib releases the GIL while compressing."""

from __future__ import annotations

import functools
import random
from typing import Dict, Optional, Tuple

from threadlab.worker._params import MOST_MB, Param, ParamValue
from threadlab.worker.workloads._base import Call, Task, Workload

try:
    import zlib
except ImportError:  # some minimal builds lack zlib; the workload then says so
    zlib = None  # type: ignore[assignment]  # reported by unavailable_reason()

_MB = 1024 * 1024


@functools.cache
def data_of(mb: float) -> bytes:
    """``mb`` megabytes of text-like data that compresses about 3:1 (built once)."""
    rng = random.Random(2024)
    words = [bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(4096)]
    size = max(1, int(mb * _MB))
    chunk = b" ".join(rng.choices(words, k=200_000))
    return (chunk * (size // len(chunk) + 1))[:size]


def compress_task(mb: float, level: int) -> int:
    """Compress ``mb`` megabytes at ``level``; returns the compressed size."""
    return len(zlib.compress(data_of(mb), level))


class Compress(Workload):
    name = "compress"
    summary = "zlib-compress `mb` megabytes at `level`; releases the GIL while compressing"
    kind = "cpu-releases-gil"
    params: Tuple[Param, ...] = (
        Param(
            "mb", "float", 8.0, "megabytes compressed per task", positive=True, maximum=MOST_MB, held_mb=True
        ),
        Param("level", "int", 6, "zlib compression level", minimum=0, maximum=9),
    )

    def unavailable_reason(self) -> Optional[str]:
        return None if zlib is not None else "this Python was built without zlib"

    def prepare(self, params: Dict[str, ParamValue]) -> None:
        data_of(float(params["mb"]))

    def sync_task(self, params: Dict[str, ParamValue]) -> Optional[Task]:
        return Call(compress_task, (float(params["mb"]), int(params["level"])))


WORKLOAD = Compress()
