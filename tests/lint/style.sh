#!/usr/bin/env bash
# style.sh SRC: the project's C code is clang-formatted (.clang-format) and
# cppcheck finds nothing in it (warning, style, performance, portability;
# a false positive is suppressed where it stands, with its reason). Exits
# 77 (CTest: skipped) when clang-format or cppcheck is not installed
# (scripts/test.sh installs both).
set -uo pipefail
src=${1:-$(dirname "$0")/../..}
cd "$src" || exit 1
for t in clang-format cppcheck; do
    command -v "$t" > /dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done
dirs="common record corpus fetch maze stats arith planning verify job gen serve worker coordinator include tests/unit tests/fuzz bench"
# shellcheck disable=SC2086
mapfile -t files < <(find $dirs -name '*.[ch]' | sort)
echo "style: ${#files[@]} files"
fail=0
if ! clang-format --dry-run -Werror "${files[@]}"; then
    echo "FAIL: clang-format: run clang-format -i on the files above"
    fail=1
fi
# shellcheck disable=SC2086
out=$(cppcheck --quiet --enable=warning,style,performance,portability --std=c11 -I include \
    -I tests/unit --inline-suppr --error-exitcode=0 $dirs 2>&1 | grep -E '\[[A-Za-z]+\]$')
if [ -n "$out" ]; then
    echo "$out"
    echo "FAIL: cppcheck: $(echo "$out" | wc -l) finding(s)"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "style: clang-format and cppcheck clean"
exit "$fail"
