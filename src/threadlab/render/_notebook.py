"""Progress in a notebook cell: what the CLI's progress bar says, as one small block a notebook redraws.

::

    execute ──Progress callbacks──► _api._CellProgress ──progress_html / progress_text──► one cell display
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from threadlab.worker._text import printable

PROGRESS_CLASS = "threadlab-progress"
# The text bar's width in characters: fits a notebook's narrowest output beside the line.
_BAR_CHARACTERS = 20


def _e(text: str) -> str:
    return html.escape(printable(text), quote=True)


def progress_html(line: str, done: float, notes: Sequence[str]) -> str:
    """The block as HTML: a bar of the share of the group's time ``done``, the ``line`` (``[2/5] count:
    round 4, ±3.1% (asked ±5%)``), then the ``notes`` so far."""
    shown = min(1.0, max(0.0, done))
    parts = [
        f'<div class="{PROGRESS_CLASS}">',
        f'<progress max="1" value="{shown:.3f}" style="width: 12rem; vertical-align: middle"></progress> ',
        f"<span>{_e(line)}</span>",
    ]
    parts.extend(f'<div class="note">note: {_e(note)}</div>' for note in notes)
    parts.append("</div>")
    return "".join(parts)


def progress_text(line: str, done: float, notes: Sequence[str]) -> str:
    """The block as plain text: ``[#####---------------] line``, then one ``note:`` line each."""
    filled = round(min(1.0, max(0.0, done)) * _BAR_CHARACTERS)
    bar = "[" + "#" * filled + "-" * (_BAR_CHARACTERS - filled) + "]"
    return "\n".join([f"{bar} {printable(line)}", *(f"note: {printable(note)}" for note in notes)])
