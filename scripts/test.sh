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

# A free-threaded CPython (3.13t) for the tests of the free-threaded paths
# (tests/test_interpreters_free_threaded.py): built from Debian's source into threadlab's cache
# by scripts/free-threaded-python.sh, or reused from there (measured: a build took 322 s on 2
# shared cores, a reuse 0.02 s; its tests take ~40 s). Never a failure of CI: where it cannot be built, those tests
# skip with the one line the script said. THREADLAB_FREE_THREADED=0 leaves it out.
if [ "${THREADLAB_FREE_THREADED:-1}" != 0 ]; then
    ft_log=$(mktemp)
    if ft_python=$(bash scripts/free-threaded-python.sh 2>"$ft_log"); then
        export THREADLAB_FREE_THREADED_PYTHON="$ft_python"
        cat "$ft_log" >&2 # the build's time, where it was built now
        echo "scripts/test.sh: free-threaded tests run under $ft_python" >&2
    else
        THREADLAB_FREE_THREADED_MISSING=$(tail -n 1 "$ft_log")
        export THREADLAB_FREE_THREADED_MISSING
        echo "scripts/test.sh: no free-threaded Python, its tests will be skipped: $THREADLAB_FREE_THREADED_MISSING" >&2
    fi
    rm -f "$ft_log"
fi

.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src tests examples benchmarks
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
