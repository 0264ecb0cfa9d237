"""Parameters that workloads and strategies declare, and their parsing.

Shared by both sides: the orchestrator parses ``--param key=value`` with these
before any work starts, and the worker checks the values it receives again.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from threadlab.worker._text import quoted

ParamValue = Union[int, float, str, bool]

# The largest values the built-in parameters accept, shared by the workloads that declare them.
DAY_S = 86_400.0  # seconds: a task or a wait longer than a day is a typo, not a measurement
MOST_STEPS = 10**11  # loop steps: about an hour of pure-Python counting at 30 M steps a second
MOST_ROUNDS = 10**6  # rounds a task is split into
MOST_MB = 1024.0 * 1024  # megabytes: 1 TiB; the plan also refuses more than this machine has free

_TRUE = ("1", "true", "yes", "on")
# The word a number parameter may take (``words={AUTO: AUTO}``) where the strategy chooses the number.
AUTO = "auto"
_FALSE = ("0", "false", "no", "off")


class Param:
    """One parameter of a workload or strategy.

    Args:
        name: the key users pass as ``--param name=value``.
        kind: ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` or ``"text"``.
        default: the value used when the user gives none.
        help: what it means, with its unit.
        minimum: smallest accepted value for numbers (inclusive).
        maximum: largest accepted value for numbers (inclusive).
        positive: for numbers, whether the value must be above zero.
        choices: accepted values for ``"choice"``.
        held_mb: for numbers, the value is megabytes a worker holds in memory
            at once; the plan refuses more than this machine has available.
        words: names accepted for some values of a number, each taken as it
            stands, outside the range: ``{"auto": 0}`` (inner_threads), or
            ``{"auto": "auto"}`` where the strategy then chooses the number
            (``chunksize=auto``).

    Every number has a ``maximum``: a value past what the worker can do (a
    ``duration`` of 1e300 s, ``mb=1e12``) is refused in the plan, before any
    worker starts, not at run time.
    """

    __slots__ = (
        "choices",
        "default",
        "held_mb",
        "help",
        "kind",
        "maximum",
        "minimum",
        "name",
        "positive",
        "words",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        default: ParamValue,
        help: str,
        *,
        minimum: Optional[float] = None,
        maximum: Optional[float] = None,
        positive: bool = False,
        choices: Sequence[str] = (),
        held_mb: bool = False,
        words: Optional[Mapping[str, ParamValue]] = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.default = default
        self.help = help
        self.minimum = minimum
        self.maximum = maximum
        self.positive = positive
        self.choices = tuple(choices)
        self.held_mb = held_mb
        self.words: Dict[str, ParamValue] = dict(words or {})

    def accepted(self) -> str:
        """Say in words what values are accepted, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "text":
            return "text"
        if self.kind == "bool":
            return "true or false"
        noun = "a whole number" if self.kind == "int" else "a number"
        if self.words:
            return "{}, or {}".format(self._numbers(noun), " or ".join(self.words))
        return self._numbers(noun)

    def _numbers(self, noun: str) -> str:
        if self.minimum is not None and self.maximum is not None:
            return "{} from {} to {}".format(noun, _number(self.minimum), _number(self.maximum))
        if self.positive and self.maximum is not None:
            return "{} above 0, at most {}".format(noun, _number(self.maximum))
        if self.positive:
            return noun + " above 0"
        if self.minimum is not None:
            return "{} of {} or more".format(noun, _number(self.minimum))
        return noun

    def parse(self, text: str) -> ParamValue:
        """Turn the text of ``--param name=text`` into a value.

        Raises:
            ValueError: the text is not an accepted value; the message names
                the parameter, the value and what is accepted.
        """
        raw = text.strip()
        value: ParamValue
        if raw.lower() in self.words:
            value = self.words[raw.lower()]
        elif self.kind in ("choice", "text"):
            value = raw
        elif self.kind == "bool":
            if raw.lower() in _TRUE:
                value = True
            elif raw.lower() in _FALSE:
                value = False
            else:
                raise self._refuse(text)
        else:
            try:
                value = float(raw.replace("_", ""))  # an int's: check refuses a fraction, then makes it one
            except ValueError:
                raise self._refuse(text) from None
        return self.check(value, text)

    def check(self, value: Any, shown: Optional[str] = None) -> ParamValue:
        """Check a value that arrived already typed (from JSON or Python).

        Raises:
            ValueError: the value is not accepted.
        """
        if shown is None:
            shown = value if isinstance(value, str) else repr(value)
        if isinstance(value, str) and value.lower() in self.words:
            value = self.words[value.lower()]
        for word in self.words.values():
            if value == word and type(value) is type(word):
                return word  # a value the parameter names in words: taken as it stands
        if self.kind == "text":
            if not isinstance(value, str):
                raise self._refuse(shown)
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise self._refuse(shown)
            return str(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise self._refuse(shown)
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._refuse(shown)
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise self._refuse(shown)
            value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # a whole number past float's range, 10**400
                raise self._refuse(shown) from None
            if math.isnan(value) or math.isinf(value):
                raise self._refuse(shown)
        if self.positive and value <= 0:
            raise self._refuse(shown)
        if self.minimum is not None and value < self.minimum:
            raise self._refuse(shown)
        if self.maximum is not None and value > self.maximum:
            raise self._refuse(shown)
        number: ParamValue = value
        return number

    def _refuse(self, shown: str) -> ValueError:
        return ValueError(
            "{}={} is not accepted; expected {} ({})".format(
                self.name, quoted(shown), self.accepted(), self.help
            )
        )

    def __repr__(self) -> str:
        return "Param({!r}, default={!r})".format(self.name, self.default)


def _number(value: float) -> str:
    """``3600``, ``1048576``, ``0.5``: whole numbers in full, others as ``{:g}`` writes them."""
    return str(int(value)) if float(value).is_integer() else "{:g}".format(value)


def resolve(declared: Sequence[Param], given: Mapping[str, Any]) -> Dict[str, ParamValue]:
    """Fill in defaults and check every given value against ``declared``.

    Keys that ``declared`` does not name are ignored: the caller decides which
    parameters belong to which workload or strategy.

    Raises:
        ValueError: a value is not accepted.
    """
    return {p.name: p.check(given[p.name]) if p.name in given else p.default for p in declared}


def describe(declared: Sequence[Param]) -> Tuple[str, ...]:
    """One ``name=default (help)`` line per parameter, for listings."""
    return tuple("{}={} ({})".format(p.name, p.default, p.help) for p in declared)
