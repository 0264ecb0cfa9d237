"""The command line's option types: what a user typed, parsed once, at the edge, into the values the
API takes (``workers=(1, 2)``, never ``"1,2"``). A refused value raises ``Refused``, which ``cli.py``
prints as one line naming the option, exit code 2; every echoed value is cut (``quoted``).
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections.abc import Callable, Sequence
from typing import Any

import click

from threadlab._errors import SpecError
from threadlab.orchestrate._plan import MOST_COUNT, parse_size, split_list
from threadlab.worker._params import DAY_S
from threadlab.worker._text import quoted


class Refused(click.BadParameter):
    """A value an option's type refuses; its message says what is accepted, without the option."""


class _Parsed(click.ParamType[Any]):
    """An option's text parsed by ``parse``, which raises ``ValueError`` with what is accepted."""

    def parse(self, text: str) -> Any:
        raise NotImplementedError  # abstract: every type below overrides it

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default given as a value, or a value converted already
        try:
            return self.parse(value)
        except ValueError as error:
            raise Refused(str(error), ctx=ctx, param=param) from None


def whole_number(text: str, minimum: int, what: str) -> int:
    """A whole number from ``minimum`` to ``MOST_COUNT``, else ``ValueError`` saying ``what`` it accepts."""
    shown = text.strip()
    digits = shown.replace("_", "")
    try:
        # int() refuses more than 4,300 digits; any number that long is past every maximum
        huge = len(digits) > 20 and digits.lstrip("+-").isdecimal()
        number = (-math.inf if digits.startswith("-") else math.inf) if huge else int(digits)
    except ValueError:
        raise ValueError(f"{quoted(shown)} is not a whole number; expected {what}") from None
    if number < minimum:
        raise ValueError(f"{quoted(shown)} is below {minimum}; expected {what}")
    if number > MOST_COUNT:
        raise ValueError(f"{quoted(shown)} is above {MOST_COUNT:,}; expected {what}")
    return int(number)


def _number(text: str) -> float:
    """``float(text)``, or NaN, which every range refuses, where the text is no number."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def _in_range(shown: str, value: float, accepted: Callable[[float], bool], expected: str) -> float:
    if not (math.isfinite(value) and accepted(value)):
        raise ValueError(f"{quoted(shown)} is not accepted; expected {expected}")
    return value


class Names(_Parsed):
    """Names, comma-separated (``-w sleep,count``): a tuple of one or more."""

    name = "names"

    def __init__(self, what: str) -> None:
        self.what = what

    def parse(self, text: str) -> tuple[str, ...]:
        names = tuple(split_list(text))
        if not names:
            raise ValueError(f"{quoted(text)} names nothing; expected {self.what}")
        return names


class Workers(_Parsed):
    """``--workers 1,2,1000``: sorted, distinct worker counts of 1 or more."""

    name = "workers"
    what = "worker counts of 1 or more, comma-separated, like 1,2,8"

    def parse(self, text: str) -> tuple[int, ...]:
        items = split_list(text)
        if not items:
            raise ValueError(f"{quoted(text)} names no worker count; expected {self.what}")
        return tuple(sorted({whole_number(item, 1, self.what) for item in items}))


class Count(_Parsed):
    """A whole number from ``minimum`` to ``MOST_COUNT``, such as ``--tasks`` or ``--repeat``."""

    name = "count"

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def parse(self, text: str) -> int:
        return whole_number(text, self.minimum, f"a whole number from {self.minimum} to {MOST_COUNT:,}")


class Seconds(_Parsed):
    """A duration in seconds above 0 and at most a day, such as ``--timeout``."""

    name = "seconds"

    def parse(self, text: str) -> float:
        expected = f"seconds above 0 and at most {DAY_S:,.0f}, like 30"
        return _in_range(text, _number(text), lambda s: 0 < s <= DAY_S, expected)


class Size(_Parsed):
    """A size in memory above 0, such as ``--memory-budget 4GB`` (a bare number is megabytes); bytes."""

    name = "size"

    def parse(self, text: str) -> int:
        return parse_size(text)


class Share(_Parsed):
    """A relative precision: ``0.05`` or ``5%``, above 0 and below 1."""

    name = "share"

    def parse(self, text: str) -> float:
        shown = text.strip()
        value = _number(shown[:-1]) / 100 if shown.endswith("%") else _number(shown)
        return _in_range(shown, value, lambda v: 0 < v < 1, "a share above 0 and below 1, like 0.05 or 5%")


class Percent(_Parsed):
    """A percentage of 0 or more, such as ``--fail-slower 10``; a trailing ``%`` is allowed."""

    name = "percent"

    def parse(self, text: str) -> float:
        value = _number(text.strip().removesuffix("%"))
        return _in_range(text, value, lambda v: v >= 0, "a percentage of 0 or more, like 10")


class KeyValue(_Parsed):
    """``--param key=value``: the pair; the value stays text until a point checks it."""

    name = "key=value"

    def parse(self, text: str) -> tuple[str, str]:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{quoted(text)} is not accepted; expected key=value, like duration=0.5")
        return key.strip(), value.strip()


def params_given(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The ``--param`` pairs as one value per key: ``-p duration=0.01 -p duration=0.02`` sweeps
    ``duration=0.01,0.02``. Refused (``SpecError``) where a text parameter (``args``, ``inputs``,
    ``scheduler``: taken whole, commas and all) or an empty value (joined, it would vanish) repeats."""
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    # Asking every workload and strategy for its text parameters imports their modules:
    # once, and only where a key is repeated.
    text = _text_params() if any(len(values) > 1 for values in found.values()) else set()
    for key, values in found.items():
        if len(values) > 1 and key in text:
            raise SpecError(
                "--param",
                f"{quoted(key)} is given {len(values)} times; it is text, taken whole, so it takes one "
                f"value: expected {key}=... once",
            )
        if len(values) > 1 and "" in values:
            raise SpecError(
                "--param", f"{key}= has no value; expected a value each time it is given, like {key}=1"
            )
    return {key: ",".join(values) for key, values in found.items()}


def _text_params() -> set[str]:
    """The names of the text parameters any workload or strategy declares (commas are theirs)."""
    from threadlab.orchestrate import _strategies as strategy_registry
    from threadlab.worker import workloads as workload_registry
    from threadlab.worker.workloads._function import FunctionWorkload

    owners: list[Any] = [workload_registry.get(name) for name in workload_registry.names()]
    for name in strategy_registry.names():
        with contextlib.suppress(ImportError):  # a strategy whose module cannot load here declares nothing
            owners.append(strategy_registry.get(name))
    params = [*FunctionWorkload.params, *(param for owner in owners for param in owner.params)]
    return {param.name for param in params if param.kind == "text"}


class PointNumbers(_Parsed):
    """``--point 7,11``: point numbers, counted from 1 (the API checks they are points)."""

    name = "points"
    what = "point numbers, comma-separated, as threadlab show --format markdown numbers them"

    def parse(self, text: str) -> tuple[int, ...]:
        items = split_list(text)
        if not items:
            raise ValueError(f"{quoted(text)} names no point; expected {self.what}")
        numbers = []
        for item in items:
            try:
                numbers.append(int(item))
            except ValueError:
                raise ValueError(f"{quoted(item)} is not a whole number; expected {self.what}") from None
        return tuple(numbers)


class OneOf(click.Choice[str]):
    """``click.Choice``, refused in threadlab's words: the nearest choice named, where one is close."""

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        text = str(value)
        close = difflib.get_close_matches(text, self.choices, n=1, cutoff=0.5) if len(text) < 200 else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{quoted(text)} is not accepted; {hint}expected one of: {', '.join(map(str, self.choices))}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value.strip() if isinstance(value, str) else value, param, ctx)
        except click.BadParameter as error:
            raise Refused(error.message, ctx=ctx, param=param) from None


class JsonArgs(_Parsed):
    """``--args '[0.1, "x"]'``: the positional arguments of every call, a JSON list."""

    name = "json"

    def parse(self, text: str) -> tuple[Any, ...]:
        from threadlab.worker.workloads._function import parse_args

        return parse_args(text)
