"""Scaling checks for chunks.py: skipped in a normal ``pytest`` run, run by ``--threadlab-scaling``.

    pytest examples/ci --threadlab-scaling --threadlab-summary=scaling.md

A check that passed means the interval's low bound reached ``at_least``; one
that failed means its high bound stayed below on a machine that gave the
cores; an inconclusive one is skipped with the measured reason (a runner
that could not give 1.5 cores, an interval that holds 1.5), never failed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_hashing_scales_on_threads(threadlab_scaling):
    threadlab_scaling.check(f"{HERE / 'chunks.py'}:hash_chunk", strategy="threads", workers=2, at_least=1.5)


@pytest.mark.threadlab_scaling(
    f"{HERE / 'chunks.py'}:hash_chunk", strategy="processes", workers=2, at_least=1.5
)
def test_hashing_scales_on_processes():
    pass


@pytest.mark.skipif(not os.environ.get("FREE_THREADED_PYTHON"), reason="no free-threaded Python named")
def test_python_code_scales_on_free_threaded(threadlab_scaling):
    # A pure-Python loop scales on threads only with the GIL off. Where an extension the target
    # imports turns the GIL back on, the check fails and its explanation names the module.
    threadlab_scaling.check(
        f"{HERE / 'chunks.py'}:count", python=os.environ["FREE_THREADED_PYTHON"], workers=2, at_least=1.5
    )
