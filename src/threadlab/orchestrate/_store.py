"""Reading and writing results files; a write is atomic, never half a file.

A run saves its file after every round, so that a crash or Ctrl-C loses
nothing measured. Saving writes what was measured and each point's summary;
the analysis (USL fits and all) is written once, by the command, at the end.
A ``ResultsWriter`` keeps the JSON text of every point that has not changed
since the last save, so a save costs the same at point 1 and at point 200
(``benchmarks/bench_saving.py``), but for the bytes written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from threadlab._errors import ResultsFileError, SpecError
from threadlab.analysis import baselines, summary
from threadlab.model import Measurement, Result
from threadlab.model._json import measurement_to_json, result_from_json, result_header


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


def write_atomically(path: str | os.PathLike[str], content: bytes | Iterable[bytes]) -> None:
    """Write ``content`` (bytes, or chunks of them) to ``path`` whole or not at all: a temporary
    file, then a rename.

    The one atomic writer: results files, reports and images all go through it.

    Raises:
        OSError: the file cannot be written; no temporary file is left.
    """
    target = Path(path)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines([content] if isinstance(content, bytes) else content)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would make results files unlike the reports
        os.replace(temporary, target)
    except BaseException:
        # Only while the rename has not happened: after it the file is the result, not debris.
        if os.path.exists(temporary):
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

    Raises:
        ResultsFileError: missing, unreadable, not JSON, or not a results file
            this threadlab can read.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise ResultsFileError(f"cannot read {str(source)!r}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ResultsFileError(f"{str(source)!r} is not UTF-8 text: {error.reason}") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ResultsFileError(f"{str(source)!r} is not JSON: {error}") from None
    try:
        return result_from_json(data)
    except ResultsFileError as error:
        raise ResultsFileError(f"{str(source)!r}: {error}") from None
