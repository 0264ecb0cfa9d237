"""``threadlab.compare``, ``threadlab.plot`` and ``threadlab.report``: the API of the reading commands.

The CLI's ``compare``, ``plot`` and ``report`` are these calls, printed; what
``--fail-slower`` decides is the compare result's data, which these tests
pin (tests/test_compare.py pins the command's words and exit codes).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import threadlab
from threadlab._errors import NothingInCommon

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).resolve().parent / "data"
BASE = DATA / "compare-base.json"
NEW = DATA / "compare-new.json"  # count · threads ×2 made 1.6× slower (tests/data/make_data.py)
SMALL = DATA / "results-small.json"


def test_compare_without_a_gate_passes_and_names_no_regression() -> None:
    compared = threadlab.compare(BASE, NEW)

    assert compared.fail_slower is None
    assert compared.regressed == ()
    assert compared.passed
    assert len(compared.comparison.changes) == 7


@pytest.mark.parametrize(("percent", "regressed"), [(50.0, 1), (59.9, 1), (61.0, 0)])
def test_compare_with_a_gate_names_each_regressed_point_and_by_how_much(
    percent: float, regressed: int
) -> None:
    compared = threadlab.compare(threadlab.load_result(BASE), threadlab.load_result(NEW), fail_slower=percent)

    assert compared.fail_slower == percent
    assert len(compared.regressed) == regressed
    assert compared.passed is (regressed == 0)
    for change in compared.regressed:
        assert change.verdict == "slower"
        assert change.slowdown_percent == pytest.approx(60.0, abs=0.5)
        point = compared.base.measurements[change.base_index].point
        assert (point.workload, point.strategy, point.workers) == ("count", "threads", 2)


def test_a_gate_over_nothing_compared_has_not_passed(tmp_path: Path) -> None:
    base = threadlab.load_result(BASE)
    crashed = tmp_path / "crashed.json"
    # Every point matched, none measured: each crashed before its first sample.
    points = tuple(dataclasses.replace(m, status="crashed", samples=()) for m in base.measurements)
    threadlab.save_result(dataclasses.replace(base, measurements=points, rounds=()), crashed)

    gated = threadlab.compare(BASE, crashed, fail_slower=10)
    ungated = threadlab.compare(BASE, crashed)

    assert (gated.compared_nothing, gated.passed, gated.regressed) == (True, False, ())
    assert (ungated.compared_nothing, ungated.passed) == (False, True)


def test_compare_refuses_a_result_with_no_points(tmp_path: Path) -> None:
    base = threadlab.load_result(BASE)
    empty = tmp_path / "empty.json"
    threadlab.save_result(dataclasses.replace(base, measurements=(), rounds=()), empty)

    # No point in common, not a comparison of nothing: the CLI's exit code 2 (tests/test_compare.py).
    with pytest.raises(NothingInCommon, match=r"^the new result has no points$"):
        threadlab.compare(BASE, empty, fail_slower=10)


@pytest.mark.parametrize(
    "value", [-1, float("nan"), float("inf"), pytest.param(10**400, id="10**400"), True, "10"]
)
def test_compare_refuses_a_gate_that_is_not_a_percentage(value: object) -> None:
    with pytest.raises(threadlab.SpecError, match=r"^fail_slower: .* is not accepted; expected a percentage"):
        threadlab.compare(BASE, NEW, fail_slower=value)  # type: ignore[arg-type]  # the wrong type on purpose


def test_compare_refuses_a_file_it_cannot_trust(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{}", encoding="utf-8")

    with pytest.raises(threadlab.ResultsFileError):
        threadlab.compare(BASE, broken)


def test_plot_writes_the_image_its_suffix_names(tmp_path: Path) -> None:
    out = threadlab.plot(SMALL, tmp_path / "wall.svg", kind="wall")

    assert out == tmp_path / "wall.svg"
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "pie"}, r"^kind: 'pie' is not accepted; expected one of: speedup, wall, timeline, cpu$"),
        ({"points": 1}, r"^points: '1' applies to kind='timeline' only, not speedup$"),
        ({"kind": "timeline", "points": [0]}, r"^points: '0' is not a point of the results file; expected"),
        ({"kind": "timeline", "points": []}, r"^points: names no point; expected point numbers from 1 to"),
    ],
)
def test_plot_refuses_a_bad_value_naming_the_parameter(
    kwargs: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(threadlab.SpecError, match=message):
        threadlab.plot(SMALL, tmp_path / "p.svg", **kwargs)  # type: ignore[arg-type]  # the values vary
    assert not (tmp_path / "p.svg").exists()


def test_plot_refuses_an_image_format_it_cannot_tell(tmp_path: Path) -> None:
    with pytest.raises(threadlab.SpecError, match=r"^out: cannot tell the image format of "):
        threadlab.plot(SMALL, tmp_path / "p.jpg")


def test_report_names_each_result_by_its_path_or_its_number(tmp_path: Path) -> None:
    out = threadlab.report([SMALL, threadlab.load_result(BASE)], tmp_path / "r.html")

    page = out.read_text(encoding="utf-8")
    assert out == tmp_path / "r.html"
    assert str(SMALL) in page
    assert "result 2" in page


def test_report_refuses_names_that_are_not_one_per_result(tmp_path: Path) -> None:
    with pytest.raises(threadlab.SpecError, match=r"^names: 1 names for 2 results; expected one per result$"):
        threadlab.report([SMALL, BASE], tmp_path / "r.html", names=["one"])
    with pytest.raises(threadlab.SpecError, match=r"^results: names no results"):
        threadlab.report([], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
