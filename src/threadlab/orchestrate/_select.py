"""Choosing Pythons: what ``--python`` and ``--gil`` accept, refused before any work starts.

::

    --python 3.12 | 3.13t | 3.12.1 | a path | a command on PATH | all   (comma-separated)
        │ a version or "all": every Python found here (_discover.discover)
        │ a path or a command: that one, probed (_discover.describe)
        ▼
    Selection: the interpreters to run, one per real path, and those left out with why
        │
    --gil on | off | default ──check_gil──► what each Python's points pass about the GIL
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from threadlab._errors import SpecError
from threadlab.model import GIL_MODES, FoundInterpreter, Gil
from threadlab.orchestrate._discover import describe, discover, this_interpreter
from threadlab.worker._text import quoted

_VERSION_WANTED = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(t?)$")


@dataclass(frozen=True, slots=True)
class Selection:
    """The interpreters chosen by ``--python``, and what was left out and why.

    Attributes:
        interpreters: the ones to run, in the order given (``all``: newest first).
        skipped: one line per interpreter left out, with the reason.
    """

    interpreters: tuple[FoundInterpreter, ...]
    skipped: tuple[str, ...] = ()

    @property
    def executables(self) -> tuple[str, ...]:
        return tuple(found.executable for found in self.interpreters)


def _named(found: FoundInterpreter) -> str:
    return f"Python {found.label()} ({found.executable})"


def _matches(found: FoundInterpreter, wanted: re.Match[str]) -> bool:
    major, minor, patch, t = wanted.groups()
    numbers = found.version_key
    if numbers[:2] != (int(major), int(minor)) or found.free_threaded != bool(t):
        return False
    return patch is None or numbers[2:3] == (int(patch),)


def _found_text(found: Sequence[FoundInterpreter]) -> str:
    usable = sorted({(f.version_key, f.label()) for f in found if f.can_host})
    return ", ".join(label for _, label in usable) if usable else "none"


def _given(value: str, option: str, *, use_cache: bool = True) -> FoundInterpreter:
    """The Python a path or a command on PATH names, probed; refused where it is not one."""
    path = value if (os.sep in value or os.path.exists(value)) else shutil.which(value)
    if path is None:
        raise SpecError(
            option,
            f"{quoted(value)} is not accepted; expected a version like 3.12 or 3.13t, a path to a Python, "
            "or all",
        )
    found = describe(os.path.abspath(path) if os.sep in path else path, use_cache=use_cache)
    if found.broken:
        raise SpecError(option, f"{quoted(value)} cannot be used: it {found.broken}")
    return found


def _one(value: str, option: str, discovered: Sequence[FoundInterpreter]) -> FoundInterpreter:
    wanted = _VERSION_WANTED.match(value)
    if wanted:
        named = [f for f in discovered if f.broken is None and _matches(f, wanted)]
        matching = [f for f in named if f.can_host]
        if named and not matching:
            newest = max(named, key=lambda f: f.version_key)
            raise SpecError(option, f"{quoted(value)} names {_named(newest)}: {newest.why_not()}")
        if not matching:
            how = f" (uv python install {value}, or pyenv install {value})"
            raise SpecError(
                option,
                f"{quoted(value)} matches no Python found here that can run threadlab's worker; "
                f"found: {_found_text(discovered)}; install one{how} or give its path",
            )
        return max(matching, key=lambda f: f.version_key)
    found = _given(value, option)
    if found.worker_problem:
        raise SpecError(option, f"{quoted(value)} cannot run threadlab's worker: {found.worker_problem}")
    return found


def select(values: Sequence[str], *, option: str = "python") -> Selection:
    """The interpreters that ``--python`` values name.

    Args:
        values: each ``3.12``, ``3.13t``, ``3.12.1``, a path, a command on
            PATH, or ``all`` (every Python found here that can run the worker;
            the others are listed in ``skipped``). Comma-separated lists are
            split. None given: this Python; given but empty: refused.
        option: the option named in errors.

    Raises:
        SpecError: a value names no usable Python; the message lists those found.
    """
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    if values and not items:  # given, but empty: a mistake, not a wish for the default
        raise SpecError(
            option,
            f"{quoted(','.join(values))} names no Python; expected a version like 3.12 or 3.13t, a path to a "
            "Python, or all",
        )
    if not items:
        return Selection((this_interpreter(),))
    needs_discovery = any(item == "all" or _VERSION_WANTED.match(item) for item in items)
    discovered = discover() if needs_discovery else []
    chosen: list[FoundInterpreter] = []
    skipped: list[str] = []
    for item in items:
        if item == "all":
            for found in discovered:
                if found.can_host:
                    chosen.append(found)
                else:
                    skipped.append(f"{_named(found)} skipped: {found.why_not()}")
        else:
            chosen.append(_one(item, option, discovered))
    unique: dict[str, FoundInterpreter] = {}
    for found in chosen:
        unique.setdefault(os.path.realpath(found.executable), found)
    if not unique:
        raise SpecError(option, f"no Python found here can run threadlab's worker; {'; '.join(skipped)}")
    return Selection(tuple(unique.values()), tuple(skipped))


def listed(values: Sequence[str], *, use_cache: bool = True) -> list[FoundInterpreter]:
    """What ``threadlab interpreters`` lists: every Python found here, or only those ``values`` name.

    Unlike ``select``, a version lists every Python of it, and a path one that
    cannot run the worker (the table says why).

    Raises:
        SpecError: a value names no Python found here, or a path that is not one.
    """
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    if not items:
        return discover(use_cache=use_cache)
    discovered = (
        discover(use_cache=use_cache) if any(i == "all" or _VERSION_WANTED.match(i) for i in items) else []
    )
    chosen: list[FoundInterpreter] = []
    for item in items:
        wanted = _VERSION_WANTED.match(item)
        if item == "all":
            chosen.extend(discovered)
        elif wanted:
            named = [f for f in discovered if f.broken is None and _matches(f, wanted)]
            if not named:
                raise SpecError(
                    "python", f"{quoted(item)} matches no Python found here; found: {_found_text(discovered)}"
                )
            chosen.extend(named)
        else:
            chosen.append(_given(item, "python", use_cache=use_cache))
    unique: dict[str, FoundInterpreter] = {}
    for found in chosen:
        unique.setdefault(os.path.realpath(found.executable), found)
    return list(unique.values())


def parse_gil(text: str, option: str = "gil") -> Gil:
    """``on``, ``off`` or ``default``.

    Raises:
        SpecError: anything else.
    """
    value = text.strip().lower()
    for choice in GIL_MODES:
        if value == choice:
            return choice
    raise SpecError(option, f"{quoted(text)} is not accepted; expected on, off or default")


def where_is(found: FoundInterpreter) -> str:
    """``here`` for the Python running threadlab, else ``on Python 3.12.1``."""
    return "here" if found.source == "this" else f"on Python {found.label()}"


def check_gil(hosts: Sequence[FoundInterpreter], gil: Gil, notes: list[str]) -> list[Gil]:
    """What each Python's points pass about the GIL: ``gil`` to free-threaded builds only.

    ``--gil off`` leaves a GIL build among free-threaded ones with its GIL, and says so in ``notes``.

    Raises:
        SpecError: ``--gil off`` and none of ``hosts`` is a free-threaded build.
    """
    if gil == "off" and not any(found.free_threaded for found in hosts):
        built = ", ".join("this Python" if found.source == "this" else _named(found) for found in hosts)
        raise SpecError(
            "gil",
            f"'off' needs a free-threaded build (3.13t, 3.14t); {built} "
            f"{'is' if len(hosts) == 1 else 'are'} built with the GIL",
        )
    if gil == "off":
        for found in hosts:
            if not found.free_threaded:
                notes.append(f"GIL off: Python {found.label()} is built with the GIL and keeps it")
    return [gil if found.free_threaded else "default" for found in hosts]
