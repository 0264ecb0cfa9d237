"""One worker that sleeps for 1 second, run once.

The baseline for the other examples: a single blocking call takes about 1 second.
"""

from __future__ import annotations

import time


def worker() -> None:
    """Pretend to wait on I/O for 1 second."""
    print("Worker started")
    time.sleep(1)
    print("Worker finished")


def main() -> None:
    start = time.perf_counter()
    worker()
    elapsed = time.perf_counter() - start
    print(f"Total execution time: {elapsed:.2f} seconds")


if __name__ == "__main__":
    main()
