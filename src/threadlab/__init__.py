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

# Private module -> the public names it defines, as the imports for type checkers below group them.
_EXPORTS = {
    "threadlab._api": "CompareResult TourResult advise check_scaling compare plot report run tour",
    "threadlab._catalogue": "StrategyInfo WorkloadInfo strategies workloads",
    "threadlab._errors": "ResultsFileError SpecError ThreadlabError WorkerProtocolError",
    "threadlab.analysis": "Analysis Classification Recommendation analyse summarise",
    "threadlab.analysis._check": "ScalingCheck",
    "threadlab.model": "SCHEMA_VERSION Environment Interpreter MachineNoise Measurement Point PointError "
    "Result Rounds Sample Spec Summary TaskSpans",
    "threadlab.orchestrate._advise": "Advice",
    "threadlab.orchestrate._store": "load_result save_result",
    "threadlab.orchestrate._strategies": "strategy strategy_names",
    "threadlab.worker.strategies._base": "Strategy",
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names.split()}

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
    module = _MODULE_OF.get(name)
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
    from threadlab._errors import ResultsFileError, SpecError, ThreadlabError, WorkerProtocolError
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
