"""``threadlab compare``: points matched across two stored results with a known difference.

tests/data/compare-new.json is compare-base.json with two changes made on
purpose (see tests/data/make_data.py): ``count · threads ×2`` 1.6× slower,
``sleep · threads ×2`` 1.25× faster (its samples take 0.8× as long), both
separating the samples entirely; ``sleep · sequential ×1`` dropped; every
other point the very same samples.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from cli_runner import threadlab_cli
from threadlab import Result, load_result
from threadlab.analysis._compare import compare, smallest_p_value

pytestmark = pytest.mark.timeout(30)

DATA = Path(__file__).resolve().parent / "data"
BASE = DATA / "compare-base.json"
NEW = DATA / "compare-new.json"


@pytest.fixture(scope="module")
def pair() -> tuple[Result, Result]:
    return load_result(BASE), load_result(NEW)


def named(result: Result, index: int) -> tuple[str, str, int, int]:
    point = result.measurements[index].point
    return point.workload, point.strategy, point.workers, point.tasks


def test_the_known_changes_are_found_and_nothing_else(pair: tuple[Result, Result]) -> None:
    base, new = pair

    comparison = compare(base, new)

    verdicts = {named(base, c.base_index): (c.verdict, round(c.ratio, 3)) for c in comparison.changes}
    assert verdicts.pop(("count", "threads", 2, 2)) == ("slower", round(1 / 1.6, 3))
    assert verdicts.pop(("sleep", "threads", 2, 2)) == ("faster", 1.25)
    assert set(verdicts.values()) == {("not significant", 1.0)}
    assert len(verdicts) == 5
    assert [named(base, i) for i in comparison.only_in_base] == [("sleep", "sequential", 1, 1)]
    assert comparison.only_in_new == ()
    assert comparison.not_compared == ()
    assert comparison.geometric_mean == pytest.approx((1.25 / 1.6) ** (1 / 7))


def test_matched_points_are_the_same_work_by_the_same_python(pair: tuple[Result, Result]) -> None:
    base, new = pair

    for change in compare(base, new).changes:
        before, after = base.measurements[change.base_index], new.measurements[change.new_index]
        assert before.point == after.point
        assert before.interpreter == after.interpreter


def test_a_different_interpreter_is_not_matched(pair: tuple[Result, Result]) -> None:
    base, new = pair
    assert all(m.interpreter is not None for m in new.measurements)
    other = dataclasses.replace(
        new,
        measurements=tuple(
            dataclasses.replace(m, interpreter=dataclasses.replace(m.interpreter, version="3.99.0"))  # type: ignore[type-var]
            for m in new.measurements
        ),
    )

    comparison = compare(base, other)

    assert comparison.changes == ()
    assert len(comparison.only_in_base) == len(base.measurements)
    assert len(comparison.only_in_new) == len(new.measurements)
    assert comparison.geometric_mean is None


def test_three_samples_a_side_can_never_be_significant(pair: tuple[Result, Result]) -> None:
    base, new = pair
    three = [
        dataclasses.replace(
            r, measurements=tuple(dataclasses.replace(m, samples=m.samples[:3]) for m in r.measurements)
        )
        for r in (base, new)
    ]

    comparison = compare(*three)

    assert smallest_p_value(3, 3) == pytest.approx(0.1)
    assert {c.verdict for c in comparison.changes} == {"not significant"}
    assert all(
        c.note is not None and c.note.startswith("3 and 3 samples cannot reach p < 0.05")
        for c in comparison.changes
    )


def test_compare_prints_the_ratio_the_verdict_and_the_geometric_mean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)

    code, out, err = threadlab_cli(capsys, "compare", str(BASE), str(NEW))

    assert (code, err) == (0, "")
    rows = {
        re.split(r"\s{2,}", line.strip())[0]: re.split(r"\s{2,}", line.strip())[1:]
        for line in out.splitlines()
        if " · " in line and not line.startswith("only in")
    }
    assert rows["count · threads ×2"][2:] == ["0.62×", "0.008", "1.60× slower"]
    assert rows["sleep · threads ×2"][2:] == ["1.25×", "0.008", "1.25× faster"]
    assert rows["count · threads ×1"][2:] == ["1.00×", "1.000", "not significant"]
    assert len(rows) == 7
    geometric = 1 / ((1.25 / 1.6) ** (1 / 7))
    assert f"Geometric mean of 7 ratios (new/base throughput): {geometric:.2f}× slower;" in " ".join(
        out.split()
    )
    assert f"only in {BASE}: sleep · sequential ×1" in out


@pytest.mark.parametrize(("percent", "code"), [("50", 1), ("59.9", 1), ("61", 0), ("75%", 0)])
def test_fail_slower_exits_1_on_a_significant_slowdown_beyond_the_limit(
    percent: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, _, err = threadlab_cli(capsys, "compare", str(BASE), str(NEW), "--fail-slower", percent)

    assert exit_code == code
    if code:
        limit = float(percent)
        assert err == (
            f"threadlab: 1 point(s) significantly slower by more than {limit:g}%: "
            "count · threads ×2 (1.60× slower)\n"
        )
    else:
        assert err == ""


def test_a_slowdown_that_is_not_significant_never_fails(
    pair: tuple[Result, Result], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from threadlab import save_result

    base, new = pair
    # Keep 3 samples a side: no test can be significant, whatever the ratio.
    for name, result in (("base", base), ("new", new)):
        cut = dataclasses.replace(
            result,
            measurements=tuple(dataclasses.replace(m, samples=m.samples[:3]) for m in result.measurements),
        )
        save_result(cut, tmp_path / f"{name}.json")

    code, out, err = threadlab_cli(
        capsys, "compare", str(tmp_path / "base.json"), str(tmp_path / "new.json"), "--fail-slower", "1"
    )

    assert (code, err) == (0, "")
    assert "note: 3 and 3 samples cannot reach p < 0.05" in " ".join(out.split())


@pytest.mark.parametrize("value", ["-1", "fast", "nan"])
def test_fail_slower_refuses_a_bad_percentage(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = threadlab_cli(capsys, "compare", str(BASE), str(NEW), "--fail-slower", value)

    assert (code, out) == (2, "")
    assert err == (
        f"threadlab: error: --fail-slower: {value!r} is not accepted; "
        "expected a percentage of 0 or more, like 10\n"
    )


def test_the_geometric_mean_of_no_change_is_one(pair: tuple[Result, Result]) -> None:
    base, _ = pair

    comparison = compare(base, base)

    assert comparison.geometric_mean == 1.0
    assert {c.verdict for c in comparison.changes} == {"not significant"}
    assert all(math.isclose(c.p_value, 1.0) for c in comparison.changes)
