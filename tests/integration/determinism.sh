#!/usr/bin/env bash
# The outputs are byte-identical (after decompression) for 1, 2, 3 and 4
# ranks and for different shard sizes, over plain JSONL, line-aligned
# multi-frame zstd and zstd whose frames cut lines anywhere, in both dialects.
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 300 --rows 8 --cols 9 --generator mix --corrupt mix \
    --corrupt-rate 0.6 --seed 11 --frame-items 16 --out a.jsonl.zst
"$TF_BIN" gen maze --count 200 --rows 7 --cols 7 --generator mix --corrupt mix \
    --dialect beyond --seed 12 --out b.jsonl
"$TF_BIN" gen maze --count 150 --rows 6 --cols 11 --generator searchformer --corrupt mix \
    --seed 13 --out c.jsonl
# c: frames that cut lines anywhere (split by bytes, compress, concatenate)
split -b 2999 c.jsonl c.part.
for p in c.part.*; do zstd -q -c "$p"; done > c.jsonl.zst
rm -f c.part.* c.jsonl
total=$(( $(zstd -dc a.jsonl.zst | wc -l) + $(wc -l < b.jsonl) + $(zstd -dc c.jsonl.zst | wc -l) ))
check "corpus has 650 records" [ "$total" -eq 650 ]

job() { # job NAME SHARD_ITEMS
    cat > "$1.json" <<JSON
{"name": "det", "domain": "maze", "corpus": ["a.jsonl.zst", "b.jsonl", "c.jsonl.zst"],
 "output": "$1", "source": "record", "maze": {"rows": 8, "cols": 9}, "shard_items": $2}
JSON
}

run() { # run NAME RANKS SHARD_ITEMS
    job "$1" "$3"
    if [ "$2" -eq 0 ]; then
        "$TF_BIN" run "$1.json" --quiet
    else
        mpi "$2" run "$1.json" --quiet
    fi
    local st=$?
    check "$1 exits 0 (got $st)" [ "$st" -eq 0 ]
    zstd -q -dc "$1/summary.json.zst" > "$1.summary.json"
    zstd -q -dc "$1/items.jsonl.zst" > "$1.items.jsonl"
}

set +e
run base 0 100000   # no mpirun at all: one process
run r1 1 5
run r2 2 37
run r3 3 5
run r4 4 13
run r4big 4 100000
set -e

n=$(wc -l < base.items.jsonl)
check "one item per record ($n)" [ "$n" -eq 650 ]
# indexes 0..649 in order, files in the order given
check "indexes in corpus order" python3 - base.items.jsonl <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
assert [i["index"] for i in items] == list(range(len(items)))
files = [i["file"] for i in items]
assert files == sorted(files, key=["a.jsonl.zst", "b.jsonl", "c.jsonl.zst"].index)
for f in set(files):
    lines = [i["line"] for i in items if i["file"] == f]
    assert lines == list(range(1, len(lines) + 1)), f
PY
for r in r1 r2 r3 r4 r4big; do
    check "$r summary identical" cmp -s base.summary.json "$r.summary.json"
    check "$r items identical" cmp -s base.items.jsonl "$r.items.jsonl"
done
# the runs really used several shards and ranks
check "r3 used 3 ranks and >1 shard" python3 - r3/run.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ranks"] == 3 and r["shards"] > 10, r
assert r["shards_by_rank"][0] == 0 and sum(r["shards_by_rank"]) == r["shards"], r
PY
# verdicts are not trivially constant: corruptions show up
check "mixed verdicts" python3 - base.summary.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["overall"]
assert s["items"] == 650 and s["item_errors"] == 0, s
assert 0 < s["trace_valid"]["count"] < 650, s
assert 0 < s["plan_valid"]["count"] < 650, s
PY
# Complexity from the record's reference trace equals the farm's own A*
# (the generator's references are that A*), in both dialects.
cat > astar.json <<'JSON'
{"name": "det", "domain": "maze", "corpus": ["a.jsonl.zst", "b.jsonl", "c.jsonl.zst"],
 "output": "astar", "maze": {"rows": 8, "cols": 9}, "fields": {"reference": "no_such_field"}}
JSON
"$TF_BIN" run astar.json --quiet
zstd -q -dc astar/items.jsonl.zst > astar.items.jsonl
check "complexity: reference trace == own A*" python3 - base.items.jsonl astar.items.jsonl <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 650
assert {i["complexity_source"] for i in a} == {"reference"}
assert {i["complexity_source"] for i in b} == {"astar"}
assert {i["dialect"] for i in a} == {"searchformer", "beyond"}
for x, y in zip(a, b):
    assert x["complexity"] == y["complexity"] and x["complexity"] > 0, (x, y)
PY
done_tests
