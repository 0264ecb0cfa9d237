"""The code's shape, pinned: no function in ``src/`` runs over 60 lines of code, its docstring aside.

A longer function is a list of steps that want names (issue "Say each thing
once"). Lines are counted from the first statement after the docstring to the
function's last line, blank lines and comments inside included, as a reader
scrolls them. Read with ``ast``; nothing is run.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(30)

SOURCE = Path(__file__).resolve().parent.parent / "src"
MOST_LINES = 60


def code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The function's lines from its first statement after the docstring to its end."""
    first, *rest = function.body
    end = function.end_lineno or function.lineno
    documented = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if not documented:
        return end - first.lineno + 1
    return end - rest[0].lineno + 1 if rest else 0


def too_long(source: str) -> list[tuple[str, int]]:
    """Each function of ``source`` over ``MOST_LINES`` lines of code, with its count."""
    return [
        (node.name, code_lines(node))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and code_lines(node) > MOST_LINES
    ]


def test_the_count_leaves_out_the_docstring_and_counts_the_rest() -> None:
    body = "\n".join(f"    x{n} = {n}" for n in range(MOST_LINES))
    documented = f'def f():\n    """One line,\n\n    and more."""\n{body}\n'
    one_more = f"def g():\n{body}\n    return x0\n"

    assert too_long(documented) == []
    assert too_long(one_more) == [("g", MOST_LINES + 1)]


def test_no_function_in_src_runs_over_60_lines_of_code() -> None:
    found = {
        f"{path.relative_to(SOURCE)}:{name}": lines
        for path in sorted(SOURCE.rglob("*.py"))
        for name, lines in too_long(path.read_text(encoding="utf-8"))
    }

    assert found == {}


def test_a_function_of_only_a_docstring_has_no_code() -> None:
    source = textwrap.dedent('''
        def f():
            """Only this."""
    ''')

    (function,) = ast.parse(source).body
    assert isinstance(function, ast.FunctionDef)
    assert code_lines(function) == 0
