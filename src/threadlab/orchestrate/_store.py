"""Reading and writing results files; a write is atomic, never half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from threadlab._errors import ResultsFileError, SpecError
from threadlab._model import Result


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


def save_result(result: Result, path: str | os.PathLike[str]) -> None:
    """Write ``result`` to ``path`` atomically (temporary file, then rename).

    Raises:
        ResultsFileError: the file cannot be written.
    """
    target = Path(path)
    text = json.dumps(result.to_json(), indent=1, allow_nan=False)
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise ResultsFileError(f"cannot write {str(target)!r}: {error.strerror or error}") from None


def load_result(path: str | os.PathLike[str]) -> Result:
    """Read a results file.

    Raises:
        ResultsFileError: missing, unreadable, not JSON, or not a results file
            this threadlab can read.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise ResultsFileError(f"cannot read {str(source)!r}: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ResultsFileError(f"{str(source)!r} is not JSON: {error}") from None
    try:
        return Result.from_json(data)
    except ResultsFileError as error:
        raise ResultsFileError(f"{str(source)!r}: {error}") from None
