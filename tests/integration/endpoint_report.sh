#!/usr/bin/env bash
# The end of a run tells everything, and so does "tracefarm show", against
# "tracefarm serve" under mpirun:
#   - responses cut by max_tokens are counted with their share in the end
#     table, the summary and show; past warn_share a warning line and exit
#     status 4, at or under it none (the share is computed here from the items);
#   - failed samples are counted per last HTTP status (401 from a server that
#     wants a key, 500 from an overloaded one, "no response" from a closed
#     port), per group, exactly as the items name them, across ranks;
#   - requests, retries and cache hits in the end table and show are run.json's;
#   - show's errors column, and what show says of an unfinished run (shards
#     done of planned), of a summary older than the journal, of a run that
#     stopped after writing its summary, and of a corpus file changed since.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"
PY=python3

"$TF_BIN" gen maze --count 20 --rows 8 --cols 8 --generator mix --seed 21 --out a.jsonl
start_serve model 90 --rows 8 --cols 8 --seed 5
MP=$PORT
start_serve keyed 90 --rows 8 --cols 8 --seed 5 --api-key sekrit
KP=$PORT
start_serve busy 90 --rows 8 --cols 8 --seed 5 --rate-500 0.5
BP=$PORT

# with_top NAME KEY VALUE: add a top-level key to the spec NAME.json
with_top() { sed -i "s/\"source\": \"endpoint\"/\"source\": \"endpoint\", \"$2\": $3/" "$1.json"; }
# run_loud NAME RANKS: like run_job, without --quiet (the end table on NAME.stdout)
run_loud() { # NAME RANKS [OPTIONS...]
    local name=$1 ranks=$2
    shift 2
    set +e
    mpi "$ranks" run "$name.json" "$@" > "$name.stdout" 2> "$name.stderr"
    ST=$?
    set -e
    zstd -q -dc "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['output'])" "$name.json")/summary.json.zst" > "$name.summary.json"
}

# --- truncation: the share of responses cut by max_tokens ---------------------
P='"price_per_million": {"prompt": 0.5, "completion": 2}, "cache_dir": null'
spec full out-full "$MP" '["a.jsonl"]' 5 "$P"
run_job full 0
check "full answers: exit 0 (got $ST)" [ "$ST" -eq 0 ]
# max_tokens at the 30th percentile of the answers' lengths: about 70 % cut
K=$($PY -c "
import json, sys
t = sorted(json.loads(l)['completion_tokens'] for l in open('full.items.jsonl'))
print(t[len(t) * 3 // 10])")
T=$($PY -c "
import json
print(sum(json.loads(l)['completion_tokens'] > $K for l in open('full.items.jsonl')))")
check "some answers cut, not all (max_tokens $K cuts $T of 20)" [ "$T" -gt 2 ] && [ "$T" -lt 20 ]
spec trunc out-trunc "$MP" '["a.jsonl"]' 5 "$P, \"params\": {\"max_tokens\": $K}"
run_loud trunc 3
check "truncated past warn_share 0.1: exit 4 (got $ST)" [ "$ST" -eq 4 ]
PCT=$($PY -c "print('%.2f' % (100 * $T / 20))")
check "the warning names count, share and cause" grep -qF \
    "tracefarm: warning: $T of 20 responses ($PCT %) were cut by max_tokens (finish_reason \"length\"), more than warn_share 0.1" trunc.stderr
check "the end table: items, errors, truncated with share, tokens, cost, requests" \
    $PY - trunc.stdout trunc.summary.json out-trunc/run.json "$T" <<'PY'
import json, re, sys
out = open(sys.argv[1]).read()
s = json.load(open(sys.argv[2]))["overall"]
run = json.load(open(sys.argv[3]))
t = int(sys.argv[4])
ep = s["endpoint"]
assert ep["truncated"] == t and ep["samples"] == 20 and ep["fetch_failures"] == 0, ep
def line(label):
    m = [l for l in out.splitlines() if l.strip().startswith(label)]
    assert len(m) == 1, (label, out)
    return m[0].split()
assert line("items")[1:] == ["20"], line("items")
assert line("item errors")[2:] == ["0", "0.00", "%"], line("item errors")
tr = line("truncated (finish_reason length)")
assert tr[3:] == [str(t), "%.2f" % (100 * t / 20), "%", "of", "20", "responses"], tr
assert line("fetch failures")[2:] == ["0", "0.00", "%"], line("fetch failures")
assert ("tokens: prompt %d, completion %d, reasoning %d" % (ep["prompt_tokens"],
        ep["completion_tokens"], ep["reasoning_tokens"])) in out, out
assert ep["completion_tokens"] > 0 and ep["cost"]["total"] > 0, ep
assert ("cost: %.6g (prompt %.6g, completion %.6g" % (ep["cost"]["total"], ep["cost"]["prompt"],
        ep["cost"]["completion"])) in out, out
f = run["fetch"]
# no cache: the preflight's request for the first record's sample 0 is sent
# again by its worker, and run.json counts both
items = [json.loads(l) for l in __import__("subprocess").run(
    ["zstd", "-dc", "out-trunc/items.jsonl.zst"], capture_output=True, check=True).stdout.splitlines()]
first = [i for i in items if i["line"] == 1 and i["sample"] == 0][0]
assert f["requests"] == 21 and f["truncated"] == t + first["truncated"], (f, first)
assert ("requests sent %d, retries %d, cache hits %d (this run)" % (f["requests"], f["retries"],
        f["cache_hits"])) in out, out
assert run["exit_status"] == 4, run["exit_status"]
PY
check "every truncated item says so" $PY - trunc.summary.json out-trunc/items.jsonl.zst "$T" <<'PY'
import json, subprocess, sys
items = [json.loads(l) for l in subprocess.run(["zstd", "-dc", sys.argv[2]],
         capture_output=True, check=True).stdout.splitlines()]
assert sum(i["truncated"] for i in items) == int(sys.argv[3])
assert all(i["finish_reason"] == ("length" if i["truncated"] else "stop") for i in items)
PY
# warn_share just under the share: 4; just over: 0 and no warning
LO=$($PY -c "print($T / 20 - 0.01)")
HI=$($PY -c "print($T / 20 + 0.01)")
spec under out-under "$MP" '["a.jsonl"]' 5 "$P, \"params\": {\"max_tokens\": $K}"
with_top under warn_share "$LO"
run_job under 2
check "warn_share $LO, share $T/20: exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "... with the warning" grep -qF "more than warn_share $LO" under.stderr
spec over out-over "$MP" '["a.jsonl"]' 5 "$P, \"params\": {\"max_tokens\": $K}"
with_top over warn_share "$HI"
run_job over 2
check "warn_share $HI, share $T/20: exit 0 (got $ST)" [ "$ST" -eq 0 ]
check "... without a warning" sh -c "! grep -q warning over.stderr"
check "warn_share changes no output" cmp -s under.summary.json over.summary.json
spec badshare out-bad "$MP" '["a.jsonl"]' 5 "$P"
with_top badshare warn_share 2
run_job badshare 0
check "warn_share 2 is refused, naming the key (got $ST)" \
    sh -c "[ $ST -eq 2 ] && grep -q 'key \"warn_share\"' badshare.stderr"

# --- failures per last status, per group, across ranks -------------------------
# worker 1 asks the server that wants a key (401, not retried), worker 2 the
# one that answers half of the attempts with 500; which shard goes where
# varies, the counts must match the items exactly (no preflight and no
# circuit breaker, which would stop the job at the 401 server first)
spec fail out-fail PORTS '["a.jsonl"]' 2 '"samples": 2, "max_attempts": 1, "cache_dir": null, "breaker_consecutive": 0'
sed -i "s|\"http://127.0.0.1:PORTS/v1\"|[\"http://127.0.0.1:$KP/v1\", \"http://127.0.0.1:$BP/v1\"]|" fail.json
run_loud fail 3 --no-preflight
check "failures: exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "failures by last status: summary == items, per group and overall" \
    $PY - fail.summary.json out-fail/items.jsonl.zst fail.stdout fail.stderr <<'PY'
import collections, json, re, subprocess, sys
s = json.load(open(sys.argv[1]))
items = [json.loads(l) for l in subprocess.run(["zstd", "-dc", sys.argv[2]],
         capture_output=True, check=True).stdout.splitlines()]
out, err = open(sys.argv[3]).read(), open(sys.argv[4]).read()
assert len(items) == 40
gen = {}
for l in open("a.jsonl"):
    r = json.loads(l)
    gen[r["id"]] = r["generator"]
by, per = collections.Counter(), collections.defaultdict(collections.Counter)
for i in items:
    if "error" not in i:
        continue
    assert i["error_kind"] == "fetch_failed", i
    m = re.search(r"\(last status: (HTTP (\d+)|no response)\)", i["error"])
    st = m.group(2) or "0"
    by[st] += 1
    per[gen[i["id"]]][st] += 1
ep = s["overall"]["endpoint"]
assert ep["fetch_failures_by_status"] == dict(by), (ep, by)
assert sum(by.values()) == ep["fetch_failures"] == s["overall"]["item_errors"] > 0
assert set(by) <= {"401", "500"}, by
for g in s["groups"]:
    got = g["endpoint"]["fetch_failures_by_status"]
    assert got == dict(per[g["key"][0]]), (g["key"], got, per[g["key"][0]])
    assert sum(got.values()) == g["endpoint"]["fetch_failures"]
text = ", ".join("HTTP %s %d" % (k, by[k]) for k in sorted(by))
assert ("by last status: " + text) in out, out
assert ("fetch failures by last status: " + text + ")") in err, err
PY
"$TF_BIN" show out-fail > fail.show
check "show: errors column per group, accounting from the summary and run.json" \
    $PY - fail.summary.json fail.show out-fail/run.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
run = json.load(open(sys.argv[3]))
rows = {l[:40].strip(): l[40:].split() for l in text.splitlines()[2:] if l[:40].strip()}
def row_of(g, key):
    r = rows[key]
    assert r[0] == "%d" % g["verified"] and r[1] == "%d" % g["item_errors"], (key, r, g)
row_of(s["overall"], "(overall)")
for g in s["groups"]:
    row_of(g, json.dumps(g["key"], separators=(",", ":")))
ep = s["overall"]["endpoint"]
f = run["fetch"]
assert ("requests sent %d, retries %d, cache hits %d (the latest run" % (f["requests"],
        f["retries"], f["cache_hits"])) in text, text
assert "run.json: exit status 4" in text, text
fl = [l for l in text.splitlines() if l.strip().startswith("fetch failures")][0].split()
assert fl[2] == "%d" % ep["fetch_failures"], fl
assert max(len(l) for l in text.splitlines()) <= 120
PY
# a closed port: no HTTP response at all ("0"), one process
stop "$PID"
spec gone out-gone "$BP" '["a.jsonl"]' 5 '"max_attempts": 2, "backoff_ms": 1, "backoff_max_ms": 2, "breaker_consecutive": 0'
run_loud gone 0 --no-preflight
check "closed port: exit 4 (got $ST)" [ "$ST" -eq 4 ]
check "closed port: 20 failures with no response" $PY - gone.summary.json gone.stdout <<'PY'
import json, sys
ep = json.load(open(sys.argv[1]))["overall"]["endpoint"]
assert ep["fetch_failures_by_status"] == {"0": 20}, ep
assert "by last status: no response 20" in open(sys.argv[2]).read()
PY
"$TF_BIN" show out-gone > gone.show
check "show on an all-failed run: n 0, errors 20" sh -c "grep '^(overall)' gone.show | awk '{exit !(\$2 == 0 && \$3 == 20)}'"

# --- show on unfinished runs (source record: no server needed) ------------------
"$TF_BIN" gen maze --count 60 --rows 6 --cols 6 --seed 3 --out r.jsonl
cat > rec.json <<'JSON'
{"name": "rec", "domain": "maze", "corpus": ["r.jsonl"], "output": "out-rec",
 "maze": {"rows": 6, "cols": 6}, "shard_items": 10}
JSON
set +e
TF_TEST_KILL_AT=shard:2 "$TF_BIN" run rec.json --quiet 2> /dev/null
"$TF_BIN" show out-rec > unf.show 2> unf.err; st1=$?
set -e
N=$($PY -c "
import json
h = open('out-rec/.tracefarm-journal').readline().split(' ', 1)[1].rsplit(' #', 1)[0]
print(json.loads(h)['shards'])")
check "show, killed before any summary: exit 2 (got $st1)" [ "$st1" -eq 2 ]
check "... says unfinished, 2 of $N shards done" grep -qF "job \"rec\": unfinished: 2 of $N shards done" unf.show
"$TF_BIN" run rec.json --quiet
"$TF_BIN" show out-rec > done.show
check "show, finished: no warning" sh -c "! grep -q warning done.show"
sleep 0.05 # a journal written after the summary, whatever the clock's resolution
set +e
TF_TEST_KILL_AT=shard:1 "$TF_BIN" run rec.json --quiet 2> /dev/null
"$TF_BIN" show out-rec > stale.show; st2=$?
set -e
check "show, a new run unfinished: the old summary shown (got $st2)" \
    sh -c "[ $st2 -eq 0 ] && grep -q '^(overall)' stale.show"
check "... with a warning: older than the journal, 1 of $N shards done" grep -qF \
    "warning: this summary is older than out-rec/.tracefarm-journal: it is from an earlier run; a run started since is unfinished (1 of $N shards done)" stale.show
# another warn_share is the same job: it resumes
sed -i 's/"shard_items": 10/"shard_items": 10, "warn_share": 0.5/' rec.json
set +e
TF_TEST_KILL_AT=output:2 "$TF_BIN" run rec.json --quiet 2> stopped.err
set -e
check "another warn_share resumes the same job" grep -q "resuming job \"rec\": 1 of $N shards" stopped.err
"$TF_BIN" show out-rec > stopped.show
check "show, the run stopped after writing its summary: says so" grep -qF \
    "warning: the run that wrote this summary stopped before its end ($N of $N shards done)" stopped.show
"$TF_BIN" show out-rec --json > stopped.json 2> stopped-json.err
check "show --json: the summary on stdout, the warning on stderr" \
    sh -c "$PY -c 'import json; json.load(open(\"stopped.json\"))' && grep -q 'stopped before its end' stopped-json.err"
"$TF_BIN" run rec.json --quiet
touch -d '+1 hour' r.jsonl
"$TF_BIN" show out-rec > touched.show
check "show: a corpus file modified after the summary" grep -qF \
    "warning: corpus file r.jsonl was modified after this summary was written" touched.show
touch r.jsonl

done_tests
