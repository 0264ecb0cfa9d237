"""Values the API's reading calls take (``plot``'s kind, image and points), checked by threadlab.

As for ``threadlab run``, a bad value is refused before any work with one
line naming the option, the value and what is accepted (``SpecError``).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from threadlab._errors import SpecError
from threadlab.render.plots import IMAGE_FORMATS, ImageFormat
from threadlab.worker._text import quoted

Choice = TypeVar("Choice", bound=str)


def parse_choice(option: str, text: str, choices: Sequence[Choice]) -> Choice:
    """One of ``choices``, exactly.

    Raises:
        SpecError: anything else, with the nearest choice if one is close.
    """
    value = text.strip()
    for choice in choices:
        if value == choice:
            return choice
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.5) if len(value) < 200 else []
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise SpecError(option, f"{quoted(text)} is not accepted; {hint}expected one of: {', '.join(choices)}")


def image_format_of(path: Path, option: str = "--out") -> ImageFormat:
    """The image format a file name asks for, from its suffix: ``.png`` or ``.svg``.

    Raises:
        SpecError: any other suffix, or none.
    """
    suffix = path.suffix.lower().lstrip(".")
    for image_format in IMAGE_FORMATS:
        if suffix == image_format:
            return image_format
    raise SpecError(
        option,
        f"cannot tell the image format of {quoted(str(path))}; expected a file name ending in .png or .svg",
    )


def _expected_points(count: int) -> str:
    return (
        f"point numbers from 1 to {count}, comma-separated, as threadlab show --format markdown numbers them"
    )


def check_points(option: str, numbers: Sequence[int], count: int) -> list[int]:
    """Point numbers, counted from 1 as ``threadlab show`` lists them, checked against ``count`` points.

    Returns:
        Their indices in ``Result.measurements``, counted from 0.

    Raises:
        SpecError: a number is not between 1 and ``count``, or none is given.
    """
    if not numbers:
        raise SpecError(option, f"names no point; expected {_expected_points(count)}")
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= count:
            raise SpecError(
                option,
                f"{quoted(str(number))} is not a point of the results file; "
                f"expected {_expected_points(count)}",
            )
    return [number - 1 for number in numbers]
