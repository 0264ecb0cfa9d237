"""Running the ``threadlab`` command in the test's own process, as the CLI tests do."""

from __future__ import annotations

import pytest

from threadlab.cli import main


def threadlab_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``threadlab ARGS`` in this process; return its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err
