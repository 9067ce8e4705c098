#!/usr/bin/env bash
# fuzz.sh: build the libFuzzer targets with clang (ASan + UBSan) into
# build-fuzz/ and run each for a bounded time on a copy of its saved corpus.
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh     (default 30 s per target)
#   FUZZ_TARGETS="fuzz_arith_expr" bash scripts/fuzz.sh   (some targets only)
# A crash stops the script with the reproducer path; add the reproducer to
# tests/fuzz/corpus/<target>/ once fixed so every test run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-30}
need=""
for p in clang libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need
fi
bash scripts/setup.sh >/dev/null   # the other dependencies
CC=clang cmake -S . -B build-fuzz -DTF_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# every target of tests/fuzz/fuzz.cmake ("NAME:LIBS" entries), so a new one is never left out
targets=${FUZZ_TARGETS:-$(grep -oE '"fuzz_[a-z_0-9]+:' tests/fuzz/fuzz.cmake | tr -d '":' | tr '\n' ' ')}
cmake --build build-fuzz -j "$(nproc)" --target $targets
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
for t in $targets; do
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$t/." "$work/"
    maxlen=65536
    [ "$t" = fuzz_corpus ] && maxlen=8192 # every input is planned and read many ways
    echo "fuzz: $t for ${SECS}s"
    if ! "./build-fuzz/tests/$t" -max_total_time="$SECS" -max_len="$maxlen" -rss_limit_mb=2048 \
        -artifact_prefix="$PWD/build-fuzz/crash-$t-" "$work" > "build-fuzz/$t.log" 2>&1; then
        tail -60 "build-fuzz/$t.log"
        echo "fuzz: $t FAILED; reproducer: build-fuzz/crash-$t-*" >&2
        exit 1
    fi
    grep -E "^Done" "build-fuzz/$t.log" || true
    rm -rf "$work"
done
echo "fuzz: no crash in $targets"
