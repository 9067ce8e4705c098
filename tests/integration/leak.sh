#!/usr/bin/env bash
# No leaks from tracefarm's own code: a whole job (one process without
# mpirun, then 3 ranks under mpirun with a straggler attempt and a resume
# after a kill, then one process with group_by, keep_output and --limit)
# under valgrind --leak-check=full (LeakSanitizer on a
# sanitizer build). Definite leaks are errors; the suppressions (leak.supp,
# leak.lsan) cover only what Open MPI allocates inside MPI_Init,
# MPI_Finalize and its own progress thread.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resume_lib.sh"
# (ldd's output is read whole: "ldd | grep -q" under pipefail fails when
# grep stops reading early and ldd gets SIGPIPE)
LIBS=$(ldd "$TF_BIN")
if [[ "$LIBS" == *libasan* ]]; then
    # a sanitizer build (scripts/test.sh --sanitize): valgrind cannot run
    # it; LeakSanitizer does the same check with the same narrow list.
    # intercept_tls_get_addr=0: with it on, LeakSanitizer's own tracer dies
    # at exit (SIGSEGV reading the dynamic TLS of Open MPI's threads, every
    # time in a process started without mpirun; google/sanitizers#1322).
    # It still finds leaks with it off (a malloc lost after MPI_Init is
    # reported).
    VG=()
    export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0:intercept_tls_get_addr=0
    export LSAN_OPTIONS=suppressions=$TF_SRC/tests/integration/leak.lsan:print_suppressions=0
else
    command -v valgrind > /dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
    VG=(valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
        --error-exitcode=99 --num-callers=40 --suppressions="$TF_SRC/tests/integration/leak.supp")
fi
make_corpus
job a.json a 40
set +e
"${VG[@]+"${VG[@]}"}" "$TF_BIN" run a.json --quiet 2> a.err
st=$?
set -e
check "alone under valgrind: no leak (status $st)" [ "$st" -eq 3 ]
[ "$st" -eq 3 ] || cat a.err

# 3 ranks: one stop by a kill point, a resume, a straggler attempt
job m.json m 40 ', "straggler_seconds": 1'
set +e
TF_TEST_KILL_AT=shard:3 mpi 3 run m.json --quiet > /dev/null 2>&1
TF_TEST_SLOW="1:3000:1" "$MPIEXEC" --oversubscribe -n 3 "${VG[@]+"${VG[@]}"}" "$TF_BIN" run m.json --quiet > m.err 2>&1
st=$?
set -e
check "3 ranks under valgrind: no leak (status $st)" [ "$st" -eq 3 ]
[ "$st" -eq 3 ] || cat m.err
check "the valgrind run resumed" grep -q "already done" m.err
check "outputs of both runs agree" bash -c 'outputs() { zstd -q -dc "$1/summary.json.zst"; zstd -q -dc "$1/items.jsonl.zst"; }; cmp -s <(outputs a) <(outputs m)'

# group values and kept outputs in items, and a limit (rank 0 counts records
# while planning; the cut shard's reader stops): no leak either
job k.json k 40 ', "group_by": ["generator", "corruption"], "keep_output": true'
set +e
"${VG[@]+"${VG[@]}"}" "$TF_BIN" run k.json --quiet --limit 350 2> k.err
st=$?
set -e
check "group_by, keep_output, --limit under valgrind: no leak (status $st)" [ "$st" -eq 0 ]
[ "$st" -eq 0 ] || cat k.err
check "--limit 350: 350 items" [ "$(zstd -q -dc k/items.jsonl.zst | wc -l)" -eq 350 ]
done_tests
