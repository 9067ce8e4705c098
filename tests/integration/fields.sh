#!/usr/bin/env bash
# Record fields are paths into nested objects and arrays (docs/job.md,
# "fields"): the same records, nested the way exports and batch files nest
# them, give the same verdicts and statistics as the flat corpus; a path
# that a record lacks is an error item naming the path.
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 80 --rows 6 --cols 6 --generator mix --corrupt mix --corrupt-rate 0.5 \
    --seed 61 --out flat.jsonl
python3 - <<'PY'
import json
with open("flat.jsonl") as f, open("nested.jsonl", "w") as g:
    for n, line in enumerate(f):
        r = json.loads(line)
        out = {"meta": {"id": r["id"]},
               "problem": {"prompt": r["prompt"], "size": [r["rows"], r["cols"]]},
               "responses": [{"text": "unused"}, {"text": r["output"]}],
               "tags": {"gen": r["generator"]},
               "reference": r["reference"]}
        if n == 7:
            del out["responses"]  # a record without the output: an error item
        g.write(json.dumps(out) + "\n")
PY
cat > flat.json <<'JSON'
{"name": "fields", "domain": "maze", "corpus": ["flat.jsonl"], "output": "out-flat",
 "maze": {"rows": 6, "cols": 6}, "group_by": ["generator"], "shard_items": 20}
JSON
cat > nested.json <<'JSON'
{"name": "fields", "domain": "maze", "corpus": ["nested.jsonl"], "output": "out-nested",
 "maze": {"rows": 6, "cols": 6}, "group_by": ["tags.gen"], "shard_items": 20,
 "fields": {"id": "meta.id", "prompt": "problem.prompt", "output": "responses[-1].text",
            "rows": "problem.size[0]", "cols": "problem.size[1]"}}
JSON
set +e
mpi 2 run flat.json --quiet; st1=$?
mpi 3 run nested.json --quiet; st2=$?
set -e
check "flat corpus: exit 0 (got $st1)" [ "$st1" -eq 0 ]
check "nested corpus: exit 3, one error item (got $st2)" [ "$st2" -eq 3 ]
zstd -q -dc out-flat/items.jsonl.zst > flat.items
zstd -q -dc out-nested/items.jsonl.zst > nested.items
check "nested = flat: items, but the record without output" python3 - flat.items nested.items <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 80
for x, y in zip(a, b):
    x.pop("file"); y.pop("file")
    # the group's values, keyed by each job's group_by path as written
    assert x.pop("group") == {"generator": y["group"]["tags.gen"]}, (x, y)
    y.pop("group")
    if x["line"] == 8:
        assert y["error_kind"] == "bad_record", y
        assert y["error"] == 'nested.jsonl:8: missing field "responses[-1].text"', y
        assert y["id"] == x["id"], y
        continue
    assert x == y, (x, y)
PY
# the statistics of the 79 shared records: drop record 8 from the flat corpus
sed -n '8!p' flat.jsonl > flat79.jsonl
sed 's/"flat.jsonl"/"flat79.jsonl"/; s/out-flat/out-flat79/' flat.json > flat79.json
"$TF_BIN" run flat79.json --quiet
check "nested = flat: the same groups and figures" python3 - out-flat79 out-nested <<'PY'
import json, subprocess, sys
def summary(d):
    s = json.loads(subprocess.check_output(["zstd", "-q", "-dc", d + "/summary.json.zst"]))
    for k in ("corpus", "group_by", "items"):
        s.pop(k)
    for g in [s["overall"]] + s["groups"]:
        g.pop("items", None); g.pop("item_errors", None); g.pop("item_error_kinds", None)
    return s
a, b = summary(sys.argv[1]), summary(sys.argv[2])
assert [g["key"] for g in a["groups"]] == [g["key"] for g in b["groups"]], "keys"
assert a == b, "summaries differ"
PY
done_tests
