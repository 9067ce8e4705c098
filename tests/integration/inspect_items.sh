#!/usr/bin/env bash
# Inspecting items: with group_by every item (error items too) carries its
# group's values keyed by the paths as written, and only then; "keep_output"
# keeps each output's text in its item (and a response's separate reasoning)
# without changing any verdict; "tracefarm run --limit N" gives exactly the
# items, summary and line numbers of the corpus cut to its first N records,
# for any rank count and shard size, also after a kill and resume, and a
# limited run is another job than the full one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"

unz() { zstd -q -dc "$1"; }

# ---- corpora: a multi-frame zstd file with nested fields, and a plain file
# with a bad line, blank lines and a line over the cap
"$TF_BIN" gen maze --count 120 --rows 6 --cols 6 --generator mix --corrupt mix --corrupt-rate 0.5 \
    --seed 31 --frame-items 7 --out gen.jsonl
python3 - <<'PY'
import json, subprocess
recs = [json.loads(l) for l in open("gen.jsonl")]
out = []
for i, r in enumerate(recs[:80]):
    r["meta"] = {"tag": "t%d" % (i % 3)}
    out.append(json.dumps(r))
text = "\n".join(out) + "\n"
frames = b"".join(subprocess.run(["zstd", "-q", "-c"], input="".join(l + "\n" for l in out[i:i + 9]).encode(),
                                 capture_output=True, check=True).stdout for i in range(0, 80, 9))
open("a.jsonl.zst", "wb").write(frames)
lines = []
for i, r in enumerate(recs[80:]):
    lines.append(json.dumps(r))
    if i == 3:
        lines.append('{"id": "broken", "prompt": ')          # bad JSON: group values null
    if i == 5:
        lines.append("")                                       # blank: a line, not a record
    if i == 9:
        lines.append(json.dumps(dict(r, id="long", pad="x" * 5000)))  # line_too_long
open("b.jsonl", "w").write("\n".join(lines) + "\n\n")
PY
job() { # job NAME OUTPUT CORPUS EXTRA
    cat > "$1.json" <<JSON
{"name": "inspect", "domain": "maze", "corpus": $3, "output": "$2", "maze": {"rows": 6, "cols": 6},
 "max_line_bytes": 4096 $4}
JSON
}
run() { # run NAME RANKS ARGS...: sets ST
    local name=$1 n=$2
    shift 2
    set +e
    if [ "$n" -eq 0 ]; then
        "$TF_BIN" run "$name.json" --quiet "$@" > "$name.out" 2> "$name.err"
    else
        mpi "$n" run "$name.json" --quiet "$@" > "$name.out" 2> "$name.err"
    fi
    ST=$?
    set -e
}

# ---- group values in items
job grouped o-grouped '["a.jsonl.zst", "b.jsonl"]' ', "shard_items": 5, "group_by": ["generator", "meta.tag"]'
run grouped 3
check "grouped: exit 3 (got $ST)" [ "$ST" -eq 3 ]
job plain o-plain '["a.jsonl.zst", "b.jsonl"]' ', "shard_items": 5'
run plain 2
check "group: every item has its group, keyed by the paths as written" python3 - <<'PY'
import json, subprocess
def items(d):
    return [json.loads(l) for l in subprocess.run(["zstd", "-q", "-dc", d + "/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
g = items("o-grouped")
recs = {}
for f in ("a.jsonl.zst", "b.jsonl"):
    raw = subprocess.run(["zstd", "-q", "-dc", f], capture_output=True, check=True).stdout if f.endswith(".zst") else open(f, "rb").read()
    for n, l in enumerate(raw.split(b"\n"), 1):
        recs[(f, n)] = l
assert len(g) == 122, len(g)
for i in g:
    grp = i["group"]
    assert list(grp) == ["generator", "meta.tag"], i
    try:
        r = json.loads(recs[(i["file"], i["line"])])
    except ValueError:
        r = None
    if i.get("error_kind") in ("bad_json", "line_too_long"):
        assert grp == {"generator": None, "meta.tag": None}, i
    else:
        want = {"generator": r.get("generator"), "meta.tag": r.get("meta", {}).get("tag")}
        assert grp == want, (i, want)
kinds = sorted(i.get("error_kind", "") for i in g if "error" in i)
assert kinds == ["bad_json", "line_too_long"], kinds
# and the rest of each item is as without group_by
p = items("o-plain")
assert not any("group" in i for i in p)
assert [{k: v for k, v in i.items() if k != "group"} for i in g] == p
PY
check "group: the summary's groups are the items' groups" python3 - <<'PY'
import json, subprocess
s = json.loads(subprocess.run(["zstd", "-q", "-dc", "o-grouped/summary.json.zst"], capture_output=True, check=True).stdout)
its = [json.loads(l) for l in subprocess.run(["zstd", "-q", "-dc", "o-grouped/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
from collections import Counter
c = Counter(json.dumps([i["group"]["generator"], i["group"]["meta.tag"]]) for i in its)
assert {json.dumps(g["key"]): g["items"] for g in s["groups"]} == dict(c), (s["groups"], c)
PY

# ---- keep_output: the text, and the same verdicts
job kept o-kept '["a.jsonl.zst", "b.jsonl"]' ', "shard_items": 5, "keep_output": true'
run kept 3
check "keep_output: exit 3 (got $ST)" [ "$ST" -eq 3 ]
check "keep_output: each verified item has its record's output; nothing else changes" python3 - <<'PY'
import json, subprocess
def items(d):
    return [json.loads(l) for l in subprocess.run(["zstd", "-q", "-dc", d + "/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
k, p = items("o-kept"), items("o-plain")
raw = {}
for f in ("a.jsonl.zst", "b.jsonl"):
    b = subprocess.run(["zstd", "-q", "-dc", f], capture_output=True, check=True).stdout if f.endswith(".zst") else open(f, "rb").read()
    for n, l in enumerate(b.split(b"\n"), 1):
        raw[(f, n)] = l
assert len(k) == len(p) == 122
for a, b in zip(k, p):
    if "error" in a:
        assert "output" not in a and a == b, a
        continue
    assert a["output"] == json.loads(raw[(a["file"], a["line"])])["output"], a
    assert "reasoning" not in a
    assert {x: y for x, y in a.items() if x != "output"} == b
s1 = subprocess.run(["zstd", "-q", "-dc", "o-kept/summary.json.zst"], capture_output=True).stdout
s2 = subprocess.run(["zstd", "-q", "-dc", "o-plain/summary.json.zst"], capture_output=True).stdout
assert s1 == s2
PY
# endpoint (chat, reasoning in its own field) and cache sources
"$TF_BIN" gen maze --count 12 --rows 6 --cols 6 --generator mix --seed 32 --out ep.jsonl
start_serve rs 60 --seed 4 --rows 6 --cols 6 --reasoning-field --invalid-step-rate 0.5
spec epk o-epk "$PORT" '["ep.jsonl"]' 4 '"api": "chat", "samples": 2, "backoff_ms": 1'
sed -i 's/"shard_items"/"keep_output": true, "shard_items"/; s/"rows": 8, "cols": 8/"rows": 6, "cols": 6/' epk.json
run_job epk 2
check "endpoint keep_output: exit 0 or 3 (got $ST)" [ "$ST" -eq 0 ] || [ "$ST" -eq 3 ]
sed 's/"keep_output": true/"keep_output": false/; s/o-epk/o-epn/' epk.json > epn.json
sed -i "s#\"endpoint\": {#\"endpoint\": {\"cache_dir\": \"o-epk/cache\", #" epn.json
sed 's/"source": "endpoint"/"source": "cache"/; s/o-epn/o-epc/; s/"keep_output": false/"keep_output": true/' epn.json > epc.json
run_job epn 2
run_job epc 0
check "endpoint keep_output: content as output, reasoning apart; verdicts unchanged; cache the same" python3 - <<'PY'
import json
k = [json.loads(l) for l in open("epk.items.jsonl")]
n = [json.loads(l) for l in open("epn.items.jsonl")]
c = [json.loads(l) for l in open("epc.items.jsonl")]
assert len(k) == len(n) == 24, (len(k), len(n))
assert c == k
for a, b in zip(k, n):
    assert "error" not in a, a
    assert a["output"].startswith("plan ") and "create" not in a["output"], a["output"][:80]
    assert a["reasoning"].startswith("create ") or a["reasoning"].startswith("close "), a["reasoning"][:80]
    assert {x: y for x, y in a.items() if x not in ("output", "reasoning")} == b
PY

# ---- --limit N: the corpus cut to its first N records
mkdir -p cutA cutB fullA fullB
cp a.jsonl.zst b.jsonl fullA/
cp a.jsonl.zst b.jsonl fullB/
python3 - <<'PY'
import subprocess
a = subprocess.run(["zstd", "-q", "-dc", "a.jsonl.zst"], capture_output=True, check=True).stdout.split(b"\n")
b = open("b.jsonl", "rb").read().split(b"\n")
# 50 records: inside a.jsonl.zst (a frame is 9 records: the cut is mid-frame)
open("cutA/a.jsonl.zst", "wb").write(subprocess.run(["zstd", "-q", "-c"], input=b"\n".join(a[:50]) + b"\n",
                                                    capture_output=True, check=True).stdout)
open("cutA/b.jsonl", "wb").write(b"")
# 95 records: all of a (80), then 15 of b in its first 16 lines: 4 records,
# the bad line, 2 records, a blank line (not a record), 4, the long line, 3
open("cutB/a.jsonl.zst", "wb").write(open("a.jsonl.zst", "rb").read())
open("cutB/b.jsonl", "wb").write(b"\n".join(b[:16]) + b"\n")
PY
limited() { # limited DIR NAME RANKS SHARD_ITEMS ARGS...: run in DIR; outputs in DIR/NAME.*
    local dir=$1 name=$2 n=$3 si=$4
    shift 4
    (cd "$dir" && job "$name" "o-$name" '["a.jsonl.zst", "b.jsonl"]' ", \"shard_items\": $si, \"group_by\": [\"generator\"]" &&
        run "$name" "$n" "$@" && echo "$ST" > "$name.st" &&
        unz "o-$name/items.jsonl.zst" > "$name.items" && unz "o-$name/summary.json.zst" > "$name.summary")
}
same() { cmp -s "$1.items" "$2.items" && cmp -s "$1.summary" "$2.summary"; }
limited cutA ref 0 1000
limited fullA l50a 3 3 --limit 50
limited fullA l50b 0 1000 --limit 50
limited fullA l50c 2 1 --limit 50
check "limit 50 (mid-frame): 50 items" [ "$(wc -l < fullA/l50a.items)" -eq 50 ]
check "the cut corpus: 50 items" [ "$(wc -l < cutA/ref.items)" -eq 50 ]
check "limit 50, 3 ranks, shard_items 3 == the cut corpus" same fullA/l50a cutA/ref
check "limit 50, 1 process == the cut corpus" same fullA/l50b cutA/ref
check "limit 50, 2 ranks, shard_items 1 == the cut corpus" same fullA/l50c cutA/ref
limited cutB ref 0 1000
limited fullB l95 3 4 --limit 95
check "limit 95 (into the second file, past bad, blank and long lines) == the cut corpus" same fullB/l95 cutB/ref
check "limit 95: 95 items, the last at b.jsonl line 16" python3 - <<'PY'
import json
its = [json.loads(l) for l in open("fullB/l95.items")]
assert len(its) == 95 and its[-1]["file"] == "b.jsonl" and its[-1]["line"] == 16, its[-1]
PY
limited fullB lbig 2 4 --limit 100000
limited fullB all 2 4
check "a limit past the corpus: the whole corpus" same fullB/lbig fullB/all
check "limit in the resolved spec (run.json)" python3 -c "import json; assert json.load(open('fullB/o-l95/run.json'))['spec']['limit'] == 95"
# the spec's own "limit" works the same
(cd fullB && job spec95 o-spec95 '["a.jsonl.zst", "b.jsonl"]' ', "shard_items": 4, "group_by": ["generator"], "limit": 95' &&
    run spec95 2 && unz o-spec95/items.jsonl.zst > spec95.items && unz o-spec95/summary.json.zst > spec95.summary)
check "\"limit\": 95 in the spec == --limit 95" same fullB/spec95 fullB/l95
# killed after 2 shards, resumed with the same limit: the same outputs
(cd fullB && job kres o-kres '["a.jsonl.zst", "b.jsonl"]' ', "shard_items": 4, "group_by": ["generator"]' &&
    set +e && TF_TEST_KILL_AT=shard:2 "$TF_BIN" run kres.json --quiet --limit 95 > /dev/null 2>&1; echo $? > kres.kill; set -e)
check "limit: the first run was killed" [ "$(cat fullB/kres.kill)" -ne 0 ]
(cd fullB && run kres 3 --limit 95 && echo "$ST" > kres.st && unz o-kres/items.jsonl.zst > kres.items && unz o-kres/summary.json.zst > kres.summary)
check "limit: resumed (exit 3, got $(cat fullB/kres.st))" [ "$(cat fullB/kres.st)" -eq 3 ]
check "limit: resumed, not started over" grep -q "resuming job" fullB/kres.err
check "limit: killed and resumed == the cut corpus" same fullB/kres cutB/ref
# a full run in the limited run's directory is another job
(cd fullB && run kres 0 && echo "$ST" > kfull.st && cp kres.err kfull.err)
check "limit: a full run in its directory is refused (exit 2, got $(cat fullB/kfull.st))" [ "$(cat fullB/kfull.st)" -eq 2 ]
check "limit: the difference is named" grep -qF 'different job (key "limit": 95 before, (absent) now)' fullB/kfull.err
check "--limit 0 is bad usage" bash -c "! '$TF_BIN' run fullB/kres.json --limit 0 2> /dev/null"
done_tests
