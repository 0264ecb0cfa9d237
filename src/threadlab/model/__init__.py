"""The data model and its one JSON round trip (the results file).

Nothing here computes a statistic or imports the layers above.
"""

from threadlab.model._data import (
    DEFAULT_MAX_TIME_S,
    DEFAULT_PRECISION,
    ERROR_KINDS,
    GIL_MODES,
    ROUNDS_ENDS,
    SCHEMA_VERSION,
    STATUSES,
    ErrorKind,
    Gil,
    Interpreter,
    Point,
    PointError,
    RoundsEnd,
    Sample,
    Status,
    Swept,
    TaskSpans,
)
from threadlab.model._interpreter import FoundInterpreter
from threadlab.model._result import (
    Environment,
    MachineNoise,
    Measurement,
    NativePool,
    NativeThreads,
    Result,
    Rounds,
    Spec,
    Summary,
    composite,
)
from threadlab.model._waits import WAIT_CATEGORIES, WaitLine, Waits

__all__ = [
    "DEFAULT_MAX_TIME_S",
    "DEFAULT_PRECISION",
    "ERROR_KINDS",
    "GIL_MODES",
    "ROUNDS_ENDS",
    "SCHEMA_VERSION",
    "STATUSES",
    "WAIT_CATEGORIES",
    "Environment",
    "ErrorKind",
    "FoundInterpreter",
    "Gil",
    "Interpreter",
    "MachineNoise",
    "Measurement",
    "NativePool",
    "NativeThreads",
    "Point",
    "PointError",
    "Result",
    "Rounds",
    "RoundsEnd",
    "Sample",
    "Spec",
    "Status",
    "Summary",
    "Swept",
    "TaskSpans",
    "WaitLine",
    "Waits",
    "composite",
]
