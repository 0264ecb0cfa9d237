"""The shared behaviour suite of ``test_strategies.py``, run again for ``interpreters``
under every CPython 3.12+ installed here.

The suite runs each strategy under the Python running the tests; below 3.12
it skips ``interpreters`` with the reason. Here its tests are collected a
second time with ``strategy`` fixed to ``interpreters`` and every point
planned for an installed 3.12+ (``one_point`` of the suite's module is
swapped for one that targets that Python), so the strategy passes the very
same tests wherever a 3.12+ is installed, whatever Python runs pytest.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

import test_strategies as shared
from conftest import one_point
from test_interpreters import NO_SUBINTERPRETERS, SUBINTERPRETER_PYTHONS
from threadlab._model import Point
from threadlab.worker._params import ParamValue

pytestmark = pytest.mark.timeout(120)

# Tests of the suite that do not apply when the points run under another Python.
_LEFT_OUT = {
    "test_point_is_measured_ok_under_this_python": "asserts the worker ran under the Python running pytest",
}
_FIXTURES = {"strategy", "sync_strategy", "sleep_run"}

for _name, _test in vars(shared).items():
    if (
        _name.startswith("test_")
        and callable(_test)
        and _name not in _LEFT_OUT
        and _FIXTURES & set(inspect.signature(_test).parameters)
    ):
        globals()[_name] = _test
sleep_run = shared.sleep_run  # the suite's shared sleep measurement, made with this module's fixtures


@pytest.fixture(
    scope="module",
    params=SUBINTERPRETER_PYTHONS or [None],
    ids=lambda p: Path(p).parent.parent.name if p else "none",
)
def suite_python(request: pytest.FixtureRequest) -> str:
    if request.param is None:
        pytest.skip(NO_SUBINTERPRETERS)
    return str(request.param)


@pytest.fixture(scope="module", autouse=True)
def points_run_under(suite_python: str) -> Iterator[None]:
    """Every point the suite plans targets ``suite_python``."""

    def under(
        workload: str, strategy: str, workers: int, tasks: int | None = None, **params: ParamValue
    ) -> Point:
        """As ``conftest.one_point``, planned for ``suite_python``."""
        return one_point(workload, strategy, workers, tasks, python=suite_python, **params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared, "one_point", under)
        yield


@pytest.fixture(scope="module")
def strategy(suite_python: str) -> str:
    return "interpreters"


@pytest.fixture
def sync_strategy(suite_python: str) -> str:
    return "interpreters"
