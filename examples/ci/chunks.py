"""The library code the scaling checks guard: two functions a change could stop from scaling."""

from __future__ import annotations

import hashlib
import threading

_CHUNK = bytes(8 << 20)
_CACHE_LOCK = threading.Lock()


def hash_chunk() -> str:
    """sha256 of 8 MB: hashlib releases the GIL for the whole update, so threads use the cores."""
    return hashlib.sha256(_CHUNK).hexdigest()


def count_under_lock() -> int:
    """Pure-Python work behind a module-level lock: the change that stops threads scaling."""
    with _CACHE_LOCK:
        total = 0
        for i in range(200_000):
            total += i
        return total


def count() -> int:
    """Pure-Python work with no lock: threads scale on it only where the GIL is off (3.13t, 3.14t)."""
    total = 0
    for i in range(200_000):
        total += i
    return total
