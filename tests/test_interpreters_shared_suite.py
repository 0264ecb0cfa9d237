"""The shared behaviour suite (``strategy_suite.StrategySuite``), run again for
``interpreters`` under every CPython 3.12+ installed here.

``test_strategies.py`` runs the suite under the Python running the tests;
below 3.12 it skips ``interpreters`` with the reason. Here the same tests run
with ``strategy`` fixed to ``interpreters`` and every point planned for an
installed 3.12+, so the strategy passes the very same tests wherever a 3.12+
is installed, whatever Python runs pytest.
"""

from __future__ import annotations

import pytest

from conftest import NO_SUBINTERPRETERS, SUBINTERPRETER_PYTHONS, python_id
from strategy_suite import StrategySuite

pytestmark = pytest.mark.timeout(120)


class TestInterpretersUnderEachPython(StrategySuite):
    """The suite for ``interpreters``, once per CPython 3.12+ installed here (the test id)."""

    @pytest.fixture(scope="class", params=SUBINTERPRETER_PYTHONS or [None], ids=python_id)
    @classmethod
    def points_python(cls, request: pytest.FixtureRequest) -> str:
        if request.param is None:
            pytest.skip(NO_SUBINTERPRETERS)
        return str(request.param)

    @pytest.fixture(scope="class")
    @classmethod
    def strategy(cls, points_python: str) -> str:
        return "interpreters"

    @pytest.fixture
    def sync_strategy(self, points_python: str) -> str:
        return "interpreters"
