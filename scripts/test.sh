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
# dask too: the dask strategy's tests start a real cluster on loopback. The test extra brings the
# packages the worker uses only where installed (aiohttp for the http workload's client, gilknocker's
# GIL probe), so that their tests run here instead of skipping.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dask]'

# The HTML report is tested in a real headless Chromium (tests/test_report.py), Debian's package.
# Where it cannot be installed, those tests are skipped and say why.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } ||
        echo "scripts/test.sh: could not install chromium; the browser tests will be skipped" >&2
fi

# The multi-host test (tests/test_multihost.py) makes hosts as network namespaces with `ip netns`,
# Debian's iproute2. Where it cannot be installed, that test is skipped and says why.
if ! command -v ip >/dev/null && [ ! -x /usr/sbin/ip ] && [ ! -x /sbin/ip ] && command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq iproute2 >/dev/null; } ||
        echo "scripts/test.sh: could not install iproute2; the multi-host test will be skipped" >&2
fi

.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
