"""Results files edited, cut short or written by something else: loaded whole, or refused in one line.

Recorded files (``tests/data``) are mutated the ways files go wrong: a value
of another type, NaN and the infinities, huge and negative numbers, wrong or
broken strings, keys removed or added, values nested deeper, the file cut at
any byte, bytes overwritten, random bytes. The reader must return a
``Result`` or raise ``ResultsFileError`` (never another exception), and
``threadlab show`` must exit 0, or 2 with exactly one line on stderr and no
traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_runner import threadlab_cli
from threadlab import Result, ResultsFileError, load_result, save_result
from threadlab.model._json import result_from_bytes

pytestmark = pytest.mark.timeout(90)

DATA = Path(__file__).resolve().parent / "data"
# One file of each schema version, the smallest of each.
RECORDED = {name: (DATA / name).read_bytes() for name in ("compare-base.json", "rounds-small.json")}
PARSED = {name: json.loads(content) for name, content in RECORDED.items()}

Step = str | int


def paths(node: Any, here: tuple[Step, ...] = ()) -> Iterator[tuple[Step, ...]]:
    """Every place in a JSON tree, the root included; a long column only by its first values."""
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield from paths(value, (*here, index))


def get(data: Any, path: tuple[Step, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


PLACES = {name: sorted(set(paths(data)), key=repr) for name, data in PARSED.items()}
# The places that hold a number, outside the derived blocks (read past, never trusted).
NUMBERS = {
    name: [
        path
        for path in places
        if type(get(PARSED[name], path)) in (int, float) and "summary" not in path and "analysis" not in path
    ]
    for name, places in PLACES.items()
}
# Numbers at the edges of what the reader accepts, and just past them.
EDGES = [0, 1, 2, 0.0, 1e-9, 5e-324, 0.5, 1.0, 1e10, 1.0000001e10, 2**53, 2**53 + 1, -1, -1e-9]

# The values a field must not hold, or holds only at its edges.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1, 2**53, 2**53 + 1, 2**63, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 1.5, 0.5]),
    st.text(max_size=20),
    st.sampled_from(["", "\ud800", "\udfff x", "ok", "errors", "sequential", "on", "nan", "1"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def copy(data: Any) -> Any:
    return json.loads(json.dumps(data))


@st.composite
def mutated_trees(draw: st.DrawFn) -> bytes:
    """A recorded file with one to three of its values changed, removed, added or nested deeper."""
    name = draw(st.sampled_from(sorted(PARSED)))
    data = copy(PARSED[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PLACES[name]))
        if not path:
            data = draw(values)
            continue
        try:
            parent = get(data, path[:-1])
            parent[path[-1]]  # still there after an earlier change?
        except (KeyError, IndexError, TypeError):
            continue
        how = draw(st.sampled_from(["replace", "remove", "add", "deepen"]))
        if how == "replace":
            parent[path[-1]] = draw(values)
        elif how == "remove":
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
        elif how == "add":
            parent.append(draw(values))
        else:
            deeper = parent[path[-1]]
            for _ in range(draw(st.integers(1, 80))):
                deeper = [deeper]
            parent[path[-1]] = deeper
    return json.dumps(data).encode("utf-8", errors="surrogatepass")


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """A recorded file cut at any byte, with bytes overwritten, or bytes at random."""
    content = RECORDED[draw(st.sampled_from(sorted(RECORDED)))]
    how = draw(st.sampled_from(["truncate", "overwrite", "random", "deep"]))
    if how == "truncate":
        return content[: draw(st.integers(0, len(content)))]
    if how == "overwrite":
        at = draw(st.integers(0, len(content) - 1))
        return content[:at] + draw(st.binary(min_size=1, max_size=8)) + content[at + 8 :]
    if how == "deep":
        depth = draw(st.integers(60, 100_000))
        return b'{"schema_version": 2, "spec": ' + b"[" * depth + b"]" * depth + b"}"
    return draw(st.binary(max_size=200))


@st.composite
def edge_numbers(draw: st.DrawFn) -> bytes:
    """A recorded file with some of its numbers at the edges of what the reader accepts: most of
    them load, and every command must then cope with them."""
    name = draw(st.sampled_from(sorted(PARSED)))
    data = copy(PARSED[name])
    for path in draw(st.lists(st.sampled_from(NUMBERS[name]), min_size=1, max_size=8)):
        get(data, path[:-1])[path[-1]] = draw(st.sampled_from(EDGES))
    return json.dumps(data).encode("utf-8")


files = st.one_of(mutated_trees(), mutated_bytes(), edge_numbers())


def read(content: bytes) -> Result | None:
    """The reader's answer: a Result, or None where it refused with the project's error."""
    try:
        return result_from_bytes(content, "'fuzzed.json'")
    except ResultsFileError as error:
        message = str(error)
        assert message.startswith("'fuzzed.json'")
        assert "\n" not in message
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files)
def test_the_reader_returns_a_result_or_refuses_in_one_line(content: bytes) -> None:
    read(content)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(content=files)
def test_show_prints_a_fuzzed_file_or_refuses_it_in_one_line(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fuzzed.json"
    path.write_bytes(content)

    code, out, err = threadlab_cli(capsys, "show", str(path))

    if read(content) is None:
        assert (code, out) == (2, "")
        assert err.startswith(f"threadlab: error: {str(path)!r}")
        assert len(err.splitlines()) == 1
    else:
        assert code == 0, err
    assert "Traceback" not in err


def leaves(node: Any, here: tuple[Step, ...] = ()) -> Iterator[tuple[tuple[Step, ...], Any]]:
    """Every value of a JSON tree that holds no other (an empty list or object counts), with its place."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
    if not items:
        yield here, node
        return
    for step, value in items:
        yield from leaves(value, (*here, step))


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_the_recorded_files_load_unchanged(name: str, tmp_path: Path) -> None:
    # Every measured value of the file (the derived blocks aside) is saved back as it was read.
    loaded = load_result(DATA / name)
    save_result(loaded, tmp_path / name)
    again = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    measured = [
        (path, value)
        for path, value in leaves(PARSED[name])
        if not {"summary", "analysis", "schema_version"} & set(path[:1] + path[2:3])
    ]

    assert len(measured) > 1000
    assert [(path, get(again, path)) for path, _ in measured] == measured
    assert load_result(tmp_path / name) == loaded
