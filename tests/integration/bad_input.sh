#!/usr/bin/env bash
# Bad input loses nothing: every record is one item (verified or an error
# naming the reason, file and line); a truncated .zst keeps what it can read
# and reports the offset; the run finishes with exit status 3.
. "$(dirname "$0")/lib.sh"

"$TF_BIN" gen maze --count 3 --rows 5 --cols 5 --seed 3 --out good.jsonl
good1=$(sed -n 1p good.jsonl)
good2=$(sed -n 2p good.jsonl)
{
    echo "$good1"                                        # 1 ok
    echo '{"id": "broken", "prompt": "start 0 0'          # 2 bad JSON
    echo '{"id": "nooutput", "prompt": "start 0 0 goal 4 4"}' # 3 missing field
    echo '{"id": "numout", "prompt": "start 0 0 goal 4 4", "output": 7}' # 4 wrong type
    echo '{"id": "offgrid", "prompt": "start 0 0 goal 40 4", "output": "plan 0 0"}' # 5 bad problem
    echo ''                                               # 6 blank: not a record
    echo '[1, 2, 3]'                                      # 7 not an object
    printf '%s\n' "$good2"                                # 8 ok
    printf '{"id": "long", "prompt": "%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' x)" # 9 too long
} > bad.jsonl
# truncated zstd: one frame cut in the middle
"$TF_BIN" gen maze --count 400 --rows 6 --cols 6 --seed 4 --frame-items 100000 --out whole.jsonl.zst
size=$(stat -c %s whole.jsonl.zst)
head -c $((size / 2)) whole.jsonl.zst > trunc.jsonl.zst

cat > job.json <<'JSON'
{"name": "bad", "domain": "maze", "corpus": ["bad.jsonl", "trunc.jsonl.zst"], "output": "out",
 "maze": {"rows": 5, "cols": 5}, "max_line_bytes": 2048, "shard_items": 3}
JSON
set +e
mpi 2 run job.json > run.out 2> run.err
st=$?
set -e
check "exit status 3 for item errors (got $st)" [ "$st" -eq 3 ]
check "stderr says items could not be verified" grep -q "could not be verified" run.err
zstd -q -dc out/items.jsonl.zst > items.jsonl
zstd -q -dc out/summary.json.zst > summary.json
check "errors named with file, line and reason" python3 - items.jsonl summary.json <<'PY'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
bad = [i for i in items if i["file"] == "bad.jsonl"]
assert len(bad) == 8, len(bad)
by_line = {i["line"]: i for i in bad}
assert sorted(by_line) == [1, 2, 3, 4, 5, 7, 8, 9], sorted(by_line)
assert "error" not in by_line[1] and "error" not in by_line[8]
assert by_line[1]["trace_valid"] is True
def err(line, kind, *words):
    e = by_line[line]
    assert e["error_kind"] == kind, e
    assert e["error"].startswith("bad.jsonl:%d: " % line), e
    for w in words:
        assert w in e["error"], (w, e)
err(2, "bad_json", "malformed JSON")
err(3, "bad_record", "missing field", "output")
err(4, "bad_record", "output", "string")
err(5, "bad_record", "maze problem")
err(7, "bad_record", "not a JSON object")
err(9, "line_too_long", "max_line_bytes")
assert by_line[3]["id"] == "nooutput"
tr = [i for i in items if i["file"] == "trunc.jsonl.zst"]
assert len(tr) >= 2, len(tr)
assert "error" not in tr[0]
last = tr[-1]
assert last["error_kind"] == "read_error", last
assert "trunc.jsonl.zst" in last["error"] and "byte" in last["error"], last
assert [i["index"] for i in items] == list(range(len(items)))
s = json.load(open(sys.argv[2]))["overall"]
assert s["items"] == len(items), (s["items"], len(items))
assert s["item_errors"] == 7, s
assert s["item_error_kinds"] == {"bad_json": 1, "bad_record": 4, "line_too_long": 1, "read_error": 1}, s
PY
done_tests
