#!/usr/bin/env bash
# bench/plantext.sh: reading a plan from a model's answer takes time linear
# in the answer's length: the median time for an answer of 4N lines against
# N lines of the same text, measured in the same run (bench/plantext.c,
# built here with cc -O2; needs no CMake build). Not in CTest.
#   N=20000 REPS=5 bash bench/plantext.sh
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(mktemp -d /tmp/tf-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
${CC:-cc} -std=c11 -O2 -DNDEBUG -D_GNU_SOURCE -I include -o "$W/plantext" bench/plantext.c \
    planning/*.c common/err.c common/buf.c
"$W/plantext" "${N:-20000}" "${REPS:-5}"
