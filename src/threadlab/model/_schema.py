"""The model is the schema: each field declared once, by its annotation, and checked from it.

A field of a model dataclass says what it holds in its type, and its range
in ``Range`` beside it::

    wall_s: Annotated[float, Range(MIN_WALL_S)]
    cpu_user_s: Annotated[float | None, Range(0)] = None

Each dataclass calls ``check_fields`` when built (``Checked`` does), then
checks what relates one field to another; the results-file reader (``_json``)
builds the dataclasses, so runs the same checks, and puts where a refused
field is in the file before its name:
``points[3].samples[0].wall_s: expected a number from 1e-09 to 1e+10, found Infinity``.

The worker names the wire's keys (``threadlab.worker._schema``), pinned to
these dataclasses' fields by a test.

Why not msgspec: ``benchmarks/bench_load.py`` loads a 200-point results file
(745 KB) in 54 ms of CPU through this reader (55 ms through the hand-written
one it replaces) and decodes it in 2.4 ms into msgspec ``Struct``s of the same
fields, on a shared 2-core machine. 50 ms is not seen beside a run that
measures for 40 s, or beside ``report``'s import of matplotlib; Structs would
replace the frozen slotted dataclasses the rest of threadlab builds and
``dataclasses.replace``-s, bring a compiled dependency, and word their
refusals in their own way (the CLI prints them, tests pin them).

Adding a field: a field with a default and its annotation (older files load
it as its default), its name in the lists ``_json`` and ``worker._schema`` keep
of what is written, and a line in the schema history (``_data.SCHEMA_VERSION``).
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

# Seconds, shares and sizes above these are no measurement (1e10 s is 300 years; started_at,
# seconds since 1970, is 1.8e9 now): refused, so that sums and ratios of them stay finite.
MAX_SECONDS = 1e10
# Counts and sizes are whole numbers up to the largest a float holds exactly (the analysis
# divides them as floats).
MAX_COUNT = 2**53


class FieldError(ValueError):
    """A field's value is not what its annotation declares.

    Attributes:
        path: the field, and where in it: ``wall_s``, ``spans.start_s[3]``.
        expected: what the annotation accepts, in words.
        value: what was found.
    """

    def __init__(self, path: str, expected: str, value: Any) -> None:
        super().__init__(f"{path}: expected {expected}, found {found(value)}")
        self.path = path
        self.expected = expected
        self.value = value

    def within(self, where: str) -> FieldError:
        """The same refusal, ``where`` (a field holding this one, a place in a file) before its path."""
        return FieldError(f"{where}.{self.path}" if where else self.path, self.expected, self.value)


def cut(text: str, most: int = 80) -> str:
    """``text``, cut to ``most`` characters with an ellipsis."""
    return text if len(text) <= most else text[: most - 1] + "…"


def found(value: Any) -> str:
    """A value, as a refusal shows it (JSON's words, cut short)."""
    if isinstance(value, Mapping) or (is_dataclass(value) and not isinstance(value, type)):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return f"a whole number of {value.bit_length()} bits"
    if value is None or isinstance(value, (bool, int, float)):
        return cut(json.dumps(value))
    return cut(repr(value))


@dataclass(frozen=True, slots=True)
class Range:
    """The bounds of a number field (or of each number of a column), beside its type.

    Attributes:
        low: the lowest value accepted.
        high: the highest; None: ``MAX_SECONDS`` for a float, ``MAX_COUNT`` for an int.
        above: both bounds excluded (``precision`` is above 0 and below 1).
    """

    low: float
    high: float | None = None
    above: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    """What one value must be: a test, the words that say it, and, for a whole column of such
    values, the same test in C (None: value by value).

    A field's ``Annotated`` metadata may be a ``Check`` where its type alone
    does not say enough (a workload's parameters).
    """

    expected: str
    accepts: Callable[[Any], bool]
    all_accepted: Callable[[list[Any] | tuple[Any, ...]], bool] | None = None
    item: Check | None = None  # a column's: what each of its values must be

    def __call__(self, value: Any, path: str) -> None:
        if not self.accepts(value):
            raise FieldError(path, self.expected, value)


def _is_text(value: Any) -> bool:
    # A lone surrogate ("\ud800" in the JSON) is no text: printing it would fail.
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _types(values: list[Any] | tuple[Any, ...]) -> set[type]:
    return set(map(type, values))


def _all_text(values: list[Any] | tuple[Any, ...]) -> bool:
    return _types(values) <= {str} and _is_text("".join(values))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(bounds: Range) -> Check:
    """A finite number (int or float, not a bool) within ``bounds``."""
    low, high = bounds.low, MAX_SECONDS if bounds.high is None else bounds.high
    if bounds.above:
        return Check(f"a number above {low:g} and below {high:g}", lambda v: _is_number(v) and low < v < high)

    def all_accepted(values: list[Any] | tuple[Any, ...]) -> bool:
        if not values:
            return True
        if not _types(values) <= {int, float}:
            return False
        try:
            finite = all(map(math.isfinite, values))
        except OverflowError:  # a whole number too large for a float
            return False
        return finite and low <= min(values) and max(values) <= high

    # Comparisons with finite bounds refuse NaN and the infinities, and whole numbers of any size.
    return Check(
        f"a number from {low:g} to {high:g}", lambda v: _is_number(v) and low <= v <= high, all_accepted
    )


def _whole(bounds: Range) -> Check:
    """A whole number (not a float, not a bool) within ``bounds``."""
    low, high = int(bounds.low), MAX_COUNT if bounds.high is None else int(bounds.high)
    shown = "2**53" if high == MAX_COUNT else str(high)

    def accepts(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high

    return Check(
        f"a whole number from {low} to {shown}",
        accepts,
        lambda vs: not vs or (_types(vs) <= {int} and low <= min(vs) and max(vs) <= high),
    )


TEXT = Check("a string", _is_text, _all_text)
FLAG = Check("true or false", lambda v: isinstance(v, bool), lambda vs: _types(vs) <= {bool})


def _nullable(item: Check) -> Check:
    quick = item.all_accepted
    expected = "true, false or null" if item is FLAG else f"{item.expected}, or null"
    return Check(
        expected,
        lambda v: v is None or item.accepts(v),
        None if quick is None else lambda vs: quick([v for v in vs if v is not None]),
    )


def _column(item: Check) -> Check:
    """A list (a tuple, once built) of values each accepted by ``item``; the failing one named."""
    expected = f"a list of: {item.expected}"

    def accepts(values: Any) -> bool:
        if not isinstance(values, (list, tuple)):
            return False
        return (item.all_accepted is not None and item.all_accepted(values)) or all(map(item.accepts, values))

    return Check(expected, accepts, item=item)


def one_of(options: tuple[str, ...]) -> Check:
    """One of ``options``, strings."""
    return Check(f"one of {', '.join(options)}", lambda v: isinstance(v, str) and v in options)


def mapping(expected: str, value: Check) -> Check:
    """An object of names (strings) to values each accepted by ``value``."""

    def accepts(data: Any) -> bool:
        return isinstance(data, Mapping) and all(_is_text(k) and value.accepts(v) for k, v in data.items())

    return Check(expected, accepts, item=value)


# A workload's or strategy's parameters (``threadlab.worker._params.ParamValue``).
PARAMS = mapping(
    "an object of parameters",
    Check(
        "a finite number, a string, true or false",
        lambda v: isinstance(v, (bool, int)) or _is_text(v) or (isinstance(v, float) and math.isfinite(v)),
    ),
)


def compile_check(hint: Any, bounds: Range | None = None) -> Check:
    """The check a field's annotation declares (``Annotated`` metadata: a ``Range`` or a ``Check``)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        for meta in hint.__metadata__:
            if isinstance(meta, Check):
                return meta
        ranges = [meta for meta in hint.__metadata__ if isinstance(meta, Range)]
        return compile_check(args[0], ranges[0] if ranges else bounds)
    if origin in (Union, types.UnionType) and type(None) in args:
        (rest,) = (arg for arg in args if arg is not type(None))  # X | None: one type, or null
        return _nullable(compile_check(rest, bounds))
    if origin is Literal:
        return one_of(args)
    if origin is tuple:
        item = compile_check(args[0], bounds)
        if len(args) == 2 and args[1] is Ellipsis:
            return _column(item)
        return Check(
            f"a list of two, each {item.expected}",
            lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(map(item.accepts, v)),
        )
    if origin in (Mapping, dict):
        value = compile_check(args[1], bounds)
        return mapping(f"an object of names to: {value.expected}", value)
    if hint is bool:
        return FLAG
    if hint is str:
        return TEXT
    if hint in (int, float):
        if bounds is None:
            raise TypeError(f"a number field needs a Range beside its type: {hint}")
        return _whole(bounds) if hint is int else _number(bounds)
    if isinstance(hint, type) and is_dataclass(hint):
        return Check("an object", lambda v: isinstance(v, hint))
    raise TypeError(f"no check for {hint!r}: annotate the field with a Check")


_COMPILED: dict[type, tuple[tuple[str, Check], ...]] = {}


def check_fields(obj: Any) -> None:
    """Check every field of dataclass ``obj`` against its annotation (compiled once per class).

    Raises:
        FieldError: the first field whose value is refused, named with the
            first value refused in a column (``start_s[3]``).
    """
    cls = type(obj)
    compiled = _COMPILED.get(cls)
    if compiled is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        compiled = _COMPILED[cls] = tuple((f.name, compile_check(hints[f.name])) for f in fields(cls))
    for name, check in compiled:
        value = getattr(obj, name)
        if not check.accepts(value):
            if check.item is not None and isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    check.item(item, f"{name}[{index}]")
            if check.item is not None and isinstance(value, Mapping):
                for key, item in value.items():
                    check.item(item, f"{name}.{cut(str(key), 40)}")
            raise FieldError(name, check.expected, value)


class Checked:
    """A model dataclass whose fields are checked when it is built (``check_fields``).

    One that also checks what relates one field to another defines its own
    ``__post_init__``, calling ``check_fields`` first.
    """

    __slots__ = ()

    def __post_init__(self) -> None:
        check_fields(self)
