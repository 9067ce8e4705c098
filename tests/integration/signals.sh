#!/usr/bin/env bash
# SIGTERM, SIGUSR1 and SIGINT stop a job at the next shard boundary with
# the journal consistent and exit status 75 (TF_EXIT_REQUEUE); running the
# job again resumes to outputs identical to an uninterrupted run. Alone, and
# under mpirun with 3 ranks (mpirun forwards SIGUSR1 to every rank; SIGTERM
# and SIGINT make mpirun itself kill the job after
# odls_base_sigkill_timeout, and the journal still lets the job resume). A
# second SIGINT stops a lone process at once, still resumable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resume_lib.sh"

make_corpus
job base.json base 25
set +e
"$TF_BIN" run base.json --quiet 2> /dev/null
set -e
outputs base
shards=$(json_field base/run.json shards)

# stopped RUNNER OUT SIGNAL EXPECT [TWICE]: start slow shards, signal after
# 3 are journaled (TWICE: the signal again 0.1 s later), expect status
# EXPECT (or any non-zero for "nonzero")
stopped() {
    local runner=$1 out=$2 sig=$3 expect=$4 twice=${5:-} st pid
    job "$out.json" "$out" 25
    set +e
    if [ "$runner" = alone ]; then
        TF_TEST_SLOW='*:200' "$TF_BIN" run "$out.json" --quiet 2> "$out.err" &
    else
        TF_TEST_SLOW="*:300" "$MPIEXEC" --oversubscribe -n 3 "$TF_BIN" run "$out.json" --quiet > "$out.err" 2>&1 &
    fi
    pid=$!
    wait_done "$out" 3 120
    kill -"$sig" "$pid"
    if [ -n "$twice" ]; then
        sleep 0.1
        kill -"$sig" "$pid"
    fi
    wait "$pid"
    st=$?
    set -e
    if [ "$expect" = nonzero ]; then
        check "$out: $sig to mpirun stops the job (status $st)" [ "$st" -ne 0 ] && [ "$st" -ne 3 ]
    else
        check "$out: $sig gives exit $expect (got $st)" [ "$st" -eq "$expect" ]
    fi
    local n
    n=$(done_records "$out")
    check "$out: stopped before the end ($n of $shards shards)" [ "$n" -ge 3 ] && [ "$n" -lt "$shards" ]
    check "$out: journal not ended" bash -c "! grep -q '^end ' $out/.tracefarm-journal"
    check "$out: every journal line intact" python3 - "$out/.tracefarm-journal" <<'PY'
import sys
def fnv(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n")
for line in data.split(b"\n")[:-1]:
    text, _, h = line.rpartition(b" #")
    assert fnv(text) == int(h, 16), line
PY
    # resume: the same outputs as without the signal
    set +e
    "$TF_BIN" run "$out.json" --quiet 2> "$out.resume.err"
    st=$?
    set -e
    check "$out: resumed (got $st)" [ "$st" -eq 3 ]
    check "$out: resume skipped the journaled shards" grep -q "$n of $shards shards already done" "$out.resume.err"
    check "$out: identical to the uninterrupted run" same_as_base "$out"
}

stopped alone term TERM 75
check "term: says how to resume" grep -q "stopped by SIGTERM: .* run the same job again to resume (exit status 75)" term.err
stopped alone usr1 USR1 75
stopped alone int INT 75
check "int: says at once that it stops" grep -q "SIGINT: stopping after the shards in progress" int.err
check "int: then how to resume" grep -q "stopped by SIGINT: .* run the same job again to resume (exit status 75)" int.err
stopped alone int2 INT 75 twice
check "int2: a second SIGINT stops at once" grep -q "stopped at once by a second SIGINT" int2.err
check "int2: ... before the shard in progress is journaled" sh -c "! grep -q 'stopped by SIGINT' int2.err"
stopped mpi musr1 USR1 75
check "musr1: mpirun forwarded SIGUSR1" grep -q "stopped by SIGUSR1" musr1.err
stopped mpi mterm TERM nonzero
stopped mpi mint INT nonzero
done_tests
