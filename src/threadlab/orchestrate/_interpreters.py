"""Finding the Pythons of this machine, what each one is, and choosing among them.

::

    candidates: --python paths, python3.X on PATH, pyenv versions, uv-managed Pythons
        │ one per real path (a symlink and its target are one Python)
        ▼
    cache: <cache dir>/interpreters.json, keyed by real path, mtime and size,
        │  dropped whole when threadlab's own code changes
        ▼ misses, probed in parallel
    [python, -c PROBE] with threadlab's source on PYTHONPATH, under a timeout
        │ one JSON line: version, implementation, free-threaded build, GIL at
        │ run time, subinterpreters, whether threadlab's worker imports there,
        │ and which strategies it can run
        ▼
    FoundInterpreter per candidate; one that does not answer is listed as
    broken, with the reason, never raised

``select`` turns what the user typed after ``--python`` (``3.12``, ``3.13t``,
a path, ``all``) into the interpreters to run, refusing what it cannot use
before any work starts.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadlab._errors import SpecError
from threadlab._model import GIL_MODES, Gil

# A probe takes ~50 ms (a Python start and threadlab's worker imports); ten
# seconds is for a loaded machine or a slow network file system, not a hang.
PROBE_TIMEOUT_S = 10.0
_CACHE_VERSION = 1

# Stdlib only, and Python 2.7 syntax, so that any Python answers with what
# it is: even one too old for threadlab is listed with its version.
PROBE = r"""
import json, platform, sys, sysconfig
info = {
    "version": platform.python_version(),
    "implementation": platform.python_implementation(),
    "executable": sys.executable,
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "unavailable": {},
    "worker_problem": None,
}
gil = getattr(sys, "_is_gil_enabled", None)
info["gil_enabled"] = bool(gil()) if gil is not None else True
info["subinterpreters"] = False
if sys.version_info >= (3, 12):
    for name in ("concurrent.interpreters", "_interpreters", "_xxsubinterpreters"):
        try:
            __import__(name)
        except ImportError:
            continue
        info["subinterpreters"] = True
        break
if sys.version_info < (3, 9):
    info["worker_problem"] = "threadlab's worker needs Python 3.9 or later"
else:
    try:
        import threadlab.worker._protocol
        from threadlab.worker import strategies
    except Exception as error:
        info["worker_problem"] = "import threadlab.worker._protocol failed: %s: %s" % (
            type(error).__name__, error)
    else:
        for name in strategies.names():
            try:
                reason = strategies.get(name).unavailable_reason()
            except Exception as error:
                reason = "cannot load it: %s: %s" % (type(error).__name__, error)
            if reason:
                info["unavailable"][name] = reason
sys.stdout.write("\n" + json.dumps(info) + "\n")
"""

_VERSION_WANTED = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(t?)$")
_VERSIONED_NAME = re.compile(r"^python(\d+)\.(\d+)(t?)$")


@dataclass(frozen=True, slots=True)
class FoundInterpreter:
    """A Python found on this machine (or given), and what its probe answered.

    Attributes:
        executable: the path to run, as found or given.
        source: where it was found: ``given``, ``PATH``, ``pyenv``, ``uv`` or ``this``.
        version: e.g. ``"3.13.0"``; empty when the probe failed.
        implementation: e.g. ``"CPython"``.
        free_threaded: built with ``Py_GIL_DISABLED`` (3.13t, 3.14t).
        gil_enabled: whether the GIL is on at run time by default.
        subinterpreters: whether it has subinterpreters with their own GIL (3.12+).
        unavailable: strategies threadlab's worker cannot run there, with why.
        worker_problem: why threadlab's worker cannot run there; None if it can.
        broken: why the probe failed (not a Python, crashed, timed out); None if it answered.
    """

    executable: str
    source: str
    version: str = ""
    implementation: str = ""
    free_threaded: bool = False
    gil_enabled: bool = True
    subinterpreters: bool = False
    unavailable: Mapping[str, str] = field(default_factory=dict)
    worker_problem: str | None = None
    broken: str | None = None

    @property
    def can_host(self) -> bool:
        """Whether threadlab's worker runs there."""
        return self.broken is None and self.worker_problem is None

    @property
    def version_key(self) -> tuple[int, ...]:
        """The version as numbers, for sorting: ``(3, 13, 0)``; ``()`` when unknown."""
        numbers = re.findall(r"\d+", self.version)
        return tuple(int(n) for n in numbers[:3])

    def label(self) -> str:
        """``3.13.0``, ``3.14.0t``; the path where the version is unknown."""
        if not self.version:
            return self.executable
        return self.version + ("t" if self.free_threaded else "")

    def why_not(self) -> str | None:
        """Why the worker cannot run there, in one line; None if it can."""
        return self.broken or self.worker_problem


def this_interpreter() -> FoundInterpreter:
    """The Python running threadlab, described from the inside (no probe)."""
    import platform

    from threadlab.worker import strategies

    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    unavailable = {}
    for name in strategies.names():
        reason = strategies.get(name).unavailable_reason()
        if reason:
            unavailable[name] = reason
    return FoundInterpreter(
        executable=sys.executable,
        source="this",
        version=platform.python_version(),
        implementation=platform.python_implementation(),
        free_threaded=bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        gil_enabled=bool(is_gil_enabled()) if is_gil_enabled is not None else True,
        subinterpreters="interpreters" not in unavailable,
        unavailable=unavailable,
    )


# ── where Pythons are ─────────────────────────────────────────────────────────


def _is_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _on_path() -> list[str]:
    """``python3.X`` and ``python3.Xt`` in every PATH directory, shims left out.

    A version manager's shims (pyenv, asdf) are scripts that pick a Python
    by directory and environment; the versions behind them are found where
    they are installed instead.
    """
    found = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or Path(directory).name == "shims":
            continue
        with contextlib.suppress(OSError):
            for entry in sorted(os.listdir(directory)):
                if _VERSIONED_NAME.match(entry) and _is_file(os.path.join(directory, entry)):
                    found.append(os.path.join(directory, entry))
    return found


def _pyenv() -> list[str]:
    """``$PYENV_ROOT/versions/*/bin/python`` (or its one ``python3.X[t]`` where there is no ``python``)."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = []
    for version in sorted(glob.glob(os.path.join(root, "versions", "*"))):
        plain = os.path.join(version, "bin", "python")
        if _is_file(plain):
            found.append(plain)
            continue
        found.extend(_versioned_in(os.path.join(version, "bin"))[:1])
    return found


def _uv() -> list[str]:
    """Pythons installed by ``uv python install``: ``<uv dir>/*/bin/python3.X[t]``."""
    root = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "uv", "python"
    )
    found = []
    for install in sorted(glob.glob(os.path.join(root, "*"))):
        found.extend(_versioned_in(os.path.join(install, "bin"))[:1])
    return found


def _versioned_in(directory: str) -> list[str]:
    with contextlib.suppress(OSError):
        return [
            os.path.join(directory, entry)
            for entry in sorted(os.listdir(directory))
            if _VERSIONED_NAME.match(entry) and _is_file(os.path.join(directory, entry))
        ]
    return []


def candidates(given: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Every Python to probe, as (path, source), one per real path, given ones first."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    groups: list[tuple[str, Iterable[str]]] = [
        ("given", [os.path.abspath(p) for p in given]),
        ("PATH", _on_path()),
        ("pyenv", _pyenv()),
        ("uv", _uv()),
    ]
    for source, paths in groups:
        for path in paths:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                found.append((path, source))
    return found


# ── probing, with a cache ─────────────────────────────────────────────────────


def cache_file() -> Path:
    """``$THREADLAB_CACHE_DIR/interpreters.json``, else under the user cache directory."""
    root = os.environ.get("THREADLAB_CACHE_DIR")
    if root:
        return Path(root) / "interpreters.json"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "threadlab" / "interpreters.json"


def _source_dir() -> Path:
    import threadlab

    return Path(threadlab.__file__).resolve().parent


def _fingerprint() -> str:
    """Changes whenever threadlab's own code changes: what a probe says of its worker depends on it."""
    digest = hashlib.sha256(PROBE.encode())
    root = _source_dir()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()


def _stamp(path: str) -> tuple[str, int, int] | None:
    """Real path, modification time and size: what a cached answer is valid for."""
    try:
        real = os.path.realpath(path)
        stat = os.stat(real)
    except OSError:
        return None
    return real, stat.st_mtime_ns, stat.st_size


def probe_env() -> dict[str, str]:
    """The environment a probe runs in: the worker's, with the build's own GIL default."""
    from threadlab.orchestrate._runner import worker_env

    return worker_env("default")


def probe(executable: str, *, timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Run the probe under ``executable``; its answer, or ``{"broken": reason}``."""
    try:
        finished = subprocess.run(
            [executable, "-c", PROBE],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=probe_env(),
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"broken": f"did not answer within {timeout_s:g} s", "transient": True}
    except OSError as error:
        return {"broken": f"cannot be run: {error.strerror or error}"}
    stdout = finished.stdout.decode("utf-8", "replace").strip()
    if finished.returncode != 0:
        stderr = finished.stderr.decode("utf-8", "replace").strip().splitlines()
        last = stderr[-1] if stderr else "no message"
        return {"broken": f"exited with code {finished.returncode}: {last}"}
    try:
        answer = json.loads(stdout.splitlines()[-1])
        if not isinstance(answer, dict) or "version" not in answer:
            raise ValueError("not a probe answer")
    except (ValueError, IndexError):
        return {"broken": f"did not answer the probe (it wrote {stdout[:120]!r})"}
    return answer


def _read_cache(path: Path, fingerprint: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return {}
    if data.get("fingerprint") != fingerprint or not isinstance(data.get("entries"), dict):
        return {}
    entries: dict[str, Any] = data["entries"]
    return entries


def _write_cache(path: Path, fingerprint: str, entries: Mapping[str, Any]) -> None:
    """Write the cache atomically; a cache that cannot be written only costs the next probe."""
    content = json.dumps(
        {"version": _CACHE_VERSION, "fingerprint": fingerprint, "entries": entries}, indent=1, sort_keys=True
    )
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".interpreters.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise


def _found(path: str, source: str, answer: Mapping[str, Any]) -> FoundInterpreter:
    if "broken" in answer:
        return FoundInterpreter(path, source, broken=str(answer["broken"]))
    return FoundInterpreter(
        executable=path,
        source=source,
        version=str(answer.get("version", "")),
        implementation=str(answer.get("implementation", "")),
        free_threaded=bool(answer.get("free_threaded", False)),
        gil_enabled=bool(answer.get("gil_enabled", True)),
        subinterpreters=bool(answer.get("subinterpreters", False)),
        unavailable=dict(answer.get("unavailable") or {}),
        worker_problem=answer.get("worker_problem"),
    )


def describe_all(
    paths: Sequence[tuple[str, str]], *, use_cache: bool = True, timeout_s: float = PROBE_TIMEOUT_S
) -> list[FoundInterpreter]:
    """Probe each (path, source), in parallel, answering from the cache where it is valid."""
    cache = cache_file()
    fingerprint = _fingerprint()
    entries = _read_cache(cache, fingerprint) if use_cache else {}
    answers: dict[str, Mapping[str, Any]] = {}
    todo: list[tuple[str, tuple[str, int, int]]] = []
    for path, _ in paths:
        stamp = _stamp(path)
        if stamp is None:
            answers[path] = {"broken": "no such file"}
            continue
        entry = entries.get(stamp[0])
        if isinstance(entry, dict) and [entry.get("mtime_ns"), entry.get("size")] == list(stamp[1:]):
            answers[path] = entry["answer"]
        else:
            todo.append((path, stamp))
    if todo:
        with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
            probed = list(pool.map(lambda item: probe(item[0], timeout_s=timeout_s), todo))
        for (path, (real, mtime_ns, size)), answer in zip(todo, probed, strict=True):
            answers[path] = answer
            if not answer.get("transient"):  # a timeout may pass: probe again next time
                entries[real] = {"mtime_ns": mtime_ns, "size": size, "answer": answer}
        _write_cache(cache, fingerprint, entries)
    return [_found(path, source, answers[path]) for path, source in paths]


def discover(
    given: Sequence[str] = (), *, use_cache: bool = True, timeout_s: float = PROBE_TIMEOUT_S
) -> list[FoundInterpreter]:
    """Every Python found here and given, probed; newest first, broken ones last."""
    found = describe_all(candidates(given), use_cache=use_cache, timeout_s=timeout_s)
    return sorted(found, key=lambda f: (f.broken is not None, [-n for n in f.version_key], f.free_threaded))


def describe(executable: str) -> FoundInterpreter:
    """One Python, probed (or from the cache); the running one is described from the inside."""
    if executable == sys.executable:
        return this_interpreter()
    (found,) = describe_all([(executable, "given")])
    return found


# ── choosing: what --python and --gil accept ──────────────────────────────────


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
        """The executables to run, in order."""
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


def _one(value: str, option: str, discovered: Sequence[FoundInterpreter]) -> FoundInterpreter:
    wanted = _VERSION_WANTED.match(value)
    if wanted:
        named = [f for f in discovered if f.broken is None and _matches(f, wanted)]
        matching = [f for f in named if f.can_host]
        if named and not matching:
            newest = max(named, key=lambda f: f.version_key)
            raise SpecError(option, f"{value!r} names {_named(newest)}: {newest.why_not()}")
        if not matching:
            how = f" (uv python install {value}, or pyenv install {value})"
            raise SpecError(
                option,
                f"{value!r} matches no Python found here that can run threadlab's worker; "
                f"found: {_found_text(discovered)}; install one{how} or give its path",
            )
        return max(matching, key=lambda f: f.version_key)
    path = value if (os.sep in value or os.path.exists(value)) else shutil.which(value)
    if path is None:
        raise SpecError(
            option,
            f"{value!r} is not accepted; expected a version like 3.12 or 3.13t, a path to a Python, or all",
        )
    found = describe(os.path.abspath(path) if os.sep in path else path)
    if found.broken:
        raise SpecError(option, f"{value!r} cannot be used: it {found.broken}")
    if found.worker_problem:
        raise SpecError(option, f"{value!r} cannot run threadlab's worker: {found.worker_problem}")
    return found


def select(values: Sequence[str], *, option: str = "--python") -> Selection:
    """The interpreters that ``--python`` values name.

    Args:
        values: each ``3.12``, ``3.13t``, ``3.12.1``, a path, a command on
            PATH, or ``all`` (every Python found here that can run the worker;
            the others are listed in ``skipped``). Comma-separated lists are
            split. Empty: this Python.
        option: the option named in errors.

    Raises:
        SpecError: a value names no usable Python; the message lists those found.
    """
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
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


def parse_gil(text: str, option: str = "--gil") -> Gil:
    """``on``, ``off`` or ``default``.

    Raises:
        SpecError: anything else.
    """
    value = text.strip().lower()
    for choice in GIL_MODES:
        if value == choice:
            return choice
    raise SpecError(option, f"{text!r} is not accepted; expected on, off or default")


def where_is(found: FoundInterpreter) -> str:
    """``here`` for the Python running threadlab, else ``on Python 3.12.1``."""
    return "here" if found.source == "this" else f"on Python {found.label()}"


def check_gil(hosts: Sequence[FoundInterpreter], gil: Gil, notes: list[str]) -> list[Gil]:
    """What each Python's points pass about the GIL: ``gil`` to free-threaded builds only.

    ``--gil off`` leaves a GIL build among free-threaded ones with its GIL
    (a line in ``notes`` says so); with no free-threaded build at all it is
    refused.

    Raises:
        SpecError: ``--gil off`` and none of ``hosts`` is a free-threaded build.
    """
    if gil == "off" and not any(found.free_threaded for found in hosts):
        built = ", ".join(
            "this Python" if found.source == "this" else f"Python {found.label()} ({found.executable})"
            for found in hosts
        )
        raise SpecError(
            "--gil",
            f"'off' needs a free-threaded build (3.13t, 3.14t); {built} "
            f"{'is' if len(hosts) == 1 else 'are'} built with the GIL",
        )
    if gil == "off":
        for found in hosts:
            if not found.free_threaded:
                notes.append(f"--gil off: Python {found.label()} is built with the GIL and keeps it")
    return [gil if found.free_threaded else "default" for found in hosts]


def gil_args(gil: str) -> list[str]:
    """The interpreter options that set the GIL: ``-X gil=0`` / ``-X gil=1``, or none."""
    if gil == "off":
        return ["-X", "gil=0"]
    if gil == "on":
        return ["-X", "gil=1"]
    return []


def gil_env(env: Mapping[str, str], gil: str) -> dict[str, str]:
    """``env`` with ``PYTHON_GIL`` set for ``on``/``off``, and removed for ``default``.

    Removed, because ``PYTHON_GIL=0`` left in the environment makes a GIL
    build (3.13) refuse to start, and would turn a free-threaded build's
    default into something else than what the results file says.
    """
    found = {key: value for key, value in env.items() if key != "PYTHON_GIL"}
    if gil in ("on", "off"):
        found["PYTHON_GIL"] = "1" if gil == "on" else "0"
    return found


def newest_per_minor(found: Sequence[FoundInterpreter], most: int) -> list[FoundInterpreter]:
    """At most ``most`` interpreters that can run the worker: the newest of each minor
    version, free-threaded builds first, then newest versions first."""
    best: dict[tuple[tuple[int, ...], bool], FoundInterpreter] = {}
    for interpreter in found:
        if not interpreter.can_host:
            continue
        key = (interpreter.version_key[:2], interpreter.free_threaded)
        if key not in best or interpreter.version_key > best[key].version_key:
            best[key] = interpreter
    ordered = sorted(best.values(), key=lambda f: (not f.free_threaded, [-n for n in f.version_key]))
    return ordered[:most]
