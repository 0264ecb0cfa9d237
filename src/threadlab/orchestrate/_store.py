"""Reading and writing results files; a write is atomic, never half a file.

A run saves its file after every round, so that a crash or Ctrl-C loses
nothing measured. Saving writes what was measured and each point's summary;
the analysis (USL fits and all) is written once, by the command, at the end.
A ``ResultsWriter`` keeps the JSON text of every point that has not changed
since the last save, so a save costs the same at point 1 and at point 200
(``benchmarks/bench_saving.py``), but for the bytes written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from threadlab._errors import ResultsFileError, SpecError
from threadlab.analysis import baselines, summary
from threadlab.model import Measurement, Result
from threadlab.model._json import MAX_FILE_BYTES, measurement_to_json, result_from_bytes, result_header


def check_writable(path: Path, option: str = "--out") -> None:
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
    file beside it, then a rename.

    The one writer of output files: results files, reports and images all go
    through it, and so get one mode (``OUTPUT_MODE``, less the umask).

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


class ResultsWriter:
    """Saves a growing result to one file, again and again, at a cost that does not grow.

    Each point's JSON (with its summary) is kept while the point and its
    baseline are the same objects as at the last save, so only the points
    measured since are serialised again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._texts: dict[int, tuple[Measurement, Measurement | None, bytes]] = {}

    def _point_text(self, measurement: Measurement, baseline: Measurement | None) -> bytes:
        kept = self._texts.get(id(measurement))
        if kept is not None and kept[0] is measurement and kept[1] is baseline:
            return kept[2]
        entry = measurement_to_json(measurement, summary(measurement, baseline))
        text = json.dumps(entry, allow_nan=False).encode("utf-8")
        self._texts[id(measurement)] = (measurement, baseline, text)
        return text

    def save(self, result: Result, analysis: Mapping[str, Any] | None = None) -> None:
        """Write ``result`` (and ``analysis``, if given) to the file atomically.

        Raises:
            ResultsFileError: the file cannot be written.
        """
        found = baselines(result.measurements)
        points = [self._point_text(m, base) for m, base in zip(result.measurements, found, strict=True)]
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
    result: Result, path: str | os.PathLike[str], analysis: Mapping[str, Any] | None = None
) -> None:
    """Write ``result`` to ``path`` atomically (temporary file, then rename).

    Args:
        result: what was measured.
        path: the results file.
        analysis: the analysis to store beside it, as plain JSON
            (``Analysis.to_json()``); derived, so optional.

    Raises:
        ResultsFileError: the file cannot be written.
    """
    ResultsWriter(path).save(result, analysis)


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
    except OSError as error:
        raise ResultsFileError(f"cannot read {str(source)!r}: {error.strerror or error}") from None
    return result_from_bytes(content, repr(str(source)))
