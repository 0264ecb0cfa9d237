"""What to do about a doubt or a gap in the measurements, as data.

Each front end words a :class:`Remedy` its own way: the command line as its
options (``render/_analysis.py``: ``MORE_TIME`` is ``--max-time N`` for ``run``
and ``--budget N`` for ``advise``).
"""

from __future__ import annotations

import enum


class Remedy(enum.StrEnum):
    """One thing to do to settle or firm up an answer; its value is an identifier.

    Members:
        MORE_TIME: give the rounds more time, so that more rounds narrow the intervals.
        QUIETER_MACHINE: measure when (or where) other programs do not compete for the cores.
        BIGGER_TASKS: give each task more work, so that a sample is long
            enough to time and the per-task overhead matters less.
        MORE_TASKS: run more tasks per sample.
        MORE_SAMPLES: take more samples (rounds) of every point.
        TIGHTER_PRECISION: ask for narrower speedup intervals.
        MORE_CORES: measure on a machine with two or more cores.
        ADD_SEQUENTIAL: measure the sequential strategy too (the baseline of every speedup).
        ADD_THREADS: measure threads with two or more workers too.
        ADD_GIL_PER_WORKER: measure a strategy that gives each worker a GIL
            of its own (processes) too.
        ADD_WORKERS: measure strategies with two or more workers.
        ADD_INNER_SPLIT: work already parallel inside: measure two or more
            workers limited to one native thread each (``inner_threads=1``),
            the alternative to one worker whose native pool uses every core.
    """

    MORE_TIME = "more-time"
    QUIETER_MACHINE = "quieter-machine"
    BIGGER_TASKS = "bigger-tasks"
    MORE_TASKS = "more-tasks"
    MORE_SAMPLES = "more-samples"
    TIGHTER_PRECISION = "tighter-precision"
    MORE_CORES = "more-cores"
    ADD_SEQUENTIAL = "add-sequential"
    ADD_THREADS = "add-threads"
    ADD_GIL_PER_WORKER = "add-gil-per-worker"
    ADD_WORKERS = "add-workers"
    ADD_INNER_SPLIT = "add-inner-split"
