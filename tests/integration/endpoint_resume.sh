#!/usr/bin/env bash
# run.json describes the invocation that wrote it: after a kill
# (TF_TEST_KILL_AT, docs/resume.md) and a resume, its "fetch" (requests,
# tokens, shards) and "this_run" count only the shards the resumed run did,
# as the server's own request counter says, while "fetch_all_runs" sums every
# merged shard; the end table prints both. One process, then 3 ranks; no
# cache, so that every sample is one request the server counts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/endpoint_lib.sh"
PY=python3

"$TF_BIN" gen maze --count 24 --rows 8 --cols 8 --generator mix --seed 51 --out a.jsonl
start_serve model 90 --rows 8 --cols 8 --seed 6
MP=$PORT
E='"samples": 2, "cache_dir": null, "params": {"seed": 3, "temperature": 0.5}'

# resumed NAME RANKS KILL_AT: run NAME.json killed at KILL_AT, then again to
# the end (its end table in NAME.stdout); N1 and N2: the requests the server
# answered during each
resumed() {
    local n0 n1
    n0=$(requests "$MP")
    set +e
    if [ "$2" -eq 0 ]; then
        TF_TEST_KILL_AT=$3 "$TF_BIN" run "$1.json" --quiet > /dev/null 2>&1
    else
        TF_TEST_KILL_AT=$3 mpi "$2" run "$1.json" --quiet > /dev/null 2>&1
    fi
    local st=$?
    n1=$(requests "$MP")
    if [ "$2" -eq 0 ]; then
        "$TF_BIN" run "$1.json" > "$1.stdout" 2> "$1.stderr"
    else
        mpi "$2" run "$1.json" > "$1.stdout" 2> "$1.stderr"
    fi
    ST=$?
    set -e
    check "$1: killed at $3 (status $st)" [ "$st" -ne 0 ]
    N1=$((n1 - n0))
    N2=$(($(requests "$MP") - n1))
}

# what run.json must say after the resume of NAME (output OUT): its fetch
# counts the server's N2 requests, this_run the shards not resumed and their
# items, fetch_all_runs every shard
check_run() { # NAME OUT
    check "$1: resumed run exits 0 (got $ST)" [ "$ST" -eq 0 ]
    check "$1: run.json counts this run (server: $N1 then $N2 requests)" \
        $PY - "$2/run.json" "$2/items.jsonl.zst" "$2/summary.json.zst" "$N2" "$1.stdout" <<'PY'
import json, subprocess, sys
def unzstd(p):
    return subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout
r = json.load(open(sys.argv[1]))
items = [json.loads(l) for l in unzstd(sys.argv[2]).splitlines()]
s = json.loads(unzstd(sys.argv[3]))["overall"]
n2 = int(sys.argv[4])
out = open(sys.argv[5]).read()
f, a, me = r["fetch"], r["fetch_all_runs"], r["this_run"]
assert len(items) == 48 and r["items"] == 48, (len(items), r["items"])
assert r["shards_resumed"] > 0 and me["shards"] == r["shards"] - r["shards_resumed"], r
assert f["shards"] == me["shards"] and a["shards"] == r["shards"], (f, a)
# every sample one request (no cache, no fault): this run's requests are
# its items and its preflight's one, exactly what the server answered after
# the kill; every invocation's: the 48 samples and the two preflights
assert f["requests"] == f["submitted"] == me["items"] + 1 == n2 > 1, (f, me, n2)
assert f["requests"] < 48 and me["items"] < 48, (f, me)
assert a["requests"] == a["submitted"] == 50 and a["ok"] == 50, a
assert me["item_errors"] == 0 and abs(r["items_per_second"] * r["seconds"]["total"] - me["items"]) < 1e-6 * me["items"] + 1e-9, r
# tokens: every invocation's sum is the summary's and the two preflights'
# answers (the first record's sample 0, asked again by each run)
ep = s["endpoint"]
first = [i for i in items if i["line"] == 1 and i["sample"] == 0][0]
assert a["completion_tokens"] == ep["completion_tokens"] + 2 * first["completion_tokens"], (a, ep)
assert a["prompt_tokens"] == ep["prompt_tokens"] + 2 * first["prompt_tokens"], (a, ep)
assert f["completion_tokens"] < a["completion_tokens"], (f, a)
assert "seconds" in f and "seconds" not in a and "requests_per_second" not in a, (f, a)
assert ("requests sent %d, retries 0, cache hits 0 (this run); every invocation of the job: "
        "requests 50, retries 0, cache hits 0" % n2) in out, out
PY
}

# one process: killed right after shard 2 is journaled, nothing else in flight
spec one out-one "$MP" '["a.jsonl"]' 4 "$E"
resumed one 0 shard:2
check_run one out-one
check "one: the killed run's requests are the 2 resumed shards' samples and its preflight" \
    $PY - out-one/.tracefarm-journal out-one/items.jsonl.zst "$N1" out-one/run.json <<'PY'
import json, subprocess, sys
done = [l.split() for l in open(sys.argv[1]) if l.startswith("done ")]
resumed = {int(d[1]): int(d[5]) for d in done[:2]}
assert sorted(resumed) == [0, 1], done
n = sum(resumed.values())
assert n + 1 == int(sys.argv[3]), (n, sys.argv[3])
# this run's completion tokens are those of the items after the resumed
# ones, and its preflight's (the first record's sample 0)
items = [json.loads(l) for l in subprocess.run(["zstd", "-dc", sys.argv[2]],
         capture_output=True, check=True).stdout.splitlines()]
f = json.load(open(sys.argv[4]))["fetch"]
assert f["completion_tokens"] == sum(i["completion_tokens"] for i in items[n:]) + items[0]["completion_tokens"], f
PY

# 3 ranks: killed after 3 shards, with other shards in flight (done again)
spec three out-three "$MP" '["a.jsonl"]' 3 "$E"
resumed three 3 shard:3
check_run three out-three
zstd -q -dc out-one/items.jsonl.zst > one.items.jsonl
zstd -q -dc out-three/items.jsonl.zst > three.items.jsonl
check "3 ranks: the same items as one process" cmp -s one.items.jsonl three.items.jsonl

done_tests
