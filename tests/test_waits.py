"""The breakdown of waits, without timing: recorded /proc reads classified, the sums, the model.

``tests/data/waits/recorded.json`` holds raw reads of two threads of each of
issue 20's four functions under 3.9, 3.11, 3.12 and 3.13 (x86_64), taken
from outside the process by ``tests/data/waits/capture.py``.
"""

from __future__ import annotations

import copy
import ctypes
import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from cli_runner import threadlab_cli
from test_render import matches_expected, render
from threadlab import ResultsFileError
from threadlab.analysis import PointWaits, point_waits
from threadlab.model import Sample, WaitLine, Waits
from threadlab.model._json import plain, sample_from_json
from threadlab.render._waits import waits_lines_table, waits_table
from threadlab.worker import _waits
from threadlab.worker._waits_sidecar import CATEGORIES, SYSCALLS, classify

RECORDED = json.loads((Path(__file__).parent / "data" / "waits" / "recorded.json").read_text())
X86 = SYSCALLS["x86_64"]
GIL = [(0x1000, 0x2000)]


def _categories(scenario: dict[str, Any]) -> list[str]:
    table = SYSCALLS[scenario["machine"]]
    return [classify(read["state"], read["syscall"], scenario["gil"], table) for read in scenario["reads"]]


def _scenario_id(scenario: dict[str, Any]) -> str:
    return f"{scenario['python']}-{scenario['function']}"


# -- classifying recorded reads -------------------------------------------------------------------


@pytest.mark.parametrize("scenario", RECORDED, ids=_scenario_id)
def test_recorded_reads_classify_as_their_function_waits(scenario: dict[str, Any]) -> None:
    seen = set(_categories(scenario))
    expected = {
        "count_loop": {"cpu", "gil"},  # on a core, or blocked on the GIL's futex
        "locked_sleep": {"cpu", "lock", "sleep"},  # blocked on the lock, or sleeping holding it
        "sleep_20ms": {"cpu", "sleep"},
        "sha256_4mb": {"cpu"},  # hashlib releases the GIL: both threads compute
    }[scenario["function"]]
    assert seen <= expected
    waits = {"count_loop": "gil", "locked_sleep": "lock", "sleep_20ms": "sleep", "sha256_4mb": "cpu"}
    assert waits[scenario["function"]] in seen


def test_the_recorded_gil_waits_are_futex_waits_inside_the_gil_range() -> None:
    for scenario in RECORDED:
        if scenario["function"] != "count_loop":
            continue
        for read, category in zip(scenario["reads"], _categories(scenario), strict=True):
            if category == "gil":
                number, address = read["syscall"].split()[:2]
                assert int(number) == 202
                assert any(low <= int(address, 16) < high for low, high in scenario["gil"])


def test_the_same_futex_wait_outside_the_gil_range_is_a_lock() -> None:
    (scenario,) = [s for s in RECORDED if s["python"] == "3.12" and s["function"] == "count_loop"]
    gil_waits = [r for r, c in zip(scenario["reads"], _categories(scenario), strict=True) if c == "gil"]

    assert gil_waits
    assert {classify(r["state"], r["syscall"], [], X86) for r in gil_waits} == {
        "lock"
    }  # free-threaded: no GIL


@pytest.mark.parametrize(
    ("state", "syscall", "expected"),
    [
        ("R", None, "cpu"),
        ("S", "running", "cpu"),
        ("S", None, "other"),  # unreadable: no ptrace rights
        ("S", "-1 0x7ffd 0x7f00", "other"),  # blocked, not in a system call
        ("S", "202 0x1800 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f00", "gil"),
        ("S", "202 0x5800 0x189 0x0 0x0 0x0 0xffffffff 0x7ffd 0x7f00", "lock"),
        ("S", "230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x7ffd 0x7f00", "sleep"),  # clock_nanosleep
        ("S", "23 0x0 0x0 0x0 0x0 0x7ffd 0x0 0x7ffd 0x7f00", "sleep"),  # 3.9's time.sleep: select(0, ...)
        ("S", "23 0x5 0x7ffd 0x0 0x0 0x7ffd 0x0 0x7ffd 0x7f00", "io"),  # select on descriptors
        ("S", "7 0x0 0x0 0x14 0x0 0x0 0x0 0x7ffd 0x7f00", "sleep"),  # poll(NULL, 0, 20)
        ("S", "7 0x7ffd 0x1 0x14 0x0 0x0 0x0 0x7ffd 0x7f00", "io"),
        ("S", "45 0x3 0x7f00 0x10000 0x0 0x0 0x0 0x7ffd 0x7f00", "io"),  # recvfrom
        ("S", "232 0x4 0x7ffd 0x10 0xffffffff 0x0 0x0 0x7ffd 0x7f00", "io"),  # epoll_wait
        ("D", "9999 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f00", "io"),  # uninterruptible: the disk
        ("S", "61 0xffffffff 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f00", "other"),  # wait4
        ("S", "garbage", "other"),
    ],
)
def test_a_read_is_classified_by_its_state_system_call_and_address(
    state: str, syscall: str | None, expected: str
) -> None:
    assert classify(state, syscall, GIL, X86) == expected


def test_on_an_unknown_architecture_every_wait_is_other() -> None:
    assert classify("S", "202 0x1800 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f00", GIL, {}) == "other"
    assert classify("R", None, GIL, {}) == "cpu"


def test_aarch64_numbers_its_calls_apart() -> None:
    arm = SYSCALLS["aarch64"]
    assert classify("S", "98 0x1800 0x80 0x0 0x0 0x0 0x0 0x0 0x0", GIL, arm) == "gil"
    assert classify("S", "115 0x1 0x0 0x0 0x0 0x0 0x0 0x0 0x0", GIL, arm) == "sleep"
    assert classify("S", "73 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0", GIL, arm) == "sleep"  # ppoll, no fds
    assert classify("S", "207 0x3 0x0 0x0 0x0 0x0 0x0 0x0 0x0", GIL, arm) == "io"  # recvfrom


# -- from observations to thread-seconds ----------------------------------------------------------

LINE_A = ("app.py", 18, "work", None)
LINE_B = ("app.py", 19, "work", "queue.Queue.get")


def test_schedstat_deltas_give_cpu_and_run_queue_time_and_the_states_split_the_rest() -> None:
    # One thread over 1.0 s: 0.3 s on a core, 0.1 s queued, the rest seen as 3 lock reads to 1 sleep.
    observations = [
        [10.0, 1, 7, "lock", 0, 0, 1],
        [10.25, 1, 7, "lock", 100_000_000, 0, 2],
        [10.5, 1, 7, "cpu", 200_000_000, 50_000_000, 3],
        [10.75, 1, 7, "lock", 250_000_000, 100_000_000, 4],
        [11.0, 1, 7, "sleep", 300_000_000, 100_000_000, 5],
    ]

    waits = _waits.breakdown(
        observations, 10.0, 11.0, lambda o: [(LINE_A if o[3] == "lock" else LINE_B, 1.0)]
    )

    assert waits["cpu_s"] == pytest.approx(0.3)
    assert waits["runnable_s"] == pytest.approx(0.1)
    # 0.6 s off a core: 3/4 lock, 1/4 sleep; and the span before the first read (one gap) as first seen.
    assert waits["lock_s"] == pytest.approx(0.45 + 0.25)
    assert waits["sleep_s"] == pytest.approx(0.15)
    assert (waits["observations"], waits["threads"]) == (5, 1)
    lock_line = [line for line in waits["lines"] if line["category"] == "lock"]
    assert lock_line == [
        {"category": "lock", "share": pytest.approx(0.7 / 1.25, abs=1e-4), "file": "app.py", "line": 18,
         "function": "work", "library": None}
    ]  # fmt: skip


def test_a_thread_read_once_stands_for_the_whole_sample() -> None:
    waits = _waits.breakdown([[5.1, 1, 8, "sleep", 0, 0, 1], [5.2, 1, 9, "sleep", 0, 0, 1]], 5.0, 5.5)

    assert waits["sleep_s"] == pytest.approx(1.0)
    assert waits["lines"] == []


def test_no_observation_is_an_empty_breakdown() -> None:
    waits = _waits.breakdown([], 0.0, 1.0)

    assert {waits[c + "_s"] for c in CATEGORIES} == {0.0}
    assert (waits["observations"], waits["threads"], waits["lines"]) == (0, 0, [])


def test_an_observation_joins_the_stack_read_of_its_own_blocked_stretch() -> None:
    reads: dict[int, list[_waits.StackRead]] = {
        7: [(1.000, 40, LINE_A), (1.010, 41, LINE_B), (1.020, 42, LINE_A)]
    }

    # 1.012 is nearest the read at 1.010, but the thread had not run since the one at 1.020.
    assert _waits.nearest(reads, 7, 1.012, runs=42) == LINE_A
    assert _waits.nearest(reads, 7, 1.012) == LINE_B  # no run count: the nearest in time
    assert _waits.nearest(reads, 7, 1.012, runs=99) == LINE_B
    assert _waits.nearest(reads, 8, 1.0) is None


def test_between_two_stack_reads_one_in_the_users_code_wins_over_one_in_none() -> None:
    idle = ("", 0, "_worker", "concurrent.futures.thread._worker")  # a pool's worker before its task
    reads: dict[int, list[_waits.StackRead]] = {7: [(1.000, 40, idle), (1.050, 41, LINE_A)]}

    assert _waits.nearest(reads, 7, 1.001) == LINE_A


def test_observations_off_a_stack_read_follow_the_lines_exact_joins_found_for_their_category() -> None:
    stacks: dict[int, list[_waits.StackRead]] = {
        7: [(1.000, 40, LINE_A), (1.050, 45, LINE_B)],
        8: [(1.020, 60, LINE_A)],
    }
    observations = [
        [1.001, 1, 7, "lock", 0, 0, 40],  # exact: lock at A
        [1.021, 1, 8, "lock", 0, 0, 60],  # exact: lock at A
        [1.049, 1, 7, "sleep", 0, 0, 45],  # exact: sleep at B
        [1.048, 1, 7, "lock", 0, 0, 44],  # no read in its stretch: where the lock waits were
        [1.030, 1, 7, "io", 0, 0, 43],  # no exact io: the nearest read
        [1.030, 2, 7, "lock", 0, 0, 40],  # another process: no stack
    ]

    joined = _waits.join_lines(observations, stacks, 1)

    assert joined == [[(LINE_A, 1.0)], [(LINE_A, 1.0)], [(LINE_B, 1.0)], [(LINE_A, 1.0)], [(LINE_B, 1.0)], []]


# -- folding a stack to the user's line ----------------------------------------------------------


class _Caught:
    """Folds the stack where copy.deepcopy calls it back, while that stack is live."""

    where: _waits.Location | None = None

    def __deepcopy__(self, memo: Any) -> _Caught:
        _Caught.where = _waits.Locator().locate(sys._getframe(1))  # copy.deepcopy's own frame
        return self


def test_a_library_frame_folds_into_the_users_line_that_called_it() -> None:
    line = sys._getframe().f_lineno + 1
    copy.deepcopy(_Caught())

    where = _Caught.where

    assert where is not None
    assert (where[0], where[1], where[3]) == (__file__, line, "copy.deepcopy")
    assert where[2].endswith("test_a_library_frame_folds_into_the_users_line_that_called_it")


def test_the_built_in_workloads_are_user_code_and_threadlab_is_a_library() -> None:
    locator = _waits.Locator()
    package = Path(_waits.__file__).parent.parent

    assert locator.module(str(package / "worker" / "workloads" / "count.py")) is None
    assert locator.module(str(package / "worker" / "_measure.py")) == "threadlab.worker._measure"
    assert locator.module(threading.__file__) == "threading"
    assert locator.module("<frozen importlib._bootstrap>") == "importlib._bootstrap"
    assert locator.module(__file__) is None


def test_the_gil_range_holds_the_runtime_state() -> None:
    runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))

    assert any(low <= runtime < high for low, high in _waits.gil_ranges())


# -- the model and the results file ---------------------------------------------------------------

WAITS: dict[str, Any] = {
    "cpu_s": 0.5,
    "runnable_s": 0.0,
    "gil_s": 0.0,
    "lock_s": 0.75,
    "sleep_s": 0.75,
    "io_s": 0.0,
    "other_s": 0.0,
    "observations": 600,
    "threads": 2,
    "lines": [
        {"category": "lock", "share": 0.3, "file": "app.py", "line": 18, "function": "work", "library": None},
        {
            "category": "lock",
            "share": 0.05,
            "file": "app.py",
            "line": 19,
            "function": "work",
            "library": None,
        },
        {
            "category": "sleep",
            "share": 0.375,
            "file": "app.py",
            "line": 19,
            "function": "work",
            "library": None,
        },
    ],
    "reader_cpu_s": 0.04,
    "note": None,
}


def _sample(waits: dict[str, Any] | None) -> dict[str, Any]:
    sample: dict[str, Any] = plain(Sample(wall_s=1.0, round=0, started_at=1.0))
    if waits is not None:
        sample["waits"] = waits
    return sample


def test_a_samples_waits_round_trip_and_an_old_sample_loads_without() -> None:
    read = sample_from_json(_sample(WAITS), "sample")

    assert read.waits is not None and read.waits.lock_s == 0.75
    assert read.waits.lines[0] == WaitLine("lock", 0.3, "app.py", 18, "work")
    assert plain(read)["waits"] == WAITS
    assert sample_from_json(_sample(None), "sample").waits is None
    assert "waits" not in plain(sample_from_json(_sample(None), "sample"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lock_s": -1.0}, "sample.waits.lock_s: expected a number from 0 to 1e+10, found -1.0"),
        ({"threads": 1.5}, "sample.waits.threads: expected a whole number from 0 to 2**53, found 1.5"),
        ({"nap_s": 1.0}, "sample.waits: unknown 'nap_s'"),
        (
            {"lines": [{**WAITS["lines"][0], "category": "nap"}]},
            "sample.waits.lines[0].category: expected one of cpu, runnable, gil, lock, sleep, io, other,"
            " found 'nap'",
        ),
        (
            {"lines": [{**WAITS["lines"][0], "share": 2}]},
            "sample.waits.lines[0].share: expected a number from 0 to 1, found 2",
        ),
    ],
)
def test_a_bad_waits_object_is_refused_naming_where(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ResultsFileError, match=f"^{re.escape(message)}$"):
        sample_from_json(_sample({**WAITS, **change}), "sample")


def test_the_model_refuses_an_unknown_category() -> None:
    with pytest.raises(
        ValueError, match=r"^category must be one of cpu, runnable, gil, lock, sleep, io, other, not 'nap'$"
    ):
        Waits().seconds("nap")


# -- over a point's samples -----------------------------------------------------------------------


def test_a_points_waits_sum_its_samples_and_name_the_dominant_wait_and_its_line() -> None:
    one = sample_from_json(_sample(WAITS), "s")
    other = sample_from_json(_sample({**WAITS, "lock_s": 1.75, "lines": WAITS["lines"][:1]}), "s")

    waits = point_waits([one, other, Sample(wall_s=1.0)])

    assert waits is not None
    assert (waits.samples, waits.observations, waits.dominant) == (2, 1200, "lock")
    assert waits.share("lock") == pytest.approx(2.5 / 5.0)
    assert waits.share("sleep") == pytest.approx(1.5 / 5.0)
    top = waits.top_line("lock")
    assert top is not None and (top.file, top.line) == ("app.py", 18)
    assert top.share == pytest.approx((0.3 * 2.0 + 0.3 * 3.0) / 5.0)
    assert waits.top_line("io") is None


def test_a_lock_that_keeps_sleeps_from_overlapping_is_the_dominant_wait_at_a_near_tie() -> None:
    tie = {**WAITS, "lock_s": 0.45, "sleep_s": 0.53, "lines": []}
    overlapping = {**WAITS, "lock_s": 0.3, "sleep_s": 0.6, "lines": []}

    assert (point_waits([sample_from_json(_sample(tie), "s")]) or pytest.fail()).dominant == "lock"
    assert (point_waits([sample_from_json(_sample(overlapping), "s")]) or pytest.fail()).dominant == "sleep"


def test_threads_that_compute_have_no_dominant_wait() -> None:
    computing = {**WAITS, "cpu_s": 2.0, "lock_s": 0.05, "sleep_s": 0.0, "lines": []}

    waits = point_waits([sample_from_json(_sample(computing), "s")])

    assert waits is not None and waits.dominant is None


def test_a_point_without_any_breakdown_has_none() -> None:
    assert point_waits([Sample(wall_s=1.0)]) is None


def test_an_unavailable_breakdown_says_why_once() -> None:
    note = "waits: not measured on win32 (it reads Linux's /proc)"
    empty = sample_from_json(
        _sample({**WAITS, **{c + "_s": 0.0 for c in CATEGORIES}, "lines": [], "note": note}), "s"
    )

    waits = point_waits([empty, empty])

    assert waits is not None and waits.notes == (note,) and waits.dominant is None


# -- the table "Where the time went" --------------------------------------------------------------


def _point_of(**seconds: float) -> PointWaits:
    lines = [
        {"category": "gil", "share": 0.44, "file": "/app/tasks.py", "line": 30, "function": "count_loop"},
        {"category": "lock", "share": 0.49, "file": "/app/tasks.py", "line": 35, "function": "locked_sleep"},
        {"category": "sleep", "share": 0.5, "file": "/app/tasks.py", "line": 36, "function": "locked_sleep"},
        {
            "category": "io",
            "share": 0.3,
            "file": "/app/net.py",
            "line": 9,
            "function": "fetch",
            "library": "socket.socket.recv",
        },
    ]
    waits = {**WAITS, **{c + "_s": seconds.get(c, 0.0) for c in CATEGORIES}}
    waits["lines"] = [
        {"library": None, **line} for line in lines if seconds.get(str(line["category"]), 0) > 0
    ]
    found = point_waits([sample_from_json(_sample(waits), "s")])
    assert found is not None
    return found


def test_show_gives_the_top_line_of_every_kind_of_wait_of_one_percent_or_more(
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = str(Path(__file__).parent / "data" / "waits-lock.json")  # threads x4 on a lock around a sleep

    code, full, _ = threadlab_cli(capsys, "show", recorded)

    assert code == 0
    rows = [" ".join(line.split()) for line in full.split("Where the threads were", 1)[1].splitlines()]
    assert "threads ×4 (8 tasks) lock 34% waits_tasks.py:35 (locked_sleep)" in rows
    assert "threads ×4 (8 tasks) sleeping 24% waits_tasks.py:36 (locked_sleep)" in rows


def test_the_waits_tables_at_a_fixed_width_without_colour() -> None:
    groups = {
        "count_loop [3.11.7]": [("threads ×2", _point_of(cpu=0.56, gil=0.44))],
        "locked_sleep [3.11.7]": [("threads ×2", _point_of(cpu=0.01, lock=0.49, sleep=0.5))],
        "fetch (url=http://127.0.0.1:8000/a-long-path-to-fetch) [3.11.7]": [
            ("threads ×8 (64 tasks)", _point_of(cpu=0.1, runnable=0.05, io=0.8, other=0.05)),
            ("threads (threads_per_worker=2) ×16 (64 tasks)", _point_of(io=1.0)),
        ],
        "sha256_4mb [3.11.7]": [("threads ×2", _point_of(cpu=0.995, other=0.005))],
    }
    points = [
        (f"{heading.split()[0]} · {label}", waits)
        for heading, rows in groups.items()
        for label, waits in rows
    ]

    table = render(waits_table(groups))
    text = table + render(waits_lines_table(points))

    matches_expected("waits.table.txt", text)
    # The grouped table's rows never wrap at 100 columns: long headings and labels end in an ellipsis.
    assert max(len(line.rstrip()) for line in table.splitlines()) <= 100
