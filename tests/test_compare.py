"""``threadlab compare``: points matched across two stored results with a known difference.

tests/data/compare-new.json is compare-base.json with two changes made on
purpose (see tests/data/make_data.py): ``count · threads ×2`` 1.6× slower,
``sleep · threads ×2`` 1.25× faster (its samples take 0.8× as long), both
separating the samples entirely; ``sleep · sequential ×1`` dropped; every
other point the very same samples.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cli_runner import threadlab_cli
from threadlab import Result, load_result
from threadlab._errors import NothingInCommon
from threadlab.analysis import summarise
from threadlab.analysis._compare import compare, smallest_p_value
from threadlab.render._compare import comparison_renderables

pytestmark = pytest.mark.timeout(30)

DATA = Path(__file__).resolve().parent / "data"
BASE = DATA / "compare-base.json"
NEW = DATA / "compare-new.json"
ROUNDS = DATA / "rounds-small.json"  # schema 2, measured in rounds (see tests/test_render.py)


def rendered(base: Result, new: Result, base_name: str = "base.json", new_name: str = "new.json") -> str:
    """``threadlab compare``'s output at 120 columns, without colour."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, force_terminal=False, highlight=False)
    for renderable in comparison_renderables(compare(base, new), base, new, base_name, new_name):
        console.print(renderable)
    return buffer.getvalue()


def row_cells(text: str, name: str) -> list[str]:
    rows = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]
    found = [row for row in rows if row[0] == name]
    assert len(found) == 1, f"{name!r}: {found}"
    return found[0]


def speedup_cell(result: Result, index: int) -> str:
    summary = summarise(result)[index][1]
    assert summary is not None and summary.speedup_vs_sequential is not None
    assert summary.speedup_vs_sequential_ci is not None
    low, high = summary.speedup_vs_sequential_ci
    return f"{summary.speedup_vs_sequential:.2f}× ({low:.2f}–{high:.2f})"


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

    pythons = sorted({m.interpreter.label() for m in base.measurements if m.interpreter is not None})
    with pytest.raises(NothingInCommon) as raised:
        compare(base, other)

    assert str(raised.value) == f"no Python in common (base: {' | '.join(pythons)}; new: 3.99.0)"


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
    assert all(c.smallest_p == pytest.approx(0.1) for c in comparison.changes)


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
    assert rows["count · threads ×2"][2:5] == ["0.62×", "0.008", "1.60× slower"]
    assert rows["sleep · threads ×2"][2:5] == ["1.25×", "0.008", "1.25× faster"]
    assert rows["count · threads ×1"][2:5] == ["1.00×", "1.000", "not significant"]
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


def test_each_side_shows_its_speedup_with_its_interval(pair: tuple[Result, Result]) -> None:
    base, new = pair

    text = rendered(base, new)

    header = next(line for line in text.splitlines() if line.strip().startswith("point"))
    assert re.split(r"\s{2,}", header.strip()) == [
        "point",
        "base",
        "new",
        "new/base",
        "p",
        "change",
        "base speedup",
        "new speedup",
    ]
    for change in compare(base, new).changes:
        point = base.measurements[change.base_index].point
        if point.tasks != point.workers:
            continue  # its name is too long for one line at 120 columns beside the speedups
        cells = row_cells(text, f"{point.workload} · {point.strategy} ×{point.workers}")
        assert cells[-2:] == [speedup_cell(base, change.base_index), speedup_cell(new, change.new_index)]
    # compare-new.json took 0.8× as long on sleep · threads ×2: its speedup is 1.25× the base's.
    slept = row_cells(text, "sleep · threads ×2")
    assert float(slept[-1].split("×")[0]) > float(slept[-2].split("×")[0])


def test_a_point_without_a_sequential_point_has_no_speedup(pair: tuple[Result, Result]) -> None:
    base, new = pair
    parallel = tuple(m for m in new.measurements if m.point.strategy != "sequential")
    alone = dataclasses.replace(new, measurements=parallel)

    cells = row_cells(rendered(base, alone), "sleep · threads ×2")

    index = next(i for i in range(len(base.measurements)) if named(base, i) == ("sleep", "threads", 2, 2))
    assert cells[-2:] == [speedup_cell(base, index), "-"]


def test_results_measured_in_rounds_compare_with_their_paired_intervals() -> None:
    result = load_result(ROUNDS)

    text = rendered(result, result)

    for index, measurement in enumerate(result.measurements):
        point = measurement.point
        if point.tasks != point.workers:
            continue
        cells = row_cells(text, f"{point.workload} · {point.strategy} ×{point.workers}")
        assert cells[-3:] == ["not significant", speedup_cell(result, index), speedup_cell(result, index)]


def test_names_and_paths_are_shown_as_text_never_as_markup(pair: tuple[Result, Result]) -> None:
    base, new = pair
    workload = "q[/b]q/[bold]f[/bold].py:[/]g"

    def renamed(result: Result) -> Result:
        return dataclasses.replace(
            result,
            measurements=tuple(
                dataclasses.replace(m, point=dataclasses.replace(m.point, workload=workload))
                if m.point.workload == "count"
                else m
                for m in result.measurements
            ),
        )

    text = rendered(renamed(base), renamed(new), "runs/[red]base[/].json", "new[/x].json")

    assert text.splitlines()[0].strip() == "runs/[red]base[/].json → new[/x].json"
    label = renamed(base).measurements[-1].point.workload_label()
    assert row_cells(text, f"{label} · threads ×2")[3:6] == ["0.62×", "0.008", "1.60× slower"]


def crashed(result: Result) -> Result:
    """``result`` with every point crashed before its first sample."""
    return dataclasses.replace(
        result,
        measurements=tuple(dataclasses.replace(m, status="crashed", samples=()) for m in result.measurements),
        rounds=(),
    )


def test_fail_slower_fails_when_no_point_could_be_compared(
    pair: tuple[Result, Result], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from threadlab import save_result

    base, _ = pair
    path = tmp_path / "new.json"
    save_result(crashed(base), path)

    code, _, err = threadlab_cli(capsys, "compare", str(BASE), str(path), "--fail-slower", "10")

    assert code == 1
    assert err == (
        f"threadlab: --fail-slower 10: no point of {str(path)!r} could be compared with {str(BASE)!r}, "
        "so no slowdown can be ruled out\n"
    )
    # Without the gate, comparing nothing is only shown.
    assert threadlab_cli(capsys, "compare", str(BASE), str(path))[0] == 0


@pytest.mark.parametrize("which", ["base", "new"])
def test_compare_refuses_a_file_it_cannot_trust_with_exit_code_2(
    which: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 2, "spec": 5}', encoding="utf-8")
    files = (broken, NEW) if which == "base" else (BASE, broken)

    code, out, err = threadlab_cli(capsys, "compare", *map(str, files), "--fail-slower", "10")

    assert (code, out) == (2, "")
    missing = "'environment', 'points', 'noise', 'rounds'"
    assert err == f"threadlab: error: {str(broken)!r}: results file: missing {missing}\n"


def _no_points(result: Result) -> Result:
    return dataclasses.replace(result, measurements=(), rounds=())


def _other_workload(result: Result) -> Result:
    return dataclasses.replace(
        result,
        measurements=tuple(
            dataclasses.replace(m, point=dataclasses.replace(m.point, workload="compress"))
            for m in result.measurements
        ),
    )


@pytest.mark.parametrize(
    ("made", "why"),
    [
        (_no_points, "the new result has no points"),
        (_other_workload, "no workload in common (base: count | sleep; new: compress)"),
    ],
)
@pytest.mark.parametrize("gate", [(), ("--fail-slower", "10")])
def test_compare_with_no_point_in_common_says_why_and_exits_2(
    made: Any,
    why: str,
    gate: tuple[str, ...],
    pair: tuple[Result, Result],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from threadlab import save_result

    base, _ = pair
    path = tmp_path / "new.json"
    save_result(made(base), path)

    code, out, err = threadlab_cli(capsys, "compare", str(BASE), str(path), *gate)

    assert (code, out) == (2, "")
    assert err == f"threadlab: error: nothing of {str(path)!r} could be compared with {str(BASE)!r}: {why}\n"


def test_two_results_without_points_are_named_both() -> None:
    empty = _no_points(load_result(BASE))
    with pytest.raises(NothingInCommon, match=r"^the base and the new results have no points$"):
        compare(empty, empty)


def test_compare_writes_markdown_for_a_pull_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = threadlab_cli(
        capsys, "compare", str(BASE), str(NEW), "--format", "markdown", "--fail-slower", "10"
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"### threadlab compare: `{BASE}` → `{NEW}`"
    assert lines[2] == (
        "**Geometric mean** of 7 throughput ratio(s) (new/base): **1.04× slower**; 2 changed "
        "significantly (two-sided Mann–Whitney U, p < 0.05)."
    )
    assert "**Gate (--fail-slower 10%): failed**: 1 point(s) significantly slower by more than 10%: " in out
    changed = lines[lines.index("**What changed**") + 4 : lines.index("**What changed**") + 6]
    assert [row.split(" | ")[0] for row in changed] == ["| sleep · threads ×2", "| count · threads ×2"]
    assert changed[1].startswith("| count · threads ×2 | 0.62× | 0.008 | 1.60× slower | ")
    assert "<details><summary>All 7 matched point(s)</summary>" in out
    assert f"- only in {BASE}: sleep · sequential ×1" in out
    assert "significantly slower by more than 10%: count · threads ×2 (1.60× slower)" in err


def test_compare_markdown_escapes_a_pipe_in_a_name() -> None:
    from threadlab.render._check import markdown_cell

    assert markdown_cell("a|b`c") == "a\\|b\\`c"


def test_a_matched_point_without_samples_is_not_compared_and_says_which_side_and_why(
    pair: tuple[Result, Result],
) -> None:
    base, new = pair
    index = next(i for i, m in enumerate(new.measurements) if named(new, i) == ("count", "threads", 2, 2))
    crashed = dataclasses.replace(new.measurements[index], status="crashed", samples=())
    broken = dataclasses.replace(
        new, measurements=(*new.measurements[:index], crashed, *new.measurements[index + 1 :])
    )

    comparison = compare(base, broken)

    (not_compared,) = comparison.not_compared
    assert named(base, not_compared.base_index) == ("count", "threads", 2, 2)
    assert (not_compared.new_index, not_compared.side) == (index, "new")
    assert (not_compared.reason, not_compared.status) == ("no-samples", "crashed")
    assert all(named(base, c.base_index) != ("count", "threads", 2, 2) for c in comparison.changes)
    lines = [line.strip() for line in rendered(base, broken).splitlines()]
    assert "not compared: count · threads ×2: no samples in the new result (status crashed)" in lines
