"""threadlab: measure which concurrency strategy makes your Python code faster.

The public API is re-exported here and loaded lazily: ``import threadlab``
stays fast, and the worker side (``python -m threadlab.worker``), which may
run under any CPython 3.9+ with only the standard library, never loads the
orchestrator's modules or their dependencies through this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> private module that defines it.
_EXPORTS = {
    "Advice": "threadlab.orchestrate._advise",
    "Analysis": "threadlab.analysis",
    "Classification": "threadlab.analysis",
    "Recommendation": "threadlab.analysis",
    "advise": "threadlab._api",
    "analyse": "threadlab.analysis",
    "SCHEMA_VERSION": "threadlab._model",
    "Environment": "threadlab._model",
    "Interpreter": "threadlab._model",
    "Measurement": "threadlab._model",
    "Point": "threadlab._model",
    "PointError": "threadlab._model",
    "Result": "threadlab._model",
    "ResultsFileError": "threadlab._errors",
    "Sample": "threadlab._model",
    "Spec": "threadlab._model",
    "SpecError": "threadlab._errors",
    "StrategyInfo": "threadlab._catalogue",
    "Summary": "threadlab._model",
    "TaskSpans": "threadlab._model",
    "ThreadlabError": "threadlab._errors",
    "WorkerProtocolError": "threadlab._errors",
    "WorkloadInfo": "threadlab._catalogue",
    "load_result": "threadlab.orchestrate._store",
    "run": "threadlab._api",
    "save_result": "threadlab.orchestrate._store",
    "strategies": "threadlab._catalogue",
    "workloads": "threadlab._catalogue",
}

__all__ = [
    "SCHEMA_VERSION",
    "Advice",
    "Analysis",
    "Classification",
    "Environment",
    "Interpreter",
    "Measurement",
    "Point",
    "PointError",
    "Recommendation",
    "Result",
    "ResultsFileError",
    "Sample",
    "Spec",
    "SpecError",
    "StrategyInfo",
    "Summary",
    "TaskSpans",
    "ThreadlabError",
    "WorkerProtocolError",
    "WorkloadInfo",
    "__version__",
    "advise",
    "analyse",
    "load_result",
    "run",
    "save_result",
    "strategies",
    "workloads",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'threadlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from threadlab._api import advise, run
    from threadlab._catalogue import StrategyInfo, WorkloadInfo, strategies, workloads
    from threadlab._errors import (
        ResultsFileError,
        SpecError,
        ThreadlabError,
        WorkerProtocolError,
    )
    from threadlab._model import (
        SCHEMA_VERSION,
        Environment,
        Interpreter,
        Measurement,
        Point,
        PointError,
        Result,
        Sample,
        Spec,
        Summary,
        TaskSpans,
    )
    from threadlab.analysis import Analysis, Classification, Recommendation, analyse
    from threadlab.orchestrate._advise import Advice
    from threadlab.orchestrate._store import load_result, save_result
