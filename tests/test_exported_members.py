"""``threadlab.__all__`` is exactly the public API, and importing it stays light."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
import textwrap

import pytest

import threadlab
from threadlab.model import _data as model_data

pytestmark = pytest.mark.timeout(30)

# Copied from src/threadlab/__init__.py on purpose: a change to the public API
# must be made in both places.
PUBLIC_API = [
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


def test_all_is_exactly_the_public_api() -> None:
    assert threadlab.__all__ == PUBLIC_API
    # Sorted as ruff's RUF022 sorts: CONSTANTS, then Classes, then the rest.
    assert threadlab.__all__ == sorted(threadlab.__all__, key=isort_key)


def isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", [n for n in PUBLIC_API if n not in ("__version__", "SCHEMA_VERSION")])
def test_every_public_name_is_the_object_its_private_module_defines(name: str) -> None:
    member = getattr(threadlab, name)

    # Defined under its own name in a private module (a `_name` part in its path), documented.
    assert member.__name__ == name
    assert any(part.startswith("_") for part in member.__module__.split(".")[1:]), member.__module__
    assert getattr(importlib.import_module(member.__module__), name) is member
    assert member.__doc__, f"{name} has no docstring"


def test_the_version_constants_are_the_package_and_schema_versions() -> None:
    assert threadlab.__version__ == importlib.metadata.version("threadlab")
    assert threadlab.SCHEMA_VERSION is model_data.SCHEMA_VERSION


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'threadlab' has no attribute 'nope'$"):
        threadlab.nope  # noqa: B018 - the access itself is the test


def test_every_exception_derives_from_threadlab_error() -> None:
    for name in ("SpecError", "ResultsFileError", "WorkerProtocolError"):
        assert issubclass(getattr(threadlab, name), threadlab.ThreadlabError)


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh Python has loaded after running ``code``."""
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, sys
        heavy = ("rich", "click", "numpy", "scipy", "matplotlib", "dask")
        print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy)))
        """
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=True
    )
    loaded: list[str] = json.loads(finished.stdout)
    return loaded


def test_import_threadlab_loads_no_heavy_dependency() -> None:
    assert loaded_after("import threadlab") == []


def test_the_python_api_loads_no_presentation_dependency() -> None:
    # Running points needs neither the CLI framework nor rich.
    assert loaded_after("import threadlab; threadlab.run; threadlab.load_result; threadlab.Result") == []


# What each strategy is, as its class declares it: (shares_one_gil, pool, pickles_tasks,
# hands_off, splits_native_work). Advise and the analysis ask these, never a name.
TRAITS = {
    "sequential": (True, False, False, False, False),
    "threads": (True, False, False, False, True),
    "thread-pool": (True, True, False, False, False),
    "processes": (False, True, True, True, True),
    "interpreters": (False, False, False, True, False),
    "asyncio": (True, False, False, False, False),
    "dask": (False, True, True, True, False),
}


def test_the_public_registry_names_every_strategy_and_its_traits() -> None:
    assert threadlab.strategy_names() == tuple(TRAITS)
    for name, traits in TRAITS.items():
        found = threadlab.strategy(name)
        assert isinstance(found, threadlab.Strategy)
        assert found.name == name
        assert (
            found.shares_one_gil,
            found.pool,
            found.pickles_tasks,
            found.hands_off,
            found.splits_native_work,
        ) == traits, name
    with pytest.raises(KeyError):
        threadlab.strategy("nope")


def test_asking_the_registry_for_dask_imports_no_dask() -> None:
    assert loaded_after("import threadlab; threadlab.strategy('dask').pool") == []
