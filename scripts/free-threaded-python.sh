#!/usr/bin/env bash
# Build a free-threaded CPython (3.13t) from Debian's source package, into threadlab's cache, and
# print the path of its python. threadlab's discovery finds it there (`--python 3.13t`, `--python all`).
#
# Debian's `python3.13` source (trixie: 3.13.5, the upstream tarball plus Debian's patches) is
# fetched by apt, which checks it against the signed index; only the upstream tarball is built,
# `./configure --disable-gil`. Measured here: 322 s (make -j2, 2 cores shared with other jobs, load
# ~4; the issue saw ~3 min on idle ones); a reuse takes 0.02 s. Installed: 402 MB.
#
# A build already in the cache is reused when it runs and says its GIL is off. Any failure is one
# line on stderr naming what was missing, and exit 1.
#
# Usage: bash scripts/free-threaded-python.sh [3.13|3.14]
# Environment: THREADLAB_PYTHONS_DIR, where builds go (default ~/.cache/threadlab/pythons, where
# threadlab's discovery looks: orchestrate/_discover.py, pythons_dir), JOBS (default: the cores).
set -euo pipefail

series=${1:-3.13}
case "$series" in
3.13) suite=trixie ;;
3.14) suite=sid ;;
*)
    echo "free-threaded-python.sh: version '$series' is not served this way; accepted: 3.13, 3.14" >&2
    exit 2
    ;;
esac

pythons=${THREADLAB_PYTHONS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/threadlab/pythons}
work="$pythons/.build"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

fail() {
    echo "free-threaded-python.sh: $*" >&2
    exit 1
}

# A build is usable when it starts and its GIL is off (sys._is_gil_enabled() is False).
usable() {
    "$1" -c 'import sys; sys.exit(sys._is_gil_enabled())' >/dev/null 2>&1
}

for existing in "$pythons/$series".*t/bin/python"$series"t; do
    if [ -x "$existing" ] && usable "$existing"; then
        echo "$existing"
        exit 0
    fi
done

command -v apt-get >/dev/null || fail "no apt-get: this script needs Debian or Ubuntu; elsewhere use 'uv python install ${series}t' or python.org's free-threaded installer"
command -v cc >/dev/null || command -v gcc >/dev/null ||
    fail "no C compiler (cc/gcc): install build-essential (apt-get install build-essential)"
command -v make >/dev/null || fail "no make: install build-essential (apt-get install build-essential)"
command -v tar >/dev/null && command -v xz >/dev/null || fail "no tar or xz to extract the source: apt-get install tar xz-utils"

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "not root and no sudo: apt-get update needs root to add the deb-src entry"
    sudo="sudo -n"
fi

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || fail "no Debian archive keyring at $keyring: install debian-archive-keyring"

# Our own sources file, so that the system's are left as they are. Only source indexes: no binary
# package of the newer suite can be installed by accident.
sources=/etc/apt/sources.list.d/threadlab-python-src.sources
entry="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: $keyring"
if [ ! -f "$sources" ] || ! grep -qx "Suites: $suite" "$sources"; then
    # Read before tee truncates it: the two sides of a pipe run at once.
    before=""
    [ -f "$sources" ] && before="$(cat "$sources")"$'\n\n'
    printf '%s%s\n' "$before" "$entry" | $sudo tee "$sources" >/dev/null ||
        fail "could not write the deb-src entry $sources (needs root)"
fi

log="$work/build-$series.log"
mkdir -p "$work"
$sudo apt-get update -qq >"$log" 2>&1 ||
    fail "apt-get update failed (the network, or the deb-src entry in $sources); see $log"

cd "$work"
rm -f python"$series"_*.dsc
if ! apt-get source --download-only "python$series/$suite" >>"$log" 2>&1; then
    if grep -q "404" "$log"; then
        fail "apt-get source python$series/$suite failed: its files are not served (404) by the mirror; see $log"
    elif grep -qiE "resolve|connect|temporary failure|network" "$log"; then
        fail "apt-get source python$series/$suite failed: the network (the mirror cannot be reached); see $log"
    fi
    fail "apt-get source python$series/$suite failed (is the deb-src entry in $sources read?); see $log"
fi
tarball=$(ls python"$series"_*.orig.tar.xz 2>/dev/null | head -n 1)
[ -n "$tarball" ] || fail "apt-get source gave no upstream tarball for python$series; see $log"
# python3.13_3.13.5.orig.tar.xz -> 3.13.5
version=${tarball#python"$series"_}
version=${version%.orig.tar.xz}
prefix="$pythons/${version}t"

rm -rf "Python-$version"
tar xf "$tarball" || fail "could not extract $tarball"
cd "Python-$version"

start=$(date +%s)
./configure --disable-gil --prefix="$prefix" --without-ensurepip >>"$log" 2>&1 ||
    fail "configure of Python $version failed: $(grep 'configure: error:' "$log" | grep -v 'in `' | head -n 1 |
        sed 's/^configure: error: //'); see $log"
make -j"$jobs" >>"$log" 2>&1 || fail "make of Python $version failed (a compiler or header missing?); see $log"
make install >>"$log" 2>&1 || fail "make install into $prefix failed; see $log"
end=$(date +%s)

python="$prefix/bin/python${series}t"
[ -x "$python" ] || fail "the build installed no $python; see $log"
usable "$python" || fail "$python was built but its GIL is on (sys._is_gil_enabled() is not False)"
cd "$work" && rm -rf "Python-$version" # the build tree (~0.5 GB); the source tarball is kept
echo "free-threaded-python.sh: built Python $version (free-threaded) in $((end - start)) s with $jobs jobs" >&2
echo "$python"
