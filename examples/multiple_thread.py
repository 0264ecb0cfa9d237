"""N threads, each running the 1-second sleeping worker, started together then joined.

time.sleep releases the GIL, so the waits overlap: the total stays about 1 second
whatever N is. This is why threads help I/O-bound work.
Usage: python multiple_thread.py [N]   (N = number of threads, 1 to 10000, default 2)
"""

from __future__ import annotations

import argparse
import threading
import time

from _args import MAX_THREADS, thread_count


def worker() -> None:
    """Pretend to wait on I/O for 1 second."""
    time.sleep(1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run N threads that each sleep 1 second; the total stays about 1 second."
    )
    parser.add_argument(
        "threads",
        metavar="N",
        type=thread_count,
        nargs="?",
        default=2,
        help=f"number of threads, 1 to {MAX_THREADS} (default: 2)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    n: int = parse_args(argv).threads
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    print(f"Started {n} thread{'s' if n != 1 else ''}, each sleeping 1 second")
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(f"All {n} thread{'s' if n != 1 else ''} finished")
    print(f"Total execution time: {elapsed:.2f} seconds")


if __name__ == "__main__":
    main()
