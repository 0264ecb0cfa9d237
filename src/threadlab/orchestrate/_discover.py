"""Finding the Pythons of this machine and what each one is: discovery, probing, a cache.

::

    candidates: --python paths, python3.X on PATH, pyenv versions, uv-managed Pythons,
        │       builds in threadlab's own cache (scripts/free-threaded-python.sh)
        │ one per real path (a symlink and its target are one Python)
        ▼
    cache: <cache dir>/interpreters.json, keyed by real path, mtime and size,
        │  dropped whole when threadlab's own code changes
        ▼ misses, probed in parallel
    [python, -c PROBE, every strategy and its module] with threadlab's source on
        │ PYTHONPATH, under a timeout
        │ one JSON line: version, implementation, free-threaded build, GIL at
        │ run time, subinterpreters, whether threadlab's worker imports there,
        │ and which strategies it can run (the orchestrator's registry: dask too)
        ▼
    FoundInterpreter (threadlab.model) per candidate; one that does not answer
    is listed as broken, with the reason, never raised

Choosing among them (``--python``, ``--gil``) is ``_select``'s job; how a
worker is started under one of them is ``_launch``'s.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from threadlab.model import FoundInterpreter
from threadlab.orchestrate import _strategies
from threadlab.orchestrate._launch import end_group, source_dir, worker_env
from threadlab.orchestrate._store import write_atomically

# A probe takes ~50 ms (a Python start and threadlab's worker imports); ten
# seconds is for a loaded machine or a slow network file system, not a hang.
PROBE_TIMEOUT_S = 10.0
# A Python that did not answer is not written to the cache (it may answer later), but one
# command asks about it several times (choosing Pythons, planning, the tour's list): each
# would wait the whole timeout again, and the user would see "within 10 s" after 30. So
# this process remembers such an answer this long.
_TIMED_OUT_KEPT_S = 120.0
_timed_out: dict[tuple[str, int, int], tuple[float, dict[str, Any]]] = {}
_CACHE_VERSION = 1

# Stdlib only, and Python 2.7 syntax, so that any Python answers with what
# it is: even one too old for threadlab is listed with its version. Its one
# argument is the orchestrator's registry as JSON, [[name, module or null], ...]:
# the worker's own registry does not know the strategies that live outside it.
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
        for name, module in json.loads(sys.argv[1]):
            try:
                reason = strategies.get(name, module).unavailable_reason()
            except Exception as error:
                reason = "cannot load it: %s: %s" % (type(error).__name__, error)
            if reason:
                info["unavailable"][name] = reason
sys.stdout.write("\n" + json.dumps(info) + "\n")
"""

_VERSIONED_NAME = re.compile(r"^python(\d+)\.(\d+)(t?)$")


def this_interpreter() -> FoundInterpreter:
    """The Python running threadlab, described from the inside (no probe)."""
    import platform

    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    unavailable = {}
    for name in _strategies.names():
        try:
            reason = _strategies.get(name).unavailable_reason()
        except (ImportError, KeyError) as error:  # as the probe says it: one that cannot load hides no other
            reason = f"cannot load it: {type(error).__name__}: {error}"
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
    directories = os.environ.get("PATH", "").split(os.pathsep)
    return [path for d in directories if d and Path(d).name != "shims" for path in _versioned_in(d)]


def _pyenv() -> list[str]:
    """``$PYENV_ROOT/versions/*/bin/python`` (or its one ``python3.X[t]`` where there is no ``python``)."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = []
    for version in sorted(glob.glob(os.path.join(root, "versions", "*"))):
        plain = os.path.join(version, "bin", "python")
        found.extend([plain] if _is_file(plain) else _versioned_in(os.path.join(version, "bin"))[:1])
    return found


def _uv() -> list[str]:
    """Pythons installed by ``uv python install``: ``<uv dir>/*/bin/python3.X[t]``."""
    root = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "uv", "python"
    )
    installs = sorted(glob.glob(os.path.join(root, "*")))
    return [p for install in installs for p in _versioned_in(os.path.join(install, "bin"))[:1]]


def pythons_dir() -> Path:
    """Where ``scripts/free-threaded-python.sh`` installs its builds: one ``<version>t/`` each.

    ``$THREADLAB_PYTHONS_DIR``, else ``<user cache>/threadlab/pythons``. Apart from the probe
    cache (``THREADLAB_CACHE_DIR``), which tests point at a temporary directory: a build that
    took minutes is still found there.
    """
    root = os.environ.get("THREADLAB_PYTHONS_DIR")
    return Path(root) if root else _user_cache() / "pythons"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "threadlab"


def _built_here() -> list[str]:
    """Pythons built into :func:`pythons_dir`: ``<dir>/*/bin/python3.X[t]``, newest name first."""
    installs = sorted(glob.glob(os.path.join(pythons_dir(), "*")))
    return [p for install in installs for p in _versioned_in(os.path.join(install, "bin"))[-1:]]


def _versioned_in(directory: str) -> list[str]:
    with contextlib.suppress(OSError):
        return [
            os.path.join(directory, entry)
            for entry in sorted(os.listdir(directory))
            if _VERSIONED_NAME.match(entry) and _is_file(os.path.join(directory, entry))
        ]
    return []


def candidates() -> list[tuple[str, str]]:
    """Every Python to probe, as (path, source), one per real path."""
    found: dict[str, tuple[str, str]] = {}
    groups: list[tuple[str, Iterable[str]]] = [
        ("PATH", _on_path()),
        ("pyenv", _pyenv()),
        ("uv", _uv()),
        ("threadlab", _built_here()),
    ]
    for source, paths in groups:
        for path in paths:
            found.setdefault(os.path.realpath(path), (path, source))
    return list(found.values())


# ── probing, with a cache ─────────────────────────────────────────────────────


def cache_file() -> Path:
    """``$THREADLAB_CACHE_DIR/interpreters.json``, else under the user cache directory."""
    root = os.environ.get("THREADLAB_CACHE_DIR")
    return (Path(root) if root else _user_cache()) / "interpreters.json"


def _homes() -> str:
    """The probe's argument: every strategy with its module (null: the worker's own), as JSON."""
    return json.dumps([[name, _strategies.module_of(name)] for name in _strategies.names()])


def _fingerprint() -> str:
    """Changes whenever threadlab's own code changes: what a probe says of its worker depends on it."""
    digest = hashlib.sha256(PROBE.encode() + _homes().encode())
    root = source_dir() / "threadlab"
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


def probe(executable: str, *, timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Run the probe under ``executable``; its answer, or ``{"broken": reason}``.

    The probe runs in a session of its own, and on its timeout the whole
    session is killed: a "Python" that is a script starting other processes
    leaves none behind holding its pipes, and the answer comes at the limit
    it states.
    """
    try:
        process = subprocess.Popen(
            [executable, "-c", PROBE, _homes()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_env("default"),  # the build's own GIL default
            start_new_session=True,
        )
    except OSError as error:
        return {"broken": f"cannot be run: {error.strerror or error}"}
    with process:
        try:
            out, err = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            end_group(process)
            return {"broken": f"did not answer within {timeout_s:g} s", "transient": True}
    stdout = out.decode("utf-8", "replace").strip()
    if process.returncode != 0:
        stderr = err.decode("utf-8", "replace").strip().splitlines()
        last = stderr[-1] if stderr else "no message"
        return {"broken": f"exited with code {process.returncode}: {last}"}
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
    entries = data.get("entries")
    return entries if data.get("fingerprint") == fingerprint and isinstance(entries, dict) else {}


def _write_cache(path: Path, fingerprint: str, entries: Mapping[str, Any]) -> None:
    """Write the cache atomically; a cache that cannot be written only costs the next probe."""
    content = json.dumps(
        {"version": _CACHE_VERSION, "fingerprint": fingerprint, "entries": entries}, indent=1, sort_keys=True
    )
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content.encode("utf-8"))


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
            answers[path] = {"broken": "does not exist"}
            continue
        entry = entries.get(stamp[0])
        recent = _timed_out.get(stamp) if use_cache else None
        if recent is not None and time.monotonic() - recent[0] < _TIMED_OUT_KEPT_S:
            answers[path] = recent[1]
        elif isinstance(entry, dict) and [entry.get("mtime_ns"), entry.get("size")] == list(stamp[1:]):
            answers[path] = entry["answer"]
        else:
            todo.append((path, stamp))
    if todo:
        with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
            probed = list(pool.map(lambda item: probe(item[0], timeout_s=timeout_s), todo))
        for (path, (real, mtime_ns, size)), answer in zip(todo, probed, strict=True):
            answers[path] = answer
            if answer.get("transient"):  # a timeout may pass: not cached, only remembered a while
                _timed_out[(real, mtime_ns, size)] = (time.monotonic(), answer)
            else:
                entries[real] = {"mtime_ns": mtime_ns, "size": size, "answer": answer}
        _write_cache(cache, fingerprint, entries)
    return [_found(path, source, answers[path]) for path, source in paths]


def discover(*, use_cache: bool = True) -> list[FoundInterpreter]:
    """Every Python found here, probed; newest first, broken ones last."""
    found = describe_all(candidates(), use_cache=use_cache)
    return sorted(found, key=lambda f: (f.broken is not None, [-n for n in f.version_key], f.free_threaded))


def describe(executable: str, *, use_cache: bool = True) -> FoundInterpreter:
    """One Python, probed (or from the cache); the running one is described from the inside."""
    if executable == sys.executable:
        return this_interpreter()
    (found,) = describe_all([(executable, "given")], use_cache=use_cache)
    return found
