"""threadlab: measure which concurrency strategy makes your Python code faster.

The public API is re-exported here and loaded lazily: ``import threadlab``
stays fast, and the worker side (``python -m threadlab.worker``), which may
run under any CPython 3.9+ with only the standard library, never loads the
orchestrator's modules or their dependencies through this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from threadlab._version import __version__

# Public name -> private module that defines it.
_EXPORTS = {
    "Advice": "threadlab.orchestrate._advise",
    "Analysis": "threadlab.analysis",
    "Classification": "threadlab.analysis",
    "Recommendation": "threadlab.analysis",
    "advise": "threadlab._api",
    "check_scaling": "threadlab._api",
    "ScalingCheck": "threadlab.analysis._check",
    "compare": "threadlab._api",
    "CompareResult": "threadlab._api",
    "plot": "threadlab._api",
    "report": "threadlab._api",
    "analyse": "threadlab.analysis",
    "SCHEMA_VERSION": "threadlab.model",
    "Environment": "threadlab.model",
    "Interpreter": "threadlab.model",
    "Measurement": "threadlab.model",
    "Point": "threadlab.model",
    "PointError": "threadlab.model",
    "Result": "threadlab.model",
    "ResultsFileError": "threadlab._errors",
    "Sample": "threadlab.model",
    "Spec": "threadlab.model",
    "SpecError": "threadlab._errors",
    "StrategyInfo": "threadlab._catalogue",
    "Summary": "threadlab.model",
    "TaskSpans": "threadlab.model",
    "ThreadlabError": "threadlab._errors",
    "WorkerProtocolError": "threadlab._errors",
    "WorkloadInfo": "threadlab._catalogue",
    "load_result": "threadlab.orchestrate._store",
    "run": "threadlab._api",
    "save_result": "threadlab.orchestrate._store",
    "strategies": "threadlab._catalogue",
    "Strategy": "threadlab.worker.strategies._base",
    "strategy": "threadlab.orchestrate._strategies",
    "strategy_names": "threadlab.orchestrate._strategies",
    "summarise": "threadlab.analysis",
    "tour": "threadlab._api",
    "TourResult": "threadlab._api",
    "MachineNoise": "threadlab.model",
    "Rounds": "threadlab.model",
    "workloads": "threadlab._catalogue",
}

__all__ = [
    "SCHEMA_VERSION",
    "Advice",
    "Analysis",
    "Classification",
    "CompareResult",
    "Environment",
    "Interpreter",
    "MachineNoise",
    "Measurement",
    "Point",
    "PointError",
    "Recommendation",
    "Result",
    "ResultsFileError",
    "Rounds",
    "Sample",
    "ScalingCheck",
    "Spec",
    "SpecError",
    "Strategy",
    "StrategyInfo",
    "Summary",
    "TaskSpans",
    "ThreadlabError",
    "TourResult",
    "WorkerProtocolError",
    "WorkloadInfo",
    "__version__",
    "advise",
    "analyse",
    "check_scaling",
    "compare",
    "load_result",
    "plot",
    "report",
    "run",
    "save_result",
    "strategies",
    "strategy",
    "strategy_names",
    "summarise",
    "tour",
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
    from threadlab._api import (
        CompareResult,
        TourResult,
        advise,
        check_scaling,
        compare,
        plot,
        report,
        run,
        tour,
    )
    from threadlab._catalogue import StrategyInfo, WorkloadInfo, strategies, workloads
    from threadlab._errors import (
        ResultsFileError,
        SpecError,
        ThreadlabError,
        WorkerProtocolError,
    )
    from threadlab.analysis import Analysis, Classification, Recommendation, analyse, summarise
    from threadlab.analysis._check import ScalingCheck
    from threadlab.model import (
        SCHEMA_VERSION,
        Environment,
        Interpreter,
        MachineNoise,
        Measurement,
        Point,
        PointError,
        Result,
        Rounds,
        Sample,
        Spec,
        Summary,
        TaskSpans,
    )
    from threadlab.orchestrate._advise import Advice
    from threadlab.orchestrate._store import load_result, save_result
    from threadlab.orchestrate._strategies import strategy, strategy_names
    from threadlab.worker.strategies import Strategy
