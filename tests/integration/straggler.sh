#!/usr/bin/env bash
# straggler_seconds: a shard taken but not finished within the bound is
# handed to an idle rank as well; the first result is journaled, merged and
# counted once. Rank 1 sleeps 5 s before its first shard (TF_TEST_SLOW,
# test-only), straggler_seconds is 1: the outputs are those of a plain run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resume_lib.sh"

make_corpus
job base.json base 40
set +e
"$TF_BIN" run base.json --quiet 2> /dev/null
set -e
outputs base

job s.json s 40 ', "straggler_seconds": 1'
set +e
TF_TEST_SLOW='1:5000:1' mpi 3 run s.json --quiet > s.err 2>&1
st=$?
set -e
check "straggler run exits 3 (got $st)" [ "$st" -eq 3 ]
check "identical to a plain run" same_as_base s
check "one redundant attempt, its shard journaled once" python3 - s/run.json s/.tracefarm-journal <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["straggler_attempts"] >= 1, r
done = [l.split() for l in open(sys.argv[2]) if l.startswith("done ")]
shards = [int(d[1]) for d in done]
assert len(shards) == len(set(shards)) == r["shards"], shards
# the slow rank's first shard was won by attempt 1 of another rank
won = [d for d in done if d[2] != "0"]
assert won and all(d[3] != "1" for d in won), won
PY
n=$(wc -l < s.items.jsonl)
check "each record once ($n)" [ "$n" -eq 502 ]

# the key is checked like every other
printf '{"name": "x", "domain": "maze", "corpus": ["b.jsonl"], "output": "bad", "straggler_seconds": -1}\n' > bad.json
set +e
"$TF_BIN" run bad.json 2> bad.err
st=$?
set -e
check "straggler_seconds -1: exit 2 (got $st)" [ "$st" -eq 2 ]
check "names the key" grep -q '"straggler_seconds"' bad.err
done_tests
