#!/usr/bin/env bash
# One run at a time per output directory: a second run on a directory that
# a running job uses stops at once (exit 2, naming the directory) and harms
# nothing; the first run finishes with the same outputs as a run alone; the
# lock is gone afterwards (also after a SIGKILL, since the kernel drops it).
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 60 --rows 6 --cols 6 --seed 9 --out c.jsonl
job() { # job FILE OUTPUT
    cat > "$1" <<JSON
{"name": "lock", "domain": "maze", "corpus": ["c.jsonl"], "output": "$2",
 "maze": {"rows": 6, "cols": 6}, "shard_items": 5}
JSON
}
job alone.json alone
"$TF_BIN" run alone.json --quiet
job a.json out

set +e
TF_TEST_SLOW='*:200' "$TF_BIN" run a.json --quiet > first.out 2>&1 &
first=$!
for _ in $(seq 100); do [ -s out/.tracefarm-journal ] && break; sleep 0.05; done
"$TF_BIN" run a.json --quiet > second.out 2> second.err
st2=$?
kill -0 "$first" 2> /dev/null
running=$?
wait "$first"
st1=$?
set -e
check "second run refused with 2 (got $st2)" [ "$st2" -eq 2 ]
check "second run names the directory" grep -q "out: another tracefarm run is using this output directory" second.err
check "first run was still running when refused" [ "$running" -eq 0 ]
check "first run finished with 0 (got $st1)" [ "$st1" -eq 0 ]
check "first run's items equal a run alone" cmp -s <(zstd -q -dc alone/items.jsonl.zst) <(zstd -q -dc out/items.jsonl.zst)
check "first run's summary equals a run alone" cmp -s <(zstd -q -dc alone/summary.json.zst) <(zstd -q -dc out/summary.json.zst)

# released at the end: the same job runs again
set +e
"$TF_BIN" run a.json --quiet
st3=$?
# released when the holder is killed: SIGKILL mid-run, then a resume works
TF_TEST_SLOW='*:200' "$TF_BIN" run a.json --quiet --force > killed.out 2>&1 &
k=$!
for _ in $(seq 100); do grep -q "^done" out/.tracefarm-journal 2> /dev/null && break; sleep 0.05; done
kill -9 "$k"
wait "$k" 2> /dev/null
"$TF_BIN" run a.json --quiet
st4=$?
set -e
check "after the end the lock is released (got $st3)" [ "$st3" -eq 0 ]
check "after a SIGKILL the lock is released and the job resumes (got $st4)" [ "$st4" -eq 0 ]
check "resumed items equal a run alone" cmp -s <(zstd -q -dc alone/items.jsonl.zst) <(zstd -q -dc out/items.jsonl.zst)
done_tests
