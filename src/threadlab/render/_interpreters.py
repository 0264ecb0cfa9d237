"""``threadlab interpreters``: the Pythons found here, as a rich table."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from threadlab.model import FoundInterpreter
from threadlab.worker._text import printable


def _yes_no(value: bool) -> Text:
    return Text("yes", style="green") if value else Text("no", style="dim")


def interpreters_table(found: Sequence[FoundInterpreter], title: str | None = None) -> Table:
    """One row per Python: version, build, GIL at run time, subinterpreters, worker, where found.

    ``runs threadlab`` says whether threadlab's worker runs there (what
    ``--python all`` uses), or why not; a Python whose probe failed is
    listed as broken, with the reason.
    """
    table = Table(
        title=None if title is None else Text(printable(title), style="table.title"),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("python", no_wrap=True)
    table.add_column("build", no_wrap=True)
    table.add_column("GIL", no_wrap=True)
    table.add_column("subinterpreters", no_wrap=True)
    table.add_column("runs threadlab", overflow="fold")
    table.add_column("found in", no_wrap=True)
    table.add_column("path", overflow="fold")
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
            _yes_no(interpreter.subinterpreters),
            Text("yes", style="green")
            if interpreter.worker_problem is None
            else Text(printable(f"no: {interpreter.worker_problem}"), style="dim"),
            Text(printable(interpreter.source)),
            Text(printable(interpreter.executable)),
        )
    return table
