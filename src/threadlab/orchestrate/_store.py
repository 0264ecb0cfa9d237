"""Reading and writing results files; a write is atomic, never half a file.

A run saves its file after every round, so that a crash or Ctrl-C loses
nothing measured, under a lock that no second run passes (``ResultsWriter``).
Saving computes nothing: it writes the summaries and the analysis it is given.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from threadlab._errors import ResultsFileError, SpecError

try:
    import fcntl
except ImportError:  # Windows: no lock beside the results file
    _HAS_FLOCK = False
else:
    _HAS_FLOCK = True
from threadlab.model import Measurement, Result, Summary
from threadlab.model._json import MAX_FILE_BYTES, measurement_to_json, result_from_bytes, result_header


def check_writable(path: Path, option: str = "out") -> None:
    """Refuse, before any work, an output path that cannot be written.

    Raises:
        SpecError: the path is a directory, or its directory is missing or
            not writable.
    """
    if path.is_dir():
        raise SpecError(option, f"cannot write {str(path)!r}: it is a directory; expected a file path")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".threadlab-check-"):
            pass
    except OSError as error:
        raise SpecError(option, f"cannot write {str(path)!r}: {error.strerror or error}") from None


# Every file threadlab writes (results, HTML reports, images) is created with this mode, and the
# umask applies as it does to any file a program creates: 0644 under the usual umask 022, 0600
# under 077. One rule, in the one writer (write_atomically).
OUTPUT_MODE = 0o644


def _new_file_beside(target: Path) -> tuple[int, Path]:
    """A new, empty file in ``target``'s directory, with ``OUTPUT_MODE`` (less the umask)."""
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OUTPUT_MODE), temporary
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def write_atomically(path: str | os.PathLike[str], content: bytes | Iterable[bytes]) -> None:
    """Write ``content`` (bytes, or chunks of them) to ``path`` whole or not at all: a temporary
    file beside it, then a rename. Results files, reports and images all go through it.

    Raises:
        OSError: the file cannot be written; no temporary file is left, and
            the file at ``path`` is as it was. Never raised once the rename
            has happened: from then on the file is written, whatever follows.
    """
    target = Path(path)
    fd, temporary = _new_file_beside(target)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([content] if isinstance(content, bytes) else content)
        os.replace(temporary, target)
        renamed = True
    except BaseException:
        # Before the rename the temporary file is debris; after it (a Ctrl-C landing between the
        # rename and the line after it), it is the results file under its own name, and gone.
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _holder(fd: int) -> str:
    """`` (pid N)`` of the run holding the lock, as it wrote it; empty when it has not yet."""
    try:
        written = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {written})" if written.isdigit() else ""


def _take_lock(path: Path) -> int:
    """Lock ``path``: the lock file's descriptor; or refuse at once (``SpecError``) where a run holds it."""
    lock_path = _lock_path(path)
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, OUTPUT_MODE)
        except OSError as error:
            raise SpecError("out", f"cannot write {str(path)!r}: {error.strerror or error}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _holder(fd)
            os.close(fd)
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise SpecError("out", f"cannot lock {str(lock_path)!r}: {error.strerror}") from None
            raise SpecError("out", f"{str(path)!r} is being written by another run{holder}") from None
        # The run before may have removed the lock file between our open and our lock:
        # then we hold a file no one else will open, and try again on the one at the path.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    with contextlib.suppress(OSError):  # the pid only informs whoever is refused
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


class ResultsWriter:
    """Saves a growing result to one file, again and again, at a cost that does not grow.

    Each point's JSON (with its summary) is kept while the point and its
    summary are the same objects as at the last save, so only the points
    measured since are serialised again: a save costs the same at point 1 and
    at point 200 (``benchmarks/bench_saving.py``), but for the bytes written.

    The lock on ``<file>.lock`` is held from the writer's creation until
    ``close()`` (or the end of its ``with`` block), which removes the lock
    file. It is held by its open file, so a second writer of the file is
    refused even in this process (naming the pid of the run that holds it):
    a command makes one writer and passes it down. Where ``fcntl`` is missing
    (Windows) there is no lock.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Take the lock on ``path``.

        Raises:
            SpecError: (``out``) another run is writing ``path``, or the lock
                file beside it cannot be made.
        """
        self.path = Path(path)
        self._texts: dict[int, tuple[Measurement, Summary | None, bytes]] = {}
        self._lock = _take_lock(self.path) if _HAS_FLOCK else None

    def close(self) -> None:
        """Release the lock, removing the lock file; a second close does nothing."""
        lock, self._lock = self._lock, None
        if lock is not None:
            # Removed while still locked, so that no run locks the file that is going away.
            with contextlib.suppress(OSError):
                os.unlink(_lock_path(self.path))
            os.close(lock)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _point_text(self, measurement: Measurement, summary: Summary | None) -> bytes:
        kept = self._texts.get(id(measurement))
        if kept is not None and kept[0] is measurement and kept[1] is summary:
            return kept[2]
        text = json.dumps(measurement_to_json(measurement, summary), allow_nan=False).encode("utf-8")
        self._texts[id(measurement)] = (measurement, summary, text)
        return text

    def save(
        self,
        result: Result,
        analysis: Mapping[str, Any] | None = None,
        *,
        summaries: Sequence[Summary | None] | None = None,
    ) -> None:
        """Write ``result`` to the file atomically, with its ``analysis`` (``Analysis.to_json()``) and each
        point's summary (in order) where given.

        Raises:
            ResultsFileError: the file cannot be written.
        """
        per_point = [None] * len(result.measurements) if summaries is None else summaries
        points = [self._point_text(m, s) for m, s in zip(result.measurements, per_point, strict=True)]
        live = {id(m) for m in result.measurements}
        self._texts = {key: value for key, value in self._texts.items() if key in live}
        header = json.dumps(result_header(result), indent=1, allow_nan=False)
        # Chunks, written one after the other: no copy of the whole file is made in memory.
        chunks = [(header[:-2] + ',\n "points": [\n  ').encode("utf-8")]
        for number, text in enumerate(points):
            chunks += [b",\n  ", text] if number else [text]
        tail = "\n ]"
        if analysis is not None:
            tail += ',\n "analysis": ' + json.dumps(analysis, allow_nan=False)
        chunks.append((tail + "\n}\n").encode("utf-8"))
        try:
            write_atomically(self.path, chunks)
        except OSError as error:
            raise ResultsFileError(f"cannot write {str(self.path)!r}: {error.strerror or error}") from None


def save_result(
    result: Result,
    path: str | os.PathLike[str],
    analysis: Mapping[str, Any] | None = None,
    *,
    summaries: Sequence[Summary | None] | None = None,
) -> None:
    """Write ``result`` to ``path`` atomically (temporary file, then rename).

    Saving computes nothing: what is derived is written where it is given.

    Args:
        result: what was measured.
        path: the results file.
        analysis: the analysis to store beside it, as plain JSON
            (``Analysis.to_json()``); derived, so optional.
        summaries: each point's summary, in order (``[s for _, s in
            threadlab.summarise(result)]``), to write beside it; derived, so optional.

    Raises:
        ResultsFileError: the file cannot be written.
        SpecError: another run is writing it.
    """
    with ResultsWriter(path) as writer:
        writer.save(result, analysis, summaries=summaries)


def load_result(path: str | os.PathLike[str]) -> Result:
    """Read a results file of any schema version this threadlab knows.

    Every value is checked (``threadlab.model._json.result_from_bytes``): a
    file edited, cut short or written by something else loads whole and
    sensible, or not at all.

    Raises:
        ResultsFileError: missing, unreadable, larger than 256 MiB, not
            UTF-8 JSON, or not a results file this threadlab can trust; the
            message names the file, where in it, and what was expected.
    """
    source = Path(path)
    try:
        with source.open("rb") as handle:
            # One byte more than the limit: enough to tell a file too large, even one that grows.
            content = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL byte in it
        raise ResultsFileError(
            f"cannot read {str(source)!r}: {getattr(error, 'strerror', None) or error}"
        ) from None
    return result_from_bytes(content, repr(str(source)))
