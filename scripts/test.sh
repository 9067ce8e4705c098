#!/usr/bin/env bash
# test.sh: install, build, run the whole test suite (CTest).
#   scripts/test.sh              the suite on the normal build
#   scripts/test.sh --sanitize   the suite on an ASan/UBSan build
#   extra arguments go to ctest (e.g. -L unit, -R maze)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
    shift
    export TF_SANITIZE=1
    BUILD=build-asan
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
    BUILD=build
fi
TF_TEST=1 bash scripts/setup.sh
. scripts/env.sh
cd "$BUILD"
ctest --output-on-failure -j "$(nproc)" "$@"
