"""The 1-second worker run twice, one after the other.

Sequential blocking calls add up: two 1-second waits take about 2 seconds.
Compare with multiple_thread.py, where the waits overlap.
"""

from __future__ import annotations

import time


def worker(name: str) -> None:
    """Pretend to wait on I/O for 1 second."""
    print(f"Worker {name} started")
    time.sleep(1)
    print(f"Worker {name} finished")


def main() -> None:
    start = time.perf_counter()
    worker("1")
    worker("2")
    elapsed = time.perf_counter() - start
    print(f"Total execution time: {elapsed:.2f} seconds")


if __name__ == "__main__":
    main()
