"""threadlab's pytest plugin, run by ``pytester`` on recorded results: never live timing.

The inner runs' conftest replaces the measuring (``measure_scaling``) with the
results recorded in tests/data (check-nap.json: threads ×2 on a 10 ms sleep,
1.91–2.05×; check-locked.json: a lock around Python work, 0.83–1.01×, recorded
while 0.63 cores ran in parallel, before threads' waits were read; waits-lock.json:
threads ×4 queueing on a lock around a 10 ms sleep, their waits read), and the
cores with free ones unless told.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Imported here, before any inner run: pytester restores sys.modules after each run, and a module
# first imported inside one would be a stale copy in the next, its replaced function not the one used.
import threadlab._api
import threadlab.orchestrate._check  # noqa: F401

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parent / "data"

CONFTEST = f"""
import pytest
from threadlab import load_result
from threadlab.analysis._check import CoreLimits
from threadlab.orchestrate import _check

RECORDED = {{"locked_sleep": "waits-lock.json"}}

@pytest.fixture(autouse=True)
def recorded(monkeypatch, request):
    def measured(target, **options):
        name = target.rsplit(":", 1)[-1]
        return load_result({str(DATA)!r} + "/" + RECORDED.get(name, "check-" + name + ".json"))
    monkeypatch.setattr(_check, "measure_scaling", measured)
    if "real_cores" not in request.keywords:
        monkeypatch.setattr(_check, "core_limits", lambda result: CoreLimits(affinity=2, capacity=1.95))
"""

TESTS = """
import pytest

def test_nap_scales(threadlab_scaling):
    check = threadlab_scaling.check("targets.py:nap", strategy="threads", workers=2, at_least=1.5)
    assert check.passed

def test_locked_scales(threadlab_scaling):
    threadlab_scaling.check("targets.py:locked", at_least=1.5)

@pytest.mark.real_cores
def test_locked_on_the_recorded_cores(threadlab_scaling):
    threadlab_scaling.check("targets.py:locked", at_least=1.5)

@pytest.mark.threadlab_scaling("targets.py:nap", workers=2, at_least=1.5)
def test_marked_nap():
    pass

def test_plain():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_checks=TESTS)
    pytester.makeini("[pytest]\nmarkers =\n    real_cores: keep the recorded cores\n")
    return pytester


def test_without_the_option_the_checks_are_skipped_at_once(suite: pytest.Pytester) -> None:
    outcome = suite.runpytest_inprocess("-rs")
    outcome.assert_outcomes(passed=1, skipped=4)
    outcome.stdout.fnmatch_lines(
        ["*threadlab: scaling checks run only under --threadlab-scaling or -m threadlab_scaling*"]
    )


def test_under_the_option_pass_fail_and_skip_follow_the_outcome(
    suite: pytest.Pytester, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    outcome = suite.runpytest_inprocess("--threadlab-scaling", f"--threadlab-summary={summary}", "-rs")
    outcome.assert_outcomes(passed=3, failed=1, skipped=1)
    outcome.stdout.fnmatch_lines(
        [
            "*Failed: threads ×2 at least 1.50×: the speedup was *even its high bound stays below 1.50×*",
            "*threads ×2 (* tasks) *speedup *",
            "*SKIPPED*threadlab: the machine could not give the cores: only 0.63 cores ran in parallel*",
        ]
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### threadlab scaling checks\n")
    assert "2 passed, 1 failed, 1 inconclusive." in text
    assert "| test_checks.py::test_locked_scales | ❌ failed | threads ×2 at least 1.50× |" in text


def test_selecting_the_marker_runs_its_checks_only(suite: pytest.Pytester) -> None:
    outcome = suite.runpytest_inprocess("-m", "threadlab_scaling")
    outcome.assert_outcomes(passed=1, deselected=4)


def test_the_summary_is_appended_to_the_github_step_summary(
    suite: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = tmp_path / "step.md"
    step.write_text("before\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    suite.runpytest_inprocess("--threadlab-scaling", "-k", "nap").assert_outcomes(passed=2, deselected=3)
    text = step.read_text(encoding="utf-8")
    assert text.startswith("before\n### threadlab scaling checks\n")
    assert "2 passed, 0 failed, 0 inconclusive." in text


def test_deselecting_the_marker_runs_no_check(suite: pytest.Pytester) -> None:
    outcome = suite.runpytest_inprocess("-m", "not threadlab_scaling", "-rs")
    outcome.assert_outcomes(passed=1, skipped=3, deselected=1)


def test_a_failure_and_its_summary_name_where_the_time_went(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_lock="""
def test_locked_sleep_scales(threadlab_scaling):
    threadlab_scaling.check("waits_tasks.py:locked_sleep", workers=4, at_least=1.5)
"""
    )
    summary = tmp_path / "summary.md"
    outcome = pytester.runpytest_inprocess("--threadlab-scaling", f"--threadlab-summary={summary}")
    outcome.assert_outcomes(failed=1)
    wait = "Where the time went: threads ×4 spent 4?% of their time waiting on a lock at waits_tasks.py:35"
    outcome.stdout.fnmatch_lines(
        [f"*Failed: threads ×4 at least 1.50×: *. {wait} (locked_sleep). Machine: *"]
    )
    assert "of their time waiting on a lock at waits_tasks.py:35 (locked_sleep)" in summary.read_text(
        encoding="utf-8"
    )
