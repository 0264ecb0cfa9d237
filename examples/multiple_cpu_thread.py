"""N threads, each running a pure-Python counting loop (CPU-bound work).

Under the GIL only one thread runs Python bytecode at a time, so N threads take
about N times as long as one: threads do not speed up CPU-bound Python code.
Usage: python multiple_cpu_thread.py [N] [--iterations K]   (N: 1 to 10000, default 2)
"""

from __future__ import annotations

import argparse
import threading
import time

from _args import MAX_THREADS, iteration_count, thread_count

DEFAULT_ITERATIONS = 10**7


def worker(iterations: int) -> int:
    """Count to ``iterations`` in pure Python; holds the GIL while it runs."""
    count = 0
    for _ in range(iterations):
        count += 1
    return count


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run N threads that each count in a pure-Python loop.")
    parser.add_argument(
        "threads",
        metavar="N",
        type=thread_count,
        nargs="?",
        default=2,
        help=f"number of threads, 1 to {MAX_THREADS} (default: 2)",
    )
    parser.add_argument(
        "--iterations",
        metavar="K",
        type=iteration_count,
        default=DEFAULT_ITERATIONS,
        help=f"loop iterations per thread (default: {DEFAULT_ITERATIONS:_})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    n: int = args.threads
    iterations: int = args.iterations
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(iterations,)) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(f"{n} thread{'s' if n != 1 else ''} x {iterations:_} iterations each")
    print(
        f"Note: {elapsed / n:.2f} seconds per thread; under the GIL the threads take turns, "
        f"so the total grows with the thread count"
    )
    print(f"Total execution time: {elapsed:.2f} seconds")


if __name__ == "__main__":
    main()
