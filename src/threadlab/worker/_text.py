"""User text shown as data: control characters escaped, long values cut.

Whatever a user typed or a results file holds (workload and target names,
parameter values, error messages of user code, paths) reaches a terminal, a
report or an error line only through these two functions, so that an
``ESC[2J`` or a title-setting ``ESC]0;…BEL`` is shown as ``\\x1b[2J``, never
obeyed, and a 100,000-character value is echoed in about 80.

Here, in the worker package, because the worker's own errors (a parameter
refused, a target not found) echo user input too; every other layer imports it from here.
"""

from __future__ import annotations

# A value echoed in an error line is cut to about this many characters.
ECHO_LIMIT = 80

# Shown as themselves in multi-line text (a traceback); escaped in a one-line field.
_LINE_BREAKS = ("\n", "\t")


def _escaped(char: str, keep: tuple[str, ...]) -> str:
    if char.isprintable() or char == " " or char in keep:
        return char
    return repr(char)[1:-1]  # \x1b, \n, \u200b: as repr writes what cannot be printed


def printable(text: str, *, one_line: bool = True) -> str:
    """``text`` with every character that is not printable escaped as ``repr`` writes it.

    Printable characters (any script, emoji, ``[``, ``|``, ``\\``) stay as
    they are; markup of the medium (rich, HTML, Markdown) is escaped by each
    renderer on top of this.

    Args:
        text: user text, or text read from a results file.
        one_line: escape line breaks and tabs too (``\\n``), for a cell or a
            one-line message; False keeps them, for a traceback.

    Returns:
        The text, safe to write to a terminal.
    """
    if text.isprintable():
        return text
    keep = () if one_line else _LINE_BREAKS
    return "".join(_escaped(char, keep) for char in text)


def quoted(value: object, limit: int = ECHO_LIMIT) -> str:
    """A value echoed in an error line: ``'abc'``, or cut, ``'aaaa…' (100,000 characters)``.

    Quoted and escaped as ``repr`` writes a string (so control characters show
    as ``\\x1b``); text longer than ``limit`` characters keeps its first
    ``limit`` and says how long it was.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    head = repr(text[:limit])
    return "{}…{} ({:,} characters)".format(head[:-1], head[-1], len(text))
