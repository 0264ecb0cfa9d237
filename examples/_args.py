"""Argument checks shared by the example scripts that take a thread count.

argparse calls these as ``type=`` functions; an ``ArgumentTypeError`` becomes one
``prog: error: argument N: ...`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse

MAX_THREADS = 10_000


def _whole_number(text: str, what: str, maximum: int | None = None) -> int:
    """Parse ``text`` as a whole number from 1 to ``maximum``, or explain why not."""
    expected = f"expected {what} of 1 or more"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; {expected}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is less than 1; {expected}")
    if maximum is not None and value > maximum:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than {maximum} threads; "
            f"this demo is capped at {maximum} threads, so use 1 to {maximum}"
        )
    return value


def thread_count(text: str) -> int:
    """A thread count: a whole number from 1 to MAX_THREADS."""
    return _whole_number(text, "a thread count", MAX_THREADS)


def iteration_count(text: str) -> int:
    """A loop length: a whole number of 1 or more."""
    return _whole_number(text, "an iteration count")
