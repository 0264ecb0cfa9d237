"""Parameter sweeps: a parameter given as a list makes a point per value, as ``--workers`` does.

The plan is checked without starting a worker; the names and the analysis of
a swept result are checked on synthetic measurements (no CPU physics).
"""

from __future__ import annotations

import dataclasses

import pytest

from cli_runner import threadlab_cli
from conftest import target
from test_analysis import measured, result_of
from threadlab import Spec, SpecError
from threadlab.analysis import analyse
from threadlab.analysis._group import groups
from threadlab.model import Measurement, Point, Swept
from threadlab.orchestrate._plan import MAX_POINTS, plan
from threadlab.render._rows import point_names

pytestmark = pytest.mark.timeout(60)


def planned(**params: str) -> tuple[Point, ...]:
    spec = Spec(workloads=("sleep",), strategies=("sequential", "processes"), workers=(2,), params=params)
    return plan(spec)


def test_a_strategy_parameter_given_as_a_list_makes_a_point_per_value() -> None:
    points = planned(start_method="fork,spawn")
    processes = [p for p in points if p.strategy == "processes"]
    assert [p.strategy_params["start_method"] for p in processes] == ["fork", "spawn"]
    # The sequential baseline does not take the parameter: one point, shared by both.
    assert [p.strategy for p in points].count("sequential") == 1
    # Both are compared against that one baseline: the same group.
    assert len({p.group_key() for p in points}) == 1


def test_a_workload_parameter_given_as_a_list_makes_a_group_per_value() -> None:
    points = planned(duration="0.01, 0.02,0.01")
    assert sorted({p.params["duration"] for p in points}) == [0.01, 0.02]  # repeats dropped
    assert len(points) == 4
    assert len({p.group_key() for p in points}) == 2


def test_every_value_of_a_sweep_is_checked_before_any_work(no_workers: list[object]) -> None:
    with pytest.raises(SpecError) as refused:
        planned(duration="0.01,-1")
    assert refused.value.option == "params"  # the API names its parameter; the CLI, --param
    assert "-1" in str(refused.value)
    with pytest.raises(SpecError, match="duration"):
        planned(duration=",")
    assert no_workers == []


def test_a_sweep_too_large_is_refused(no_workers: list[object]) -> None:
    values = ",".join(str(0.001 * (i + 1)) for i in range(MAX_POINTS))
    with pytest.raises(SpecError, match=f"more than {MAX_POINTS} points"):
        planned(duration=values)


def test_a_text_parameter_keeps_its_commas() -> None:
    spec = Spec(
        workloads=(target("advise_targets", "fail_on_negative"),),
        strategies=("sequential",),
        workers=(1,),
        params={"args": "[1, 2]"},
    )
    (point,) = plan(spec)
    assert point.params["args"] == "[1, 2]"


def test_the_api_takes_a_list_as_a_sweep(no_workers: list[object]) -> None:
    from threadlab._api import _swept

    assert _swept({"duration": [0.1, 0.2], "x": True, "y": [True, False]}) == {
        "duration": "0.1,0.2",
        "x": True,
        "y": "true,false",
    }


def swept_result():  # type: ignore[no-untyped-def]
    """Sequential, and dask ×2 with one and with two threads per worker, paired round by round."""
    base = measured("sequential", 1, [2.0] * 8, tasks=2, paired=True)
    one = measured("dask", 2, [1.0] * 8, tasks=2, paired=True)
    two = measured("dask", 2, [1.9] * 8, tasks=2, paired=True)
    one = dataclasses.replace(one, point=dataclasses.replace(one.point, strategy_params={"tpw": 1}))
    two = dataclasses.replace(two, point=dataclasses.replace(two.point, strategy_params={"tpw": 2}))
    return result_of(base, one, two)


def test_tables_name_each_swept_value() -> None:
    result = swept_result()
    assert point_names(result.measurements) == [
        "work · sequential ×1 (2 tasks)",
        "work · dask (tpw=1) ×2",
        "work · dask (tpw=2) ×2",
    ]
    # A parameter with one value among the points shown is not repeated.
    assert point_names(result.measurements[:2]) == ["work · sequential ×1 (2 tasks)", "work · dask ×2"]


def test_the_analysis_compares_the_swept_values_and_names_the_winner() -> None:
    analysis = analyse(swept_result())
    (recommendation,) = analysis.recommendations
    assert recommendation.strategy == "dask"
    assert recommendation.chosen is not None
    assert (recommendation.chosen.name, recommendation.chosen.workers) == ("dask (tpw=1)", 2)
    assert {s.strategy for s in analysis.scaling} == {"dask (tpw=1)", "dask (tpw=2)"}
    assert any(s.label.endswith("dask (tpw=2) ×2") for s in analysis.points)


def test_groups_are_named_as_their_points_are_with_the_workload_as_given() -> None:
    def one(workload: str, n: int, kept: int) -> Measurement:
        base = measured("sequential", 1, [0.1, 0.1, 0.1], workload=workload)
        params = {"n": n, "kept": kept}
        return dataclasses.replace(base, point=dataclasses.replace(base.point, params=params))

    # n is swept; kept takes one value, so it names nothing, in the tables as in the groups.
    result = result_of(one("dir/f.py:g", 1, 7), one("dir/f.py:g", 2, 7))

    assert [g.label for g in groups(result)] == ["dir/f.py:g (n=1)", "dir/f.py:g (n=2)"]
    assert point_names(result.measurements) == [
        "f.py:g (n=1) · sequential ×1 (4 tasks)",
        "f.py:g (n=2) · sequential ×1 (4 tasks)",
    ]


def test_swept_keys_are_found_per_strategy_and_per_workload() -> None:
    a = Point("w", "dask", 2, 2, params={"n": 1}, strategy_params={"tpw": 1, "m": "x"})
    b = Point("w", "dask", 2, 2, params={"n": 2}, strategy_params={"tpw": 2, "m": "x"})
    swept = Swept.among([a, b])
    assert swept.workload == {"w": ("n",)}
    assert swept.strategy == {"w": {"dask": ("tpw",)}}
    assert swept.point_label(b) == "w (n=2) · dask (tpw=2) ×2"
    assert a.label() == "w · dask ×2"


def test_the_command_line_refuses_a_bad_value_in_a_sweep(
    capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    # A bad value anywhere in the list is refused in one line, before any worker.
    code, _, err = threadlab_cli(
        capsys, "run", "-w", "sleep", "-s", "sequential", "-n", "1", "-p", "duration=0.1,x"
    )
    assert code == 2
    assert "--param" in err and "'x'" in err
    assert len(err.strip().splitlines()) == 1


def test_a_parameter_given_twice_sweeps_both_values_as_a_list_does() -> None:
    from threadlab._cli_types import KeyValue, params_given

    def parse_params(items: list[str]) -> dict[str, str]:
        """``-p`` items as the command line takes them: each a pair, then one value per key."""
        return params_given([KeyValue().parse(item) for item in items])

    assert parse_params(["duration=0.01", "iterations=5", "duration=0.02"]) == {
        "duration": "0.01,0.02",
        "iterations": "5",
    }
    repeated = planned(**parse_params(["duration=0.01", "duration=0.02"]))
    assert repeated == planned(duration="0.01,0.02")
    assert sorted({p.params["duration"] for p in repeated}) == [0.01, 0.02]
    # An empty value is refused, not lost in the list.
    with pytest.raises(SpecError, match=r"^--param: duration= has no value; expected a value each time"):
        parse_params(["duration=0.01", "duration="])


@pytest.mark.parametrize("key", ["args", "inputs", "scheduler"])
def test_a_text_parameter_given_twice_is_refused_in_one_line(
    key: str, capsys: pytest.CaptureFixture[str], no_workers: list[object]
) -> None:
    # Its value is taken whole, commas and all: two of them cannot be told apart once joined.
    code, out, err = threadlab_cli(
        capsys, "run", "-w", "sleep", "-s", "sequential", "-n", "1", "-p", f"{key}=a", "-p", f"{key}=b"
    )
    assert (code, out) == (2, "")
    assert err == (
        f"threadlab: error: --param: '{key}' is given 2 times; it is text, taken whole, so it takes one "
        f"value: expected {key}=... once\n"
    )
