#!/usr/bin/env bash
# Set up everything on a fresh machine and run every check CI runs:
# lint (ruff), format, types (mypy --strict), then the whole test suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k faults`.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "scripts/test.sh: threadlab needs Python 3.11 or newer; $python is $("$python" --version 2>&1). Set PYTHON=python3.11 (or newer)." >&2
    exit 2
}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
