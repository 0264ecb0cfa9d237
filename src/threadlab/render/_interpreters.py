"""``threadlab interpreters``: the Pythons found here, as a rich table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from threadlab.model import FoundInterpreter
from threadlab.render._rows import titled_table
from threadlab.worker._text import printable


def interpreters_table(found: Sequence[FoundInterpreter], title: str | None = None) -> Table:
    """One row per Python: version, build, GIL at run time, subinterpreters, whether threadlab's
    worker runs there (what ``--python all`` uses) or why not, where found; a failed probe: broken."""
    table = titled_table(title)
    for column in ("python", "build", "GIL", "subinterpreters", "runs threadlab", "found in", "path"):
        folded = column in ("runs threadlab", "path")
        table.add_column(column, no_wrap=not folded, overflow="fold" if folded else "ellipsis")
    for interpreter in found:
        if interpreter.broken is not None:
            table.add_row(
                Text("?", style="red"),
                "-",
                "-",
                "-",
                Text(printable(f"broken: {interpreter.broken}"), style="red"),
                Text(printable(interpreter.source)),
                Text(printable(interpreter.executable)),
            )
            continue
        name = interpreter.label()
        if interpreter.implementation and interpreter.implementation != "CPython":
            name += f" ({interpreter.implementation})"
        table.add_row(
            Text(printable(name)),
            "free-threaded" if interpreter.free_threaded else "with GIL",
            Text("on", style="yellow") if interpreter.gil_enabled else Text("off", style="green"),
            Text("yes", style="green") if interpreter.subinterpreters else Text("no", style="dim"),
            Text("yes", style="green")
            if interpreter.worker_problem is None
            else Text(printable(f"no: {interpreter.worker_problem}"), style="dim"),
            Text(printable(interpreter.source)),
            Text(printable(interpreter.executable)),
        )
    return table
