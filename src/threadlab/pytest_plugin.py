"""threadlab's pytest plugin: scaling checks in a test suite, passed, failed or inconclusive.

Registered through the ``pytest11`` entry point, so installing threadlab
installs it. Two forms of the same check (``threadlab.check_scaling``)::

    def test_hashing_scales(threadlab_scaling):
        threadlab_scaling.check(hash_chunk, strategy="threads", workers=2, at_least=1.5)

    @pytest.mark.threadlab_scaling("mylib:hash_chunk", strategy="threads", workers=2, at_least=1.5)
    def test_hashing_scales_marked():
        pass

``failed`` fails the test, ``inconclusive`` skips it with the measured reason. The checks
measure for seconds, so they run only under ``--threadlab-scaling`` or ``-m threadlab_scaling``
(the README's "In pytest" says the rest).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from typing import Unpack

    from threadlab._api import ScalingOptions
    from threadlab.analysis._check import ScalingCheck

__all__ = ["ScalingChecks"]

MARKER = "threadlab_scaling"
OPTION = "--threadlab-scaling"
SKIPPED = f"threadlab: scaling checks run only under {OPTION} or -m {MARKER}"
_CHECKS_KEY = pytest.StashKey[list[tuple[str, "ScalingCheck"]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("threadlab", "threadlab scaling checks")
    group.addoption(
        OPTION, action="store_true", default=False, help="run the threadlab scaling checks (seconds each)"
    )
    group.addoption(
        "--threadlab-summary",
        metavar="PATH",
        default=None,
        help="write the Markdown summary of the scaling checks here (also appended to $GITHUB_STEP_SUMMARY)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(target, *, args=(), strategy='threads', workers=2, at_least=1.5, budget=60, python=None): "
        "check that target scales (threadlab.check_scaling); runs under --threadlab-scaling or -m "
        f"{MARKER}",
    )
    config.stash[_CHECKS_KEY] = []


def _enabled(config: pytest.Config) -> bool:
    """Under the option, or where ``-m`` selects the marker (``-m "not threadlab_scaling"`` does not)."""
    expression = config.getoption("markexpr", "") or ""
    return bool(config.getoption(OPTION)) or (MARKER in expression and f"not {MARKER}" not in expression)


class ScalingChecks:
    """The ``threadlab_scaling`` fixture: ``check`` runs one scaling check for the test.

    Args:
        config: the pytest configuration (whether checks run; where results go).
        name: the test's node id, naming its checks in the summary.
    """

    def __init__(self, config: pytest.Config, name: str) -> None:
        self._config = config
        self._name = name

    def check(self, target: Callable[..., object] | str, **options: Unpack[ScalingOptions]) -> ScalingCheck:
        """Check that ``target`` scales, as ``threadlab.check_scaling`` does, and act on the outcome.

        Args:
            target: a function, or ``"module:function"`` / ``"path/to/file.py:function"``.
            **options: ``threadlab.check_scaling``'s keywords (``args``, ``strategy``,
                ``workers``, ``at_least``, ``budget``, ``python``), with its defaults.

        Returns:
            The check, where it passed.

        Raises:
            pytest.fail.Exception: the check failed: the explanation (where the time
                went, where it was read) and the table.
            pytest.skip.Exception: checks are off, or the check was inconclusive
                (with the measured reason).
        """
        if not _enabled(self._config):
            pytest.skip(SKIPPED)
        from threadlab import _api
        from threadlab.render._check import skip_reason

        checked = _api.check_scaling(target, **options)
        self._config.stash[_CHECKS_KEY].append((self._name, checked))
        if checked.failed:
            pytest.fail(f"{checked.explanation}\n{checked.table}", pytrace=False)
        if checked.inconclusive:
            pytest.skip(skip_reason(checked.decision))
        return checked


@pytest.fixture
def threadlab_scaling(request: pytest.FixtureRequest) -> ScalingChecks:
    """Scaling checks for this test: ``threadlab_scaling.check(fn, strategy=..., at_least=...)``."""
    return ScalingChecks(request.config, request.node.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the marked checks at once where checks are off: a normal run stays fast."""
    if _enabled(config):
        return
    skip = pytest.mark.skip(reason=SKIPPED)
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Run the marker's check before the test's own body."""
    marker = item.get_closest_marker(MARKER)
    if marker is None or not _enabled(item.config):
        return
    if not marker.args:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.{MARKER} needs a target: a function or 'module:function'"
        )
    kwargs: dict[str, Any] = dict(marker.kwargs)
    ScalingChecks(item.config, item.nodeid).check(marker.args[0], **kwargs)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the Markdown summary of the checks run, where one is asked for."""
    checks = session.config.stash.get(_CHECKS_KEY, [])
    if not checks:
        return
    from threadlab.render._check import checks_markdown

    text = checks_markdown([(name, c.decision, c.explanation) for name, c in checks])
    path = session.config.getoption("--threadlab-summary")
    if path:
        Path(path).write_text(text, encoding="utf-8")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as summary:
            summary.write(text)
