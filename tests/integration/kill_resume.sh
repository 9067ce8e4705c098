#!/usr/bin/env bash
# Kill the whole job with SIGKILL at named points (TF_TEST_KILL_AT, test-only:
# docs/resume.md) while verifying, while journaling, in a worker, while
# merging and while writing outputs, then resume: the final summary and
# items are byte-identical to an uninterrupted run, alone and under mpirun
# with 3 ranks. Also an external kill -9 of mpirun and every rank, and the
# output directory's ownership rules (another job spec, a changed corpus).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resume_lib.sh"

make_corpus
job base.json base 10
set +e
"$TF_BIN" run base.json --quiet 2> /dev/null
st=$?
set -e
check "baseline exits 3 (item errors; got $st)" [ "$st" -eq 3 ]
outputs base
n=$(wc -l < base.items.jsonl)
check "baseline: one item per record ($n)" [ "$n" -eq 502 ]
shards=$(json_field base/run.json shards)
check "baseline: many shards ($shards)" [ "$shards" -gt 30 ]
check "baseline: journal ended" grep -q '^end 3 ' base/.tracefarm-journal
check "baseline: parts removed" [ ! -e base/.tracefarm-parts ]

# killed RUNNER OUT POINT: run with TF_TEST_KILL_AT=POINT; it must die
killed() {
    local runner=$1 out=$2 point=$3 st
    set +e
    if [ "$runner" = alone ]; then
        TF_TEST_KILL_AT=$point "$TF_BIN" run "$out.json" --quiet 2> "$out.$point.err"
    else
        TF_TEST_KILL_AT=$point mpi 3 run "$out.json" --quiet > "$out.$point.err" 2>&1
    fi
    st=$?
    set -e
    check "$out: killed at $point (status $st)" [ "$st" -ne 0 ] && [ "$st" -ne 3 ]
}

# resumed RUNNER OUT: the final run; outputs identical to the baseline
resumed() {
    local runner=$1 out=$2 st
    set +e
    if [ "$runner" = alone ]; then
        "$TF_BIN" run "$out.json" --quiet 2> "$out.final.err"
    else
        mpi 3 run "$out.json" --quiet > "$out.final.err" 2>&1
    fi
    st=$?
    set -e
    check "$out: resumed run exits 3 (got $st)" [ "$st" -eq 3 ]
    check "$out: identical to the uninterrupted run" same_as_base "$out"
    check "$out: parts removed" [ ! -e "$out/.tracefarm-parts" ]
}

for runner in alone mpi; do
    out=k$runner
    job "$out.json" "$out" 10
    # while verifying: rank 0 dies after journaling 4 shards
    killed $runner $out shard:4
    d1=$(done_records $out)
    check "$out: 4 shards journaled ($d1)" [ "$d1" -eq 4 ]
    # a worker (alone: the process) dies with its 3rd part written, not journaled
    killed $runner $out part:3
    # rank 0 dies halfway through writing a journal record (a torn line)
    killed $runner $out journal:3
    check "$out: torn last line" sh -c "tail -c 1 $out/.tracefarm-journal | od -c | grep -qv '\\\\n'"
    # again while verifying: the torn line is dropped, progress is kept
    killed $runner $out shard:5
    check "$out: resume said so" grep -q "already done" "$out.shard:5.err"
    check "$out: torn record dropped" grep -q "cut short by a crash" "$out.shard:5.err"
    d2=$(done_records $out)
    check "$out: progress kept across kills ($d1 -> $d2)" [ "$d2" -gt "$d1" ]
    # finish the shards, die while merging (after 7 parts of items.jsonl.zst.tmp)
    killed $runner $out merge:7
    check "$out: every shard journaled" [ "$(done_records $out)" -eq "$shards" ]
    check "$out: no items.jsonl.zst yet" [ ! -e "$out/items.jsonl.zst" ]
    # while writing outputs: after items, after summary, after run.json
    killed $runner $out output:1
    check "$out: items written, summary not" [ -e "$out/items.jsonl.zst" ] && [ ! -e "$out/summary.json.zst" ]
    killed $runner $out output:2
    killed $runner $out output:3
    resumed $runner $out
    check "$out: final run redid no shard" grep -q "$shards of $shards shards already done" "$out.final.err"
    check "$out: run.json counts the resumed shards" \
        [ "$(json_field $out/run.json shards_resumed)" -eq "$shards" ]
done

# kill -9 of mpirun and every rank at once (a node failure), mid-run
job ext.json ext 10
set +e
TF_TEST_SLOW='*:150' "$MPIEXEC" --oversubscribe -n 3 "$TF_BIN" run ext.json --quiet > ext.err 2>&1 &
mp=$!
wait_done ext 6 120
ranks=$(pgrep -P "$mp" || true)
kill -9 "$mp" $ranks 2> /dev/null
wait "$mp"
st=$?
set -e
check "external kill -9 (status $st)" [ "$st" -ne 0 ]
for p in $ranks; do # the ranks are gone
    while kill -0 "$p" 2> /dev/null; do sleep 0.1; done
done
dext=$(done_records ext)
check "external kill left a partial journal ($dext)" [ "$dext" -ge 6 ] && [ "$dext" -lt "$shards" ]
resumed mpi ext

# Ownership: another job spec in the same directory is refused (exit 2,
# naming the directory and the key), --force starts over.
job other.json kalone 10 ', "group_by": ["generator"]'
set +e
"$TF_BIN" run other.json --quiet 2> other.err
st=$?
set -e
check "another job's directory: exit 2 (got $st)" [ "$st" -eq 2 ]
check "names the directory" grep -q "kalone: the output directory belongs to a different job" other.err
check "names the key" grep -q 'key "group_by"' other.err
check "outputs untouched" same_as_base kalone
set +e
"$TF_BIN" run other.json --quiet --force 2> /dev/null
st=$?
set -e
check "--force starts over (got $st)" [ "$st" -eq 3 ] && [ "$(json_field kalone/run.json shards_resumed)" -eq 0 ]
# keys that do not change outputs (shard_items, description) are the same job
job same.json kalone 25 ', "group_by": ["generator"], "description": "other words"'
set +e
"$TF_BIN" run same.json --quiet 2> /dev/null
st=$?
set -e
check "same job with another shard_items runs (got $st)" [ "$st" -eq 3 ]

# A corpus that changed while the job was interrupted is refused.
job chg.json chg 10
killed alone chg shard:3
touch -d '2001-01-01' b.jsonl
set +e
"$TF_BIN" run chg.json --quiet 2> chg.err
st=$?
set -e
check "changed corpus: exit 2 (got $st)" [ "$st" -eq 2 ]
check "changed corpus: names the file" grep -q 'cannot resume: the corpus changed.*"b.jsonl"' chg.err
set +e
"$TF_BIN" run chg.json --quiet --force 2> /dev/null
st=$?
set -e
check "changed corpus: --force runs (got $st)" [ "$st" -eq 3 ]
check "changed corpus: --force gives the same outputs" same_as_base chg
done_tests
