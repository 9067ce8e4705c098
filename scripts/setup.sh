#!/usr/bin/env bash
# setup.sh: install what tracefarm needs on Debian 12 (idempotent), then
# configure and build into build/ (or $TF_BUILD). Used by demo.sh and test.sh.
#   TF_SANITIZE=1  build with AddressSanitizer + UBSan into build-asan/
#   TF_TEST=1      also install the test suite's tools (scripts/test.sh sets it)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="build-essential cmake pkg-config libopenmpi-dev openmpi-bin libcjson-dev
libcurl4-openssl-dev libssl-dev libzstd-dev libmicrohttpd-dev libgmp-dev zstd python3 python3-scipy curl
valgrind"
# the test suite's style check (tests/lint/style.sh) also needs these
[ "${TF_TEST:-0}" = 1 ] && PKGS="$PKGS clang-format cppcheck"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ "${TF_SANITIZE:-0}" = 1 ]; then
    BUILD=${TF_BUILD:-build-asan}
    EXTRA="-DTF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
else
    BUILD=${TF_BUILD:-build}
    EXTRA=""
fi
# shellcheck disable=SC2086
cmake -S . -B "$BUILD" $EXTRA >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
